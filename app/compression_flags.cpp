#include "compression_flags.h"

#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/train/data_parallel.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::app {

void add_compression_flags(CLI::App& command, CompressionFlags& flags, int epochs) {
  auto& f = flags.finetune;
  f.epochs = epochs;
  command.add_option("-m,--model", flags.model, "nnlab checkpoint to compress");
  command.add_option("--data", flags.data, "fine-tuning and test data (default: the checkpoint's)");
  command.add_option("-o,--output", flags.output, "the compressed checkpoint");
  command.add_option("--finetune-epochs", f.epochs, "fine-tuning epochs (after each step)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command.add_option("--lr", f.lr, "fine-tuning learning rate")
      ->check(domain::positive())
      ->capture_default_str();
  command.add_option("--optimizer", f.optimizer, "sgd | adam | adamw")->capture_default_str();
  command.add_option("--schedule-lr", f.schedule, "fine-tuning lr schedule: none | cosine")
      ->capture_default_str();
  command.add_option("--batch-size", f.batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command.add_option("--limit", flags.limit, "fine-tune on the first N training images")
      ->check(domain::non_negative());
  command.add_option("--latency-batch", flags.latency_batch, "batch of the latency column")
      ->check(domain::positive())
      ->capture_default_str();
  add_sync_bn_flag(command, flags.data_parallel);
}

CompressionInput load_for_compression(CompressionFlags& flags, const GlobalOptions& global,
                                      const core::ExecutionContext& context) {
  if (flags.model.empty()) throw core::OptionError("--model", "required (an nnlab checkpoint)");
  if (flags.output.empty()) throw core::OptionError("--output", "required");
  if (flags.finetune.epochs < 0) throw core::OptionError("--finetune-epochs", "must be >= 0");
  auto checkpoint = models::read_checkpoint(flags.model);
  auto model = models::classifier_from_checkpoint(checkpoint, flags.model);
  model.to(context.device);
  if (flags.data.empty()) flags.data = checkpoint.meta.value("data", "fashion-mnist");
  auto split = data::load_data(flags.data, data_options_for(model.info()));
  if (flags.limit > 0) split.train = split.train.head(flags.limit);
  flags.finetune.progress = !global.quiet;
  flags.finetune.seed = global.runtime.seed;
  auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  if (group) train::shard_training(flags.finetune, *group);
  return {std::move(checkpoint), std::move(model), std::move(split), std::move(group)};
}

bool output_is_nnz(const CompressionFlags& flags) {
  const std::string suffix = ".nnz";
  const auto& out = flags.output;
  return out.size() >= suffix.size() &&
         out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double test_accuracy(models::Classifier& model, const CompressionInput& input,
                     const CompressionFlags& flags) {
  const train::EvalOptions options{flags.finetune.eval_batch_size, false, "test"};
  return (input.group ? train::evaluate(model, input.split.test, options, *input.group)
                      : train::evaluate(model, input.split.test, options))
      .accuracy;
}

void finetune(models::Classifier& model, const CompressionInput& input,
              const CompressionFlags& flags, int round, train::TrainHooks hooks) {
  if (flags.finetune.epochs == 0) return;
  auto options = flags.finetune;
  options.seed = flags.finetune.seed + round;
  if (input.group) {
    // The gradients are averaged first: masks and centroid sums then act on the global mean.
    hooks = train::combine_hooks(train::data_parallel_hooks(input.group, flags.data_parallel),
                                 std::move(hooks));
    train::prepare_data_parallel(*model.module(), input.group, flags.data_parallel);
  }
  train::Trainer(model, options, std::move(hooks)).fit({input.split.train, {}});
}

models::Checkpoint compressed_checkpoint(const models::Classifier& model,
                                         const CompressionInput& input, const std::string& key,
                                         nlohmann::json section) {
  auto out = models::make_checkpoint(model);
  out.meta = input.checkpoint.meta;
  out.meta.erase("train");  // the training state of the original does not resume this one
  out.meta.erase("epoch");
  out.blobs.clear();
  out.meta[key] = std::move(section);
  return out;
}

nlohmann::json save_compressed(const models::Classifier& model, const CompressionInput& input,
                               const CompressionFlags& flags, const std::string& key,
                               const nlohmann::json& section) {
  if (input.reports()) {
    models::save_checkpoint(flags.output, compressed_checkpoint(model, input, key, section));
  }
  auto json = section;
  json["checkpoint"] = flags.output;
  return json;
}

}  // namespace nnlab::app
