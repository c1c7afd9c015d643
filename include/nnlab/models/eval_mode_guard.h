// Puts a classifier in eval mode for a scope and gives it back the mode it had: evaluation and
// attacks must see the deployed model (BatchNorm running statistics, no dropout) whatever the
// caller was doing.
#pragma once

#include "nnlab/models/classifier.h"

namespace nnlab::models {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(Classifier& model) : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvalModeGuard() { model_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Classifier& model_;
  bool was_training_;
};

}  // namespace nnlab::models
