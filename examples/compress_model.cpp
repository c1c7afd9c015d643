// Deep Compression of a small model with the nnlab library alone (no command line): train
// LeNet-300-100 briefly on a slice of Fashion-MNIST, prune each layer to the paper's kept fraction
// with fine-tuning, share its weights by k-means, Huffman-code it into an .nnz file, and print the
// size report -- what `nnlab compress --pipeline deep` does, in a page.
//
//   compress_model [DATA] [TRAIN_IMAGES] [TEST_IMAGES] [OUTPUT]
//   DATA: a data spec, "fashion-mnist" (Debian's dataset-fashion-mnist, the default) or idx:DIR.
#include <torch/torch.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include "nnlab/compress/compression_pipeline.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/trainer.h"

int main(int argc, char** argv) try {
  using namespace nnlab;
  const std::string spec = argc > 1 ? argv[1] : "fashion-mnist";
  const std::int64_t train_images = argc > 2 ? std::stoll(argv[2]) : 2000;
  const std::int64_t test_images = argc > 3 ? std::stoll(argv[3]) : 500;
  const std::string output = argc > 4 ? argv[4] : "lenet300.nnz";

  // A slice of the data: the first images of each split.
  auto split = data::load_data(spec);
  split.train = split.train.head(train_images);
  split.test = split.test.head(test_images);

  // A zoo model, trained for one epoch (a real run would load a trained checkpoint instead:
  // models::classifier_from_checkpoint(models::read_checkpoint(path), path)).
  torch::manual_seed(0);
  auto model = models::create_model("lenet300");
  train::TrainOptions training;
  training.epochs = 1;
  training.progress = false;
  train::Trainer(model, training).fit({split.train, {}});

  // What every compression pass fine-tunes and tests with: one epoch per pruning step.
  compress::FineTuning tuning;
  tuning.data = split;
  tuning.train = training;

  // Deep Compression's LeNet-300-100 recipe (Han et al. 2016, table 2): keep 8%, 9% and 26% of
  // the three layers' weights, 6 bits per weight; here in two pruning steps.
  compress::CompressionOptions options;
  options.pruning.layer_sparsity = {
      {"fc1.weight", 0.92}, {"fc2.weight", 0.91}, {"fc3.weight", 0.74}};
  options.pruning.steps = 2;
  options.clustering.fc_bits = 6;
  options.cluster_epochs = 1;
  const auto result = compress::compress_pipeline(model, tuning, options);
  std::ofstream(output, std::ios::binary) << result.bytes;

  // The size report: per layer, then per stage.
  std::printf("%-12s %9s %7s %6s %9s %9s\n", "layer", "weights", "kept", "bits", "bits (H)",
              "bytes");
  for (const auto& layer : result.sizes.layers) {
    std::printf("%-12s %9lld %6.1f%% %6d %9.2f %9.0f\n", layer.name.c_str(),
                static_cast<long long>(layer.weights), 100 * layer.kept_fraction, layer.weight_bits,
                layer.weight_bits_huffman, layer.bytes);
  }
  std::printf("\n%-40s %8s %9s %7s\n", "stage", "test acc", "bytes", "ratio");
  for (const auto& stage : compress::compression_stages(result)) {
    std::printf("%-40s %7.2f%% %9.0f %6.1fx\n", stage.name.c_str(), 100 * stage.test_accuracy,
                stage.bytes, stage.ratio);
  }
  std::printf("\n%s: %.0f bytes, %.1fx smaller than float32, test accuracy %.2f%% -> %.2f%%\n",
              output.c_str(), result.sizes.file_bytes,
              result.sizes.float_bytes / result.sizes.file_bytes, 100 * result.accuracy.dense,
              100 * result.accuracy.nnz);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "compress_model: %s\n", e.what());
  return 1;
}
