#include "nnlab/compress/channel_pruning.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "nnlab/core/error.h"
#include "nnlab/models/layer_surgery.h"
#include "nnlab/models/resnet.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

namespace {

using ModuleMap = torch::OrderedDict<std::string, std::shared_ptr<torch::nn::Module>>;

std::int64_t out_channels(const torch::nn::Module& module) {
  if (const auto* conv = module.as<torch::nn::Conv2d>()) return conv->weight.size(0);
  if (const auto* linear = module.as<torch::nn::Linear>()) return linear->weight.size(0);
  return 0;
}

torch::nn::Module& module_at(const ModuleMap& modules, const std::string& path) {
  const auto* found = modules.find(path);
  if (found == nullptr)
    throw core::OptionError("prune_channels.model", "structured pruning: no module '" + path + "'");
  return **found;
}

std::shared_ptr<torch::nn::Module> native_module(const models::Classifier& model) {
  const auto module = model.module();
  if (!module) {
    throw core::OptionError("prune_channels.model",
                            "structured pruning needs a native model (not TorchScript or an "
                            "ensemble)");
  }
  return module;
}

// Chains: one group per producer, consumed by the next producer in forward order.
std::vector<ChannelGroup> chain_groups(const models::Classifier& model, const ModuleMap& modules,
                                       const models::ModelSummary& summary) {
  std::vector<ChannelGroup> groups;
  std::optional<ChannelGroup> current;
  for (const auto& row : summary.layers) {
    if (row.type == "Add" || row.type == "Cat") {
      throw core::OptionError("prune_channels.model",
                              "structured pruning of '" + model.info().arch + "': its branches (" +
                                  row.type + " at " + row.name + ") are not supported");
    }
    if (row.parameters == 0 || !modules.contains(row.name)) continue;
    const auto& module = *modules[row.name];
    if (module.as<torch::nn::BatchNorm2d>() || module.as<torch::nn::BatchNorm1d>()) {
      if (current) current->followers.push_back(row.name);
      continue;
    }
    const auto* conv = module.as<torch::nn::Conv2d>();
    const auto* linear = module.as<torch::nn::Linear>();
    if (conv && models::is_depthwise(*conv)) {
      if (current) current->followers.push_back(row.name);
      continue;
    }
    if (!conv && !linear) {
      throw core::OptionError("prune_channels.model", "structured pruning: layer '" + row.name +
                                                          "' (" + row.type + ") is not supported");
    }
    if (conv && conv->options.groups() != 1) {
      throw core::OptionError("prune_channels.model", "structured pruning: grouped convolution '" +
                                                          row.name + "' is not supported");
    }
    if (current) {
      const std::int64_t in = conv ? conv->weight.size(1) : linear->weight.size(1);
      if (in % current->channels != 0) {
        throw core::OptionError("prune_channels.model",
                                "structured pruning: '" + row.name + "' reads " +
                                    std::to_string(in) + " inputs from " +
                                    std::to_string(current->channels) + " channels");
      }
      current->consumers.push_back({row.name, in / current->channels});
      groups.push_back(std::move(*current));
    }
    current = ChannelGroup{row.name, out_channels(module), {row.name}, {}, {}};
  }
  return groups;  // the last producer is the classifier's output: never pruned
}

// ResNets: the groups the residual additions tie together.
std::vector<ChannelGroup> resnet_groups(const models::ResNetImpl& net, const ModuleMap& modules) {
  std::vector<ChannelGroup> groups;
  ChannelGroup stream{"conv1", net.conv1->weight.size(0), {"conv1"}, {"bn1"}, {}};
  const std::pair<const char*, const torch::nn::Sequential*> stages[] = {{"layer1", &net.layer1},
                                                                         {"layer2", &net.layer2},
                                                                         {"layer3", &net.layer3},
                                                                         {"layer4", &net.layer4}};
  for (const auto& [stage, layer] : stages) {
    for (std::size_t i = 0; i < (*layer)->size(); ++i) {
      const std::string block = std::string(stage) + "." + std::to_string(i);
      const bool bottleneck = modules.contains(block + ".conv3");
      if (modules.contains(block + ".downsample")) {
        stream.consumers.push_back({block + ".conv1", 1});
        stream.consumers.push_back({block + ".downsample.0", 1});
        groups.push_back(std::move(stream));
        const auto name = block + ".downsample.0";
        stream = ChannelGroup{
            name, out_channels(module_at(modules, name)), {name}, {block + ".downsample.1"}, {}};
      } else {
        stream.consumers.push_back({block + ".conv1", 1});
      }
      const int inner = bottleneck ? 2 : 1;
      for (int k = 1; k <= inner; ++k) {
        const auto conv = block + ".conv" + std::to_string(k);
        groups.push_back({conv,
                          out_channels(module_at(modules, conv)),
                          {conv},
                          {block + ".bn" + std::to_string(k)},
                          {{block + ".conv" + std::to_string(k + 1), 1}}});
      }
      const auto last = std::to_string(inner + 1);
      stream.producers.push_back(block + ".conv" + last);
      stream.followers.push_back(block + ".bn" + last);
    }
  }
  stream.consumers.push_back({"fc", 1});
  groups.push_back(std::move(stream));
  return groups;
}

// The groups of a model; `summary` gives a chain's forward order and is computed only when it is
// needed and not given.
std::vector<ChannelGroup> groups_of(models::Classifier& model,
                                    const models::ModelSummary* summary) {
  const auto module = native_module(model);
  const auto modules = module->named_modules();
  if (const auto* resnet = dynamic_cast<const models::ResNetImpl*>(module.get())) {
    return resnet_groups(*resnet, modules);
  }
  return chain_groups(model, modules, summary ? *summary : models::summarize(model));
}

void check_options(const ChannelPruningOptions& options) {
  if (!(options.ratio > 0 && options.ratio < 1)) {
    throw core::OptionError("ChannelPruningOptions.ratio",
                            "must be in (0, 1), got " + std::to_string(options.ratio));
  }
  if (options.importance != "l1" && options.importance != "l2" && options.importance != "bn") {
    throw core::OptionError("ChannelPruningOptions.importance",
                            "must be l1, l2 or bn, got '" + options.importance + "'");
  }
}

bool has_batch_norm(const ChannelGroup& group, const ModuleMap& modules) {
  return std::any_of(group.followers.begin(), group.followers.end(), [&](const std::string& f) {
    const auto& m = module_at(modules, f);
    return m.as<torch::nn::BatchNorm2d>() != nullptr || m.as<torch::nn::BatchNorm1d>() != nullptr;
  });
}

// The groups named, or every group; with bn importance and no names, every group that has a
// BatchNorm (network slimming prunes those only).
std::vector<ChannelGroup> selected_groups(models::Classifier& model,
                                          std::vector<ChannelGroup> groups,
                                          const ChannelPruningOptions& options) {
  const auto& names = options.layers;
  if (names.empty() && options.importance == "bn") {
    const auto modules = native_module(model)->named_modules();
    std::vector<ChannelGroup> with_bn;
    for (auto& g : groups) {
      if (has_batch_norm(g, modules)) with_bn.push_back(std::move(g));
    }
    if (with_bn.empty()) {
      throw core::OptionError("ChannelPruningOptions.importance",
                              "bn: " + model.info().arch + " has no BatchNorm; use l1 or l2");
    }
    return with_bn;
  }
  if (names.empty()) return groups;
  std::vector<ChannelGroup> out;
  for (const auto& name : names) {
    const auto it = std::find_if(groups.begin(), groups.end(),
                                 [&](const ChannelGroup& g) { return g.name == name; });
    if (it == groups.end()) {
      std::string known;
      for (const auto& g : groups) known += (known.empty() ? "" : ", ") + g.name;
      throw core::OptionError("ChannelPruningOptions.layers",
                              "no prunable layer '" + name + "'; prunable: " + known);
    }
    out.push_back(*it);
  }
  return out;
}

// The MAC bookkeeping: each conv / linear row and the groups it writes and reads.
struct MacPlan {
  struct Row {
    std::int64_t macs = 0;
    int out_group = -1, in_group = -1;
  };
  std::vector<Row> rows;
  std::vector<ChannelGroup> groups;
};

MacPlan mac_plan(models::Classifier& model, const ChannelPruningOptions& options) {
  MacPlan plan;
  const auto summary = models::summarize(model);  // one forward pass for the groups and the MACs
  plan.groups = selected_groups(model, groups_of(model, &summary), options);
  std::map<std::string, int> writes, reads;
  for (int g = 0; g < static_cast<int>(plan.groups.size()); ++g) {
    for (const auto& p : plan.groups[g].producers) writes[p] = g;
    for (const auto& f : plan.groups[g].followers) writes[f] = g;
    for (const auto& c : plan.groups[g].consumers) reads[c.layer] = g;
  }
  for (const auto& layer : summary.layers) {
    MacPlan::Row row{layer.macs, -1, -1};
    if (const auto it = writes.find(layer.name); it != writes.end()) row.out_group = it->second;
    if (const auto it = reads.find(layer.name); it != reads.end()) row.in_group = it->second;
    plan.rows.push_back(row);
  }
  return plan;
}

std::int64_t planned_macs(const MacPlan& plan, double ratio) {
  std::vector<double> kept;
  for (const auto& g : plan.groups) {
    kept.push_back(static_cast<double>(channels_kept(g.channels, ratio)) /
                   static_cast<double>(g.channels));
  }
  double total = 0;
  for (const auto& row : plan.rows) {
    double macs = static_cast<double>(row.macs);
    if (row.out_group >= 0) macs *= kept[static_cast<std::size_t>(row.out_group)];
    if (row.in_group >= 0) macs *= kept[static_cast<std::size_t>(row.in_group)];
    total += macs;
  }
  return static_cast<std::int64_t>(std::llround(total));
}

void shrink(torch::Tensor& tensor, std::int64_t dim, const torch::Tensor& index) {
  if (!tensor.defined()) return;
  tensor.set_data(tensor.detach().index_select(dim, index.to(tensor.device())).contiguous());
  if (tensor.requires_grad()) tensor.mutable_grad() = torch::Tensor();
}

void shrink_outputs(torch::nn::Module& module, const torch::Tensor& keep) {
  if (auto* conv = module.as<torch::nn::Conv2d>()) {
    shrink(conv->weight, 0, keep);
    shrink(conv->bias, 0, keep);
  } else if (auto* linear = module.as<torch::nn::Linear>()) {
    shrink(linear->weight, 0, keep);
    shrink(linear->bias, 0, keep);
  } else if (auto* bn = module.as<torch::nn::BatchNorm2d>()) {
    for (auto* t : {&bn->weight, &bn->bias, &bn->running_mean, &bn->running_var}) {
      shrink(*t, 0, keep);
    }
  } else if (auto* bn1 = module.as<torch::nn::BatchNorm1d>()) {
    for (auto* t : {&bn1->weight, &bn1->bias, &bn1->running_mean, &bn1->running_var}) {
      shrink(*t, 0, keep);
    }
  }
}

void shrink_inputs(torch::nn::Module& module, const torch::Tensor& keep, std::int64_t spatial) {
  if (auto* conv = module.as<torch::nn::Conv2d>()) {
    shrink(conv->weight, 1, keep);
  } else if (auto* linear = module.as<torch::nn::Linear>()) {
    const auto columns =
        (keep.unsqueeze(1) * spatial + torch::arange(spatial, keep.options())).flatten();
    shrink(linear->weight, 1, columns);
  }
}

}  // namespace

