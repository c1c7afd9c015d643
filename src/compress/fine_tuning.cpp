#include "nnlab/compress/fine_tuning.h"

#include <utility>

#include "nnlab/train/evaluate.h"

namespace nnlab::compress {

double test_accuracy(models::Classifier& model, const FineTuning& tuning) {
  const train::EvalOptions options{tuning.train.eval_batch_size, false, "test"};
  return (tuning.group ? train::evaluate(model, tuning.data.test, options, *tuning.group)
                       : train::evaluate(model, tuning.data.test, options))
      .accuracy;
}

void fine_tune(models::Classifier& model, const FineTuning& tuning, int round,
               train::TrainHooks hooks) {
  if (tuning.train.epochs == 0) return;
  auto options = tuning.train;
  options.seed = tuning.train.seed + round;
  hooks = train::combine_hooks(std::move(hooks), tuning.hooks);
  if (tuning.group) {
    hooks = train::combine_hooks(train::data_parallel_hooks(tuning.group, tuning.data_parallel),
                                 std::move(hooks));
    train::prepare_data_parallel(*model.module(), tuning.group, tuning.data_parallel);
  }
  train::Trainer(model, options, std::move(hooks)).fit({tuning.data.train, {}});
}

}  // namespace nnlab::compress
