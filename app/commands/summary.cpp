// nnlab summary: a model's layers (type, output shape, parameters, MACs) and its totals.
#include "nnlab/models/summary.h"

#include <array>
#include <memory>
#include <sstream>
#include <string>

#include "commands/commands.h"
#include "model_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct SummaryCommandOptions {
  ModelFlags model;
  bool show_shape_ops = false;
};

// "3x224x224" -> {3, 224, 224}.
std::array<std::int64_t, 3> parse_input_size(const std::string& text) {
  std::array<std::int64_t, 3> size{};
  std::stringstream stream(text);
  std::string part;
  std::size_t count = 0;
  while (std::getline(stream, part, 'x')) {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (count >= size.size() || used == 0 || used != part.size() || value <= 0) {
      count = size.size() + 1;
      break;
    }
    size[count++] = value;
  }
  if (count != size.size()) {
    throw core::OptionError(
        "--input-size", "expected CxHxW with positive sizes, like 3x224x224, got '" + text + "'");
  }
  return size;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text;
  for (const auto size : shape) {
    text += (text.empty() ? "" : "x") + std::to_string(size);
  }
  return text;
}

// MACs the way papers quote them: "1.81 G", "15.47 G", "0.42 M".
std::string scaled_macs(std::int64_t macs) {
  const auto value = static_cast<double>(macs);
  return value >= 1e9 ? report::fixed(value / 1e9) + " G" : report::fixed(value / 1e6) + " M";
}

std::string human_summary(const models::ModelSummary& summary) {
  report::Table table({"Layer", "Type", "Output shape", "Params", "MACs"});
  for (const auto& layer : summary.layers) {
    table.add_row({layer.name, layer.type, shape_text(layer.output_shape),
                   report::grouped(layer.parameters), report::grouped(layer.macs)});
  }
  table.add_rule();
  table.add_row({"Total", "", "", report::grouped(summary.total_params),
                 report::grouped(summary.total_macs)});

  std::ostringstream out;
  out << summary.arch << ", input " << shape_text(summary.input_shape) << "\n\n";
  out << table.render() << "\n";
  out << "Total parameters:     " << report::grouped(summary.total_params) << "\n";
  out << "Trainable parameters: " << report::grouped(summary.trainable_params) << "\n";
  out << "MACs:                 " << report::grouped(summary.total_macs) << " ("
      << scaled_macs(summary.total_macs) << ")\n";
  out << "Parameter size:       " << report::grouped(summary.param_bytes) << " bytes ("
      << report::fixed(static_cast<double>(summary.param_bytes) / (1024.0 * 1024.0)) << " MiB)\n";
  if (!summary.unreached_parameters.empty()) {
    out << "Unused in the forward pass (counted in the totals):";
    for (const auto& name : summary.unreached_parameters) {
      out << " " << name;
    }
    out << "\n";
  }
  return out.str();
}

nlohmann::json json_summary(const models::ModelSummary& summary) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : summary.layers) {
    layers.push_back({{"name", layer.name},
                      {"type", layer.type},
                      {"output_shape", layer.output_shape},
                      {"params", layer.parameters},
                      {"macs", layer.macs}});
  }
  return {{"arch", summary.arch},
          {"input_shape", summary.input_shape},
          {"layers", layers},
          {"total_params", summary.total_params},
          {"trainable_params", summary.trainable_params},
          {"total_macs", summary.total_macs},
          {"param_bytes", summary.param_bytes},
          {"unreached_parameters", summary.unreached_parameters}};
}

void run_summary(const SummaryCommandOptions& options, const GlobalOptions& global) {
  // --input-size is the TorchScript module's spec for the loader and, for any model, the input
  // the summary runs on.
  models::SummaryOptions summary_options;
  if (!options.model.input_size.empty()) {
    const auto size = parse_input_size(options.model.input_size);
    summary_options.in_channels = size[0];
    summary_options.height = size[1];
    summary_options.width = size[2];
  }
  summary_options.show_shape_ops = options.show_shape_ops;
  const auto device = start(global);
  auto model = load_model_from_flags(options.model, device, /*allow_fresh=*/true);
  const auto summary = models::summarize(model, summary_options);
  emit(global, json_summary(summary), human_summary(summary));
}

}  // namespace

void setup_summary(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<SummaryCommandOptions>();
  auto* command =
      app.add_subcommand("summary", "per-layer output shapes, parameters and MACs of a model");
  add_model_flags(*command, options->model, /*allow_fresh=*/true);
  command->add_flag("--show-shape-ops", options->show_shape_ops,
                    "also list view, reshape, flatten and transpose ops");
  command->callback([options, &global] { run_summary(*options, global); });
}

}  // namespace nnlab::app
