// Adversarial training, the active defense: the trainer's batches are replaced by adversarial
// examples of the current model (min over weights of the max over the eps-ball of the loss).
//   fgsm-rs: "fast adversarial training" (Wong, Rice & Kolter, "Fast is better than free", ICLR
//            2020): a uniform random start in the eps-ball, then one signed-gradient step of
//            1.25*eps, projected back onto the ball - PGD with a single step.
//   pgd:     Madry et al., "Towards deep learning models resistant to adversarial attacks" (ICLR
//            2018): PGD with a random start and `steps` steps of 2.5*eps/steps.
//   trades:  Zhang et al., "Theoretically principled trade-off between robustness and accuracy"
//            (ICML 2019; reference code yaodongyu/TRADES, trades.py): the inner maximization
//            starts at x + 0.001 N(0, 1) and takes `steps` signed steps (default eps/4) up
//            KL(f(x) || f(x')), the model in eval mode as in the reference; the outer loss is
//            CE(f(x), y) + beta KL(f(x) || f(x')) (trades_loss), so the clean batch stays part of
//            the loss: the hooks replace the batch by x' and the loss by TRADES' own. The
//            reference takes 10 steps of 0.007 for eps = 0.031 (the CLI's default for trades).
// After every epoch the model's accuracy under PGD-`eval_steps` is measured on a held-out slice
// that training never sees. FGSM training is prone to catastrophic overfitting: within one epoch
// the PGD accuracy collapses toward 0 while the FGSM accuracy soars. When the held-out PGD
// accuracy falls more than `collapse_drop` below its best, the model is rolled back to the best
// epoch and training stops (the early stop of Wong et al.).
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/data/dataset.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/trainer.h"

namespace nnlab::attack {

struct AdversarialTrainingOptions {
  std::string method = "fgsm-rs";  // fgsm-rs | pgd | trades
  double epsilon = 8.0 / 255;      // [0,1] pixel units
  double step_size = 0;            // 0: 1.25*eps (fgsm-rs), 2.5*eps/steps (pgd), eps/4 (trades)
  int steps = 7;                   // pgd, trades: steps per training batch
  double beta = 6.0;               // trades: weight of the robust (KL) term; 0: plain CE
  int eval_steps = 20;             // PGD steps of the held-out robust accuracy
  double collapse_drop = 0.2;      // roll back and stop when robust accuracy falls this far
  std::int64_t eval_batch_size = 256;

  nlohmann::json to_json() const;
  static AdversarialTrainingOptions from_json(const nlohmann::json& j);
};

// Clean and PGD accuracy of a model on a labelled set.
struct RobustAccuracy {
  double clean = 0;
  double robust = 0;  // correctly classified and still so after the attack
};

// PGD-`steps` (L-inf, random start, step 2.5*eps/steps, real-valued: no 8-bit rounding) on every
// image; images (N,C,H,W) in [0,1] on the CPU.
RobustAccuracy pgd_accuracy(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels, double epsilon, int steps,
                            std::int64_t batch_size = 256);

// TRADES' outer loss, mean over the batch: CE(clean_logits, y) + beta * KL(softmax(clean_logits)
// || softmax(adversarial_logits)) (the reference's KLDivLoss(sum) / batch size).
torch::Tensor trades_loss(const torch::Tensor& clean_logits,
                          const torch::Tensor& adversarial_logits, const torch::Tensor& labels,
                          double beta);

// TRADES' inner maximization for a batch in [0,1] on the model's device: detached x', within
// epsilon of the images in L-inf and inside [0,1]. The start draws on torch's default generator
// (seeded per epoch by the trainer). The model runs in eval mode and gets its mode back.
torch::Tensor trades_adversarial(models::Classifier& model, const torch::Tensor& images,
                                 double epsilon, double step_size, int steps);

class AdversarialTraining {
 public:
  // holdout: labelled images kept out of training, for the robust accuracy of each epoch.
  AdversarialTraining(AdversarialTrainingOptions options, data::Dataset holdout);

  // transform_batch (the adversarial examples), for trades also loss (TRADES' loss of the clean
  // batch that transform_batch saw and the adversarial logits), and after_epoch (robust accuracy
  // into the metrics as holdout_clean_accuracy / holdout_robust_accuracy; rollback and early stop).
  // Add other hooks to the returned struct as needed.
  train::TrainHooks hooks();

  const AdversarialTrainingOptions& options() const { return options_; }
  int best_epoch() const { return best_epoch_; }
  double best_robust_accuracy() const { return best_robust_; }

 private:
  torch::Tensor adversarial_batch(models::Classifier& model, const torch::Tensor& images,
                                  const torch::Tensor& labels);
  bool after_epoch(models::Classifier& model, train::EpochMetrics& metrics);

  AdversarialTrainingOptions options_;
  data::Dataset holdout_;
  int best_epoch_ = 0;
  double best_robust_ = -1;
  double best_test_accuracy_ = 0, best_test_loss_ = 0;
  std::vector<torch::Tensor> best_state_;  // parameters and buffers at the best epoch
  // trades: the batch transform_batch replaced and its model, for the loss that follows.
  models::Classifier* model_ = nullptr;
  torch::Tensor clean_;
};

}  // namespace nnlab::attack
