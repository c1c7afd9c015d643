// Which scenes a caption model sees, from one seed (the model's SceneOptions::seed): training
// scenes from the training images with that seed (or, fresh every epoch, seed + 3 + epoch), dev
// scenes from the training images with seed + 2, test scenes from the test images with seed + 1.
// A model file records its scene options, so `caption eval` and `caption describe` compose the
// very test scenes its training run scored.
#pragma once

#include <cstdint>

#include "nnlab/data/dataset.h"
#include "nnlab/data/scene.h"
#include "nnlab/seq2seq/caption_trainer.h"
#include "nnlab/seq2seq/models/caption_model.h"

namespace nnlab::seq2seq {

inline constexpr std::uint64_t kTestSceneSeedOffset = 1;
inline constexpr std::uint64_t kDevSceneSeedOffset = 2;
inline constexpr std::uint64_t kFreshSceneSeedOffset = 3;  // + the epoch (1-based)

// `count` test scenes of the model's scene options from the test images.
data::SceneSet test_scenes(const CaptionModel& model, const data::Dataset& test,
                           std::int64_t count);

// `count` dev scenes from the training images.
data::SceneSet dev_scenes(const data::Dataset& train, std::int64_t count,
                          const data::SceneOptions& options);

// The training scenes of each epoch: one set composed now (fresh false) or new compositions every
// epoch. The source keeps a reference to `train`, which must outlive it.
SceneSource training_scenes(const data::Dataset& train, std::int64_t count,
                            const data::SceneOptions& options, bool fresh);

}  // namespace nnlab::seq2seq
