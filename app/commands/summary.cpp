// nnlab summary: a model's layers (type, output shape, parameters, MACs) and its totals.
#include "nnlab/models/summary.h"

#include <array>
#include <memory>
#include <sstream>
#include <string>

#include "commands/commands.h"
#include "model_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/models/depthwise_savings.h"
#include "nnlab/models/latency.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct SummaryCommandOptions {
  ModelFlags model;
  bool show_shape_ops = false;
  bool depthwise = false;
  bool latency = false;
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
  const core::ExecutionContext context = start(global);
  auto model = load_model_from_flags(options.model, context, /*allow_fresh=*/true);
  const auto summary = models::summarize(model, summary_options);
  auto json = json_summary(summary);
  auto human = human_summary(summary);
  if (options.depthwise) {
    // The lecture's arithmetic: K*K*I*O parameters against K*K*I + I*O.
    report::Table table(
        {"conv", "k", "in", "out", "k*k*in*out", "k*k*in + in*out", "ratio", "1/out + 1/k^2"});
    json["depthwise_separable"] = nlohmann::json::array();
    std::int64_t before = 0, after = 0;
    for (const auto& s : models::depthwise_separable_savings(model)) {
      table.add_row({s.name, std::to_string(s.kernel), std::to_string(s.in), std::to_string(s.out),
                     report::grouped(s.params), report::grouped(s.separable_params),
                     report::fixed(s.ratio, 4),
                     report::fixed(1.0 / static_cast<double>(s.out) +
                                       1.0 / static_cast<double>(s.kernel * s.kernel),
                                   4)});
      json["depthwise_separable"].push_back({{"name", s.name},
                                             {"kernel", s.kernel},
                                             {"in", s.in},
                                             {"out", s.out},
                                             {"params", s.params},
                                             {"separable_params", s.separable_params},
                                             {"ratio", s.ratio}});
      before += s.params;
      after += s.separable_params;
    }
    human += "\ndepthwise-separable form of each standard convolution (weights, no biases)\n" +
             table.render() + "total: " + report::grouped(before) + " -> " +
             report::grouped(after) + "\n";
  }
  if (options.latency) {
    human += "\nlatency (forward, median of 20 after 3 warm-up runs)\n";
    json["latency"] = nlohmann::json::array();
    for (const std::int64_t batch : {1, 64}) {
      models::LatencyOptions latency_options;
      latency_options.batch_size = batch;
      const auto l = models::measure_latency(model, latency_options);
      json["latency"].push_back({{"batch_size", batch},
                                 {"median_ms", l.median_ms},
                                 {"images_per_second", l.images_per_second}});
      human += "  batch " + std::to_string(batch) + ": " + report::fixed(l.median_ms, 3) + " ms (" +
               report::fixed(l.images_per_second, 0) + " images/s)\n";
    }
  }
  emit(global, context, json, human);
}

}  // namespace

void setup_summary(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<SummaryCommandOptions>();
  auto* command =
      app.add_subcommand("summary", "per-layer output shapes, parameters and MACs of a model");
  add_model_flags(*command, options->model, /*allow_fresh=*/true);
  command->add_flag("--show-shape-ops", options->show_shape_ops,
                    "also list view, reshape, flatten and transpose ops");
  command->add_flag("--depthwise", options->depthwise,
                    "each k x k convolution's parameters against its depthwise-separable form");
  command->add_flag("--latency", options->latency,
                    "measure forward latency at batch 1 and 64 (median of 20 runs)");
  command->callback([options, &global] { run_summary(*options, global); });
}

}  // namespace nnlab::app