std::vector<ChannelGroup> channel_groups(models::Classifier& model) {
  return groups_of(model, nullptr);
}

std::int64_t channels_kept(std::int64_t channels, double ratio) {
  return std::max<std::int64_t>(1, std::llround(static_cast<double>(channels) * (1.0 - ratio)));
}

torch::Tensor channel_importance(models::Classifier& model, const ChannelGroup& group,
                                 const std::string& importance) {
  const auto modules = native_module(model)->named_modules();
  torch::NoGradGuard no_grad;
  auto score = torch::zeros({group.channels}, torch::kDouble);
  bool found = false;
  if (importance == "bn") {
    for (const auto& name : group.followers) {
      const auto& module = module_at(modules, name);
      torch::Tensor gamma;
      if (const auto* bn = module.as<torch::nn::BatchNorm2d>()) gamma = bn->weight;
      if (const auto* bn1 = module.as<torch::nn::BatchNorm1d>()) gamma = bn1->weight;
      if (!gamma.defined()) continue;
      score += gamma.detach().abs().to(torch::kCPU, torch::kDouble);
      found = true;
    }
    if (!found) {
      throw core::OptionError(
          "ChannelPruningOptions.importance",
          "bn: layer '" + group.name + "' has no BatchNorm after it; use l1 or l2");
    }
    return score;
  }
  for (const auto& name : group.producers) {
    const auto& module = module_at(modules, name);
    torch::Tensor weight;
    if (const auto* conv = module.as<torch::nn::Conv2d>()) weight = conv->weight;
    if (const auto* linear = module.as<torch::nn::Linear>()) weight = linear->weight;
    const auto rows = weight.detach().to(torch::kCPU, torch::kDouble).flatten(1);
    score += importance == "l1" ? rows.abs().sum(1) : rows.pow(2).sum(1).sqrt();
  }
  return score;
}

