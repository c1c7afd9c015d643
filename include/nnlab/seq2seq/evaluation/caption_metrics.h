// Scoring generated captions against the scenes' item classes:
//   word accuracy   words equal to the reference at the same position / reference words
//   exact match     captions equal to the reference
//   BLEU-4          corpus BLEU (sequence_metrics) with effective order: captions of three words
//                   hold no 4-gram, so their BLEU-4 is the geometric mean of orders 1-3
//   attention       the share of generated words (at positions the scene has an item for) with
//                   at least half of their attention mass inside that item's box — a region
//                   counts as inside when its centre is.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "nnlab/data/scene.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/models/caption_model.h"

namespace nnlab::seq2seq {

struct CaptionScores {
  std::int64_t scenes = 0;
  std::int64_t reference_words = 0;
  double word_accuracy = 0;  // percent
  double exact_match = 0;    // percent
  double bleu4 = 0;          // percent
  int bleu_orders = 0;       // the n-gram orders BLEU-4 averaged (3 for three-word captions)
  std::int64_t attended_words = 0;
  double attention_inside = 0;  // percent of attended_words
  nlohmann::json to_json() const;
};

// One caption per image (with its attention when options.attention), in eval mode, batched; at
// most max_items + 2 words (the search's maximum length is set here).
std::vector<Hypothesis> caption_images(CaptionModel& model, const torch::Tensor& images,
                                       SearchOptions options, std::int64_t batch_size = 256);

CaptionScores score_captions(const CaptionModel& model, const std::vector<Hypothesis>& captions,
                             const data::SceneSet& scenes);

// The attention mass of one step (regions row-major over the model's grid) inside a box.
double attention_inside(const CaptionModel& model, const std::vector<float>& attention,
                        const data::Box& box);

}  // namespace nnlab::seq2seq
