#include "nnlab/train/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/models/registry.h"

namespace nnlab::train {

namespace {

// A lenet300 for 3 classes and 12 images: their labels and what the model predicts.
struct Fixture {
  models::Classifier model = models::create_model("lenet300", {/*num_classes=*/3, 0});
  data::Dataset data;
  torch::Tensor logits;
  Fixture() {
    torch::manual_seed(4);
    data.images = torch::rand({12, 1, 28, 28});
    data.labels = torch::tensor({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0}, torch::kLong);
    model.eval();
    torch::NoGradGuard no_grad;
    logits = model.forward(data.images);
  }
};

}  // namespace

TEST(Evaluate, CountsLossAccuracyAndConfusionAsComputedByHand) {
  Fixture f;
  EvalOptions options;
  options.batch_size = 5;  // three batches, the last one short
  options.progress = false;
  const auto result = evaluate(f.model, f.data, options);
  const auto predicted = f.logits.argmax(1);
  EXPECT_EQ(result.count, 12);
  EXPECT_NEAR(result.loss,
              torch::nn::functional::cross_entropy(f.logits, f.data.labels).item<double>(), 1e-5);
  EXPECT_NEAR(result.accuracy, predicted.eq(f.data.labels).to(torch::kDouble).mean().item<double>(),
              1e-12);
  ASSERT_EQ(result.confusion.sizes(), (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(result.confusion.sum().item<std::int64_t>(), 12);
  ASSERT_EQ(result.per_class_count, (std::vector<std::int64_t>{6, 3, 3}));
  for (std::int64_t c = 0; c < 3; ++c) {
    // Row c of the confusion matrix: the images of class c by predicted class.
    const auto mask = f.data.labels.eq(c);
    EXPECT_EQ(result.confusion[c].sum().item<std::int64_t>(), mask.sum().item<std::int64_t>());
    const auto right = predicted.masked_select(mask).eq(c).sum().item<double>();
    EXPECT_EQ(result.confusion[c][c].item<std::int64_t>(), static_cast<std::int64_t>(right));
    EXPECT_NEAR(result.per_class_accuracy[static_cast<size_t>(c)],
                right / static_cast<double>(result.per_class_count[static_cast<size_t>(c)]), 1e-12);
  }
}

TEST(Evaluate, AClassWithoutImagesCountsZeroAndTheTrainingFlagIsRestored) {
  Fixture f;
  f.data.labels.fill_(0);  // classes 1 and 2 have no image
  f.model.train();
  EvalOptions options;
  options.progress = false;
  const auto result = evaluate(f.model, f.data, options);
  EXPECT_EQ(result.per_class_count, (std::vector<std::int64_t>{12, 0, 0}));
  EXPECT_EQ(result.per_class_accuracy[1], 0);
  EXPECT_EQ(result.per_class_accuracy[2], 0);
  EXPECT_NEAR(result.accuracy, result.per_class_accuracy[0], 1e-12);
  EXPECT_TRUE(f.model.is_training());
}

TEST(Evaluate, PredictLogitsAreTheForwardPassInOrderWhateverTheBatch) {
  Fixture f;
  const auto all = predict_logits(f.model, f.data.images, /*batch_size=*/5);
  ASSERT_EQ(all.sizes(), f.logits.sizes());
  EXPECT_TRUE(all.device().is_cpu());
  EXPECT_TRUE(torch::allclose(all, f.logits, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(predict_logits(f.model, f.data.images, 1), all, 1e-5, 1e-6));
}

}  // namespace nnlab::train