std::int64_t macs_after_channel_pruning(models::Classifier& model,
                                        const ChannelPruningOptions& options) {
  check_options(options);
  return planned_macs(mac_plan(model, options), options.ratio);
}

double ratio_for_macs(models::Classifier& model, std::int64_t target_macs,
                      ChannelPruningOptions options) {
  options.ratio = 0.5;
  check_options(options);
  const auto plan = mac_plan(model, options);
  if (planned_macs(plan, 0) <= target_macs) return 0;
  double lo = 0, hi = 0.999;
  if (planned_macs(plan, hi) > target_macs) {
    throw core::OptionError("ratio_for_macs.target_macs",
                            "cannot reach " + std::to_string(target_macs) +
                                " MACs by pruning channels of " + model.info().arch);
  }
  while (hi - lo > 1e-3) {
    const double mid = (lo + hi) / 2;
    (planned_macs(plan, mid) <= target_macs ? hi : lo) = mid;
  }
  return hi;
}

std::vector<PrunedGroup> prune_channels(models::Classifier& model,
                                        const ChannelPruningOptions& options) {
  check_options(options);
  const auto groups = selected_groups(model, channel_groups(model), options);
  std::vector<torch::Tensor> keep;
  for (const auto& group : groups) {  // every importance before any tensor changes
    const auto score = channel_importance(model, group, options.importance);
    const auto kept = channels_kept(group.channels, options.ratio);
    keep.push_back(std::get<0>(std::get<1>(score.topk(kept)).sort()));
  }
  const auto module = native_module(model);
  const auto modules = module->named_modules();
  std::vector<PrunedGroup> report;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    for (const auto& name : group.producers) shrink_outputs(module_at(modules, name), keep[g]);
    for (const auto& name : group.followers) shrink_outputs(module_at(modules, name), keep[g]);
    for (const auto& consumer : group.consumers) {
      shrink_inputs(module_at(modules, consumer.layer), keep[g], consumer.spatial);
    }
    report.push_back({group.name, group.channels, keep[g].numel()});
  }
  models::sync_layer_options(*module);
  model.info().widths_from_weights = true;
  return report;
}

}  // namespace nnlab::compress
