#include "nnlab/seq2seq/caption_scenes.h"

namespace nnlab::seq2seq {

data::SceneSet test_scenes(const CaptionModel& model, const data::Dataset& test,
                           std::int64_t count) {
  auto options = model.scenes;
  options.seed += kTestSceneSeedOffset;
  return data::compose_scenes(test, count, options);
}

data::SceneSet dev_scenes(const data::Dataset& train, std::int64_t count,
                          const data::SceneOptions& options) {
  auto dev = options;
  dev.seed += kDevSceneSeedOffset;
  return data::compose_scenes(train, count, dev);
}

SceneSource training_scenes(const data::Dataset& train, std::int64_t count,
                            const data::SceneOptions& options, bool fresh) {
  if (!fresh) {
    return [fixed = data::compose_scenes(train, count, options)](int) { return fixed; };
  }
  return [&train, count, options](int epoch) {
    auto epoch_options = options;
    epoch_options.seed += kFreshSceneSeedOffset + static_cast<std::uint64_t>(epoch);
    return data::compose_scenes(train, count, epoch_options);
  };
}

}  // namespace nnlab::seq2seq
