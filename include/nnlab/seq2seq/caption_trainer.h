// Training of a caption model on composed scenes: teacher-forced cross-entropy on the caption
// words plus lambda times the doubly stochastic attention regularizer of Show, Attend and Tell,
// lambda * sum_i (tau - sum_t alpha_t^i)^2 over the image regions i (seq2seq_trainer's
// sequence_loss); Adam with a cosine learning rate, gradient clipping; dev accuracy per epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "nnlab/data/scene.h"
#include "nnlab/seq2seq/evaluation/caption_metrics.h"
#include "nnlab/seq2seq/models/caption_model.h"

namespace nnlab::seq2seq {

struct CaptionTrainOptions {
  int epochs = 8;
  std::int64_t batch_size = 64;
  double lr = 2e-3;
  double clip = 5.0;
  double label_smoothing = 0.0;
  double attention_lambda = 0.0;  // 0: no regularizer
  // The attention each region should receive over a caption; 0: (words + 1) / regions, the
  // caption's whole attention spread evenly.
  double attention_tau = 0.0;
  std::int64_t seed = 0;
  bool progress = true;

  void validate() const;  // throws core::OptionError
  nlohmann::json to_json() const;
};

struct CaptionEpoch {
  int epoch = 0;
  double lr = 0;
  double loss = 0;               // cross-entropy per word (</s> included)
  double attention_penalty = 0;  // the regularizer per caption (before lambda)
  CaptionScores dev;
  double seconds = 0;
  double scenes_per_second = 0;
  nlohmann::json to_json() const;
};

// The training scenes of an epoch (1-based): the same set every epoch, or new compositions each
// epoch (the items are reused, their places and companions change: data augmentation).
using SceneSource = std::function<data::SceneSet(int epoch)>;

// Trains model.model in place; returns every epoch. dev is scored with greedy search.
std::vector<CaptionEpoch> train_captioner(
    CaptionModel& model, const SceneSource& train, const data::SceneSet& dev,
    const CaptionTrainOptions& options,
    const std::function<void(const CaptionEpoch&)>& on_epoch = {});

}  // namespace nnlab::seq2seq
