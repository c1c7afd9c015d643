#include "compression_flags.h"

#include <algorithm>
#include <sstream>

#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/train/data_parallel.h"
#include "nnlab/train/process_group.h"

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
  model.to(context);
  if (flags.data.empty()) flags.data = checkpoint.meta.value("data", "fashion-mnist");
  auto split = data::load_data(flags.data, data_options_for(model.info()));
  if (flags.limit > 0) split.train = split.train.head(flags.limit);
  flags.finetune.progress = !global.quiet;
  flags.finetune.seed = global.runtime.seed;
  auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  if (group) train::shard_training(flags.finetune, *group);
  compress::FineTuning tuning;
  tuning.data = std::move(split);
  tuning.train = flags.finetune;
  tuning.group = std::move(group);
  tuning.data_parallel = flags.data_parallel;
  return {std::move(checkpoint), std::move(model), std::move(tuning)};
}

bool output_is_nnz(const CompressionFlags& flags) {
  const std::string suffix = ".nnz";
  const auto& out = flags.output;
  return out.size() >= suffix.size() &&
         out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::pair<std::string, double>> parse_layer_values(
    const std::string& flag, const std::string& text, const std::string& expected,
    bool (*valid)(double), const std::vector<std::string>& prunable) {
  std::vector<std::pair<std::string, double>> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto eq = item.find('=');
    double value = 0;
    bool ok = false;
    try {
      std::size_t used = 0;
      if (eq != std::string::npos && eq > 0) {
        value = std::stod(item.substr(eq + 1), &used);
        ok = used == item.size() - eq - 1 && valid(value);
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) throw core::OptionError(flag, "expected LAYER=" + expected + ", got '" + item + "'");
    auto layer = item.substr(0, eq);
    const auto has = [&](const std::string& name) {
      return std::find(prunable.begin(), prunable.end(), name) != prunable.end();
    };
    if (!has(layer) && has(layer + ".weight")) layer += ".weight";
    if (!has(layer)) {
      std::string known;
      for (const auto& p : prunable) known += (known.empty() ? "" : ", ") + p;
      throw core::OptionError(
          flag, "the model has no prunable weight '" + layer + "' (it has: " + known + ")");
    }
    out.emplace_back(layer, value);
  }
  if (out.empty()) throw core::OptionError(flag, "no layers given");
  return out;
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
