#include "nnlab/models/summary.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/accumulate_grad.h>
#include <torch/csrc/autograd/functions/tensor.h>
#include <torch/csrc/autograd/generated/Functions.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "nnlab/core/error.h"

namespace nnlab::models {

namespace {

using torch::autograd::Node;
using Shape = std::vector<std::int64_t>;

// Float32 is the size a model is compared by, whatever dtype it happens to be loaded in.
constexpr std::int64_t kFloat32Bytes = 4;

std::int64_t numel(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

std::string shape_text(const Shape& shape) {
  std::string text;
  for (const auto size : shape) {
    text += (text.empty() ? "" : "x") + std::to_string(size);
  }
  return text;
}

// The op behind a node, without namespace and "Backward<N>" suffix: "AddmmBackward0" -> "Addmm".
// An in-place op on a view records a CopySlices node wrapping the op's own node.
std::string op_name(const Node& node) {
  if (const auto* copy = dynamic_cast<const torch::autograd::CopySlices*>(&node);
      copy != nullptr && copy->fn) {
    return op_name(*copy->fn);
  }
  std::string name = node.name();
  if (const auto colon = name.rfind("::"); colon != std::string::npos) {
    name = name.substr(colon + 2);
  }
  if (const auto backward = name.rfind("Backward"); backward != std::string::npos) {
    const auto suffix = name.substr(backward + 8);
    if (std::all_of(suffix.begin(), suffix.end(), [](char c) { return std::isdigit(c) != 0; })) {
      name.resize(backward);
    }
  }
  return name;
}

// Ops that only change how data is laid out or addressed: hidden by default, and transparent
// when they sit between a parameter and the op that uses it (Linear sees weight.t()).
bool is_shape_op(const std::string& op) {
  static const std::unordered_set<std::string> ops{
      "View",   "ReshapeAlias", "UnsafeView", "T",         "Transpose", "Permute",
      "Expand", "Squeeze",      "Unsqueeze",  "Clone",     "Slice",     "Select",
      "Alias",  "AsStrided",    "ToCopy",     "Unbind",    "Split",     "SplitWithSizes",
      "Narrow", "Flatten",      "Unflatten",  "Contiguous"};
  return ops.count(op) != 0;
}

// LibTorch 1.13 keeps InputMetadata's shape accessors private (2.0 made them public); the only
// public way to the shape, zeros_like(), would allocate a copy of every activation. Access checks
// do not apply to the template arguments of an explicit instantiation ([temp.spec]/6), which
// lets us take the accessors' addresses.
using IsNestedFn = bool (torch::autograd::InputMetadata::*)() const;
using ShapeFn = c10::SymIntArrayRef (torch::autograd::InputMetadata::*)() const;
IsNestedFn is_nested_accessor();
ShapeFn shape_accessor();
template <IsNestedFn IsNested, ShapeFn Shape>
struct MetadataAccess {
  friend IsNestedFn is_nested_accessor() { return IsNested; }
  friend ShapeFn shape_accessor() { return Shape; }
};
template struct MetadataAccess<&torch::autograd::InputMetadata::is_nested_tensor,
                               &torch::autograd::InputMetadata::shape_as_dim_vector>;

// The shape of forward output `index` of the op behind `node`.
std::optional<Shape> output_shape(const Node& node, std::size_t index) {
  if (index >= node.num_inputs()) {
    return std::nullopt;
  }
  const auto& metadata = node.input_metadata(index);
  if ((metadata.*is_nested_accessor())()) {
    return std::nullopt;
  }
  Shape shape;
  for (const auto& size : (metadata.*shape_accessor())()) {
    shape.push_back(size.expect_int());
  }
  return shape;
}

// The shape of forward input `index` of the op behind `node`, as its producer recorded it;
// nothing when that input did not require grad.
std::optional<Shape> input_shape(const Node& node, std::size_t index) {
  if (index >= node.num_outputs()) {
    return std::nullopt;
  }
  const auto& edge = node.next_edge(index);
  if (!edge.is_valid()) {
    return std::nullopt;
  }
  return output_shape(*edge.function, edge.input_nr);
}

// The leaf tensor behind a node: the node itself is its AccumulateGrad, or a chain of shape ops
// with a single input each leads to it. nullptr for anything that depends on the data.
const at::TensorImpl* leaf_behind(const Node* node) {
  for (int depth = 0; node != nullptr && depth < 16; ++depth) {
    if (const auto* accumulate = dynamic_cast<const torch::autograd::AccumulateGrad*>(node)) {
      return accumulate->variable.unsafeGetTensorImpl();
    }
    if (!is_shape_op(op_name(*node))) {
      return nullptr;
    }
    const Node* next = nullptr;
    int inputs = 0;
    for (const auto& edge : node->next_edges()) {
      if (edge.is_valid()) {
        next = edge.function.get();
        ++inputs;
      }
    }
    if (inputs != 1) {
      return nullptr;
    }
    node = next;
  }
  return nullptr;
}

// "MaxPool2DWithIndices" -> "MaxPool2d", "AdaptiveAvgPool2D" -> "AdaptiveAvgPool2d": the name
// of the nn module that produces the op.
std::string module_style(std::string op) {
  if (const auto at = op.find("WithIndices"); at != std::string::npos) {
    op.erase(at, std::string("WithIndices").size());
  }
  if (op.size() >= 2 && op.back() == 'D' && std::isdigit(op[op.size() - 2]) != 0) {
    op.back() = 'd';
  }
  static const std::unordered_map<std::string, std::string> renamed{
      {"Relu", "ReLU"},
      {"LeakyRelu", "LeakyReLU"},
      {"Gelu", "GELU"},
      {"Silu", "SiLU"},
      {"Elu", "ELU"},
      {"Prelu", "PReLU"},
      {"NativeDropout", "Dropout"},
      {"NativeLayerNorm", "LayerNorm"},
      {"NativeGroupNorm", "GroupNorm"},
      {"ReshapeAlias", "Reshape"},
      {"UnsafeView", "View"},
      {"T", "Transpose"},
      {"ToCopy", "To"}};
  if (const auto it = renamed.find(op); it != renamed.end()) {
    return it->second;
  }
  return op;
}

struct OpKind {
  std::string type;
  std::int64_t macs = 0;
};

OpKind convolution(const Node& node, const Shape& output) {
  const auto* generated =
      dynamic_cast<const torch::autograd::generated::ConvolutionBackward0*>(&node);
  const bool transposed = (generated != nullptr && generated->transposed) ||
                          op_name(node).find("Transpose") != std::string::npos;
  const auto weight = input_shape(node, 1);
  const auto spatial = weight ? weight->size() - 2 : (output.size() >= 2 ? output.size() - 2 : 0);
  OpKind kind{std::string(transposed ? "ConvTranspose" : "Conv") + std::to_string(spatial) + "d"};
  if (!weight || weight->empty()) {
    return kind;
  }
  // Every output element of a convolution sums (C_in / groups) * kh * kw products, the weight's
  // size per output channel. A transposed convolution scatters each input element instead, over
  // (C_out / groups) * kh * kw outputs, the weight's size per input channel.
  const auto per_channel = numel(*weight) / weight->front();
  if (!transposed) {
    kind.macs = numel(output) * per_channel;
  } else if (const auto input = input_shape(node, 0)) {
    kind.macs = numel(*input) * per_channel;
  } else if (generated != nullptr) {
    // The input did not require grad (a first layer): its shape is only in the saved copy.
    try {
      const auto saved = generated->input_.unpack();
      kind.macs = saved.defined() ? saved.numel() * per_channel : 0;
    } catch (const c10::Error&) {
      kind.macs = 0;  // the input was modified in place since: nothing to read the shape from
    }
  }
  return kind;
}

// Matrix products: every output element sums K products, K the inner dimension read from
// whichever operand required grad (the weight always does here).
std::int64_t matmul_macs(const Node& node, const std::string& op, const Shape& output) {
  // For each op: (edge index, dimension of that operand that is K), in order of preference.
  std::vector<std::pair<std::size_t, int>> inner;
  if (op == "Addmm") {
    inner = {{2, 0}, {1, -1}};
  } else if (op == "Mm" || op == "Bmm") {
    inner = {{1, -2}, {0, -1}};
  } else {  // Linear(input, weight (out, in), bias)
    inner = {{1, -1}, {0, -1}};
  }
  for (const auto& [edge, dim] : inner) {
    const auto shape = input_shape(node, edge);
    if (shape && static_cast<int>(shape->size()) >= -dim && !shape->empty()) {
      const auto k = dim >= 0 ? (*shape)[static_cast<std::size_t>(dim)]
                              : (*shape)[shape->size() - static_cast<std::size_t>(-dim)];
      return numel(output) * k;
    }
  }
  return 0;
}

// Collects every op node reachable from the output, AccumulateGrad leaves excluded.
std::vector<Node*> graph_nodes(const std::shared_ptr<Node>& root) {
  std::vector<Node*> nodes;
  if (!root) {
    return nodes;
  }
  std::unordered_set<Node*> seen{root.get()};
  std::vector<Node*> stack{root.get()};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (dynamic_cast<torch::autograd::AccumulateGrad*>(node) == nullptr) {
      nodes.push_back(node);
    }
    for (const auto& edge : node->next_edges()) {
      if (edge.is_valid() && seen.insert(edge.function.get()).second) {
        stack.push_back(edge.function.get());
      }
    }
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node* a, const Node* b) { return a->sequence_nr() < b->sequence_nr(); });
  return nodes;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream stream(path);
  std::string part;
  while (std::getline(stream, part, '.')) {
    parts.push_back(part);
  }
  return parts;
}

std::string join_path(const std::vector<std::string>& parts, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    path += (path.empty() ? "" : ".") + parts[i];
  }
  return path;
}

std::string parent_path(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string common_path(const std::string& a, const std::string& b) {
  const auto pa = split_path(a);
  const auto pb = split_path(b);
  std::size_t n = 0;
  while (n < pa.size() && n < pb.size() && pa[n] == pb[n]) {
    ++n;
  }
  return join_path(pa, n);
}

struct Parameter {
  std::string name;
  torch::Tensor tensor;
};

// One graph node on its way to becoming a row.
struct Row {
  LayerSummary layer;
  std::vector<std::size_t> parameters;  // indices into the model's parameters, ascending
  std::string module;                   // empty for parameter-free ops
};

// Puts the model back as it was found, whatever happens in the forward pass.
class ForwardState {
 public:
  ForwardState(Classifier& model, const std::vector<Parameter>& parameters) : model_(model) {
    was_training_ = model.is_training();
    for (const auto& parameter : parameters) {
      requires_grad_.push_back(parameter.tensor.requires_grad());
    }
    parameters_ = &parameters;
  }
  ForwardState(const ForwardState&) = delete;
  ForwardState& operator=(const ForwardState&) = delete;
  ~ForwardState() {
    for (std::size_t i = 0; i < parameters_->size(); ++i) {
      auto tensor = (*parameters_)[i].tensor;
      if (tensor.requires_grad() != requires_grad_[i]) {
        tensor.requires_grad_(requires_grad_[i]);
      }
    }
    model_.train(was_training_);
  }

 private:
  Classifier& model_;
  const std::vector<Parameter>* parameters_ = nullptr;
  std::vector<bool> requires_grad_;
  bool was_training_ = false;
};

// One line for main() to print: the message without backtrace, and for a TorchScript error the
// interpreter's final "RuntimeError: ..." line rather than its traceback header.
std::string one_line(const std::exception& error) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&error);
  const std::string text =
      c10_error != nullptr ? c10_error->what_without_backtrace() : error.what();
  std::vector<std::string> lines;
  std::stringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->rfind("RuntimeError: ", 0) == 0) {
      return it->substr(14);
    }
  }
  return lines.empty() ? text : lines.front();
}

}  // namespace

ModelSummary summarize(Classifier& model, const SummaryOptions& options) {
  const auto& info = model.info();
  if (options.in_channels < 0 || options.height < 0 || options.width < 0) {
    throw core::OptionError("SummaryOptions.in_channels/SummaryOptions.height/SummaryOptions.width",
                            "sizes must be positive (0: the model's own), got " +
                                shape_text({options.in_channels, options.height, options.width}));
  }
  ModelSummary summary;
  summary.arch = info.arch;
  summary.input_shape = {1, options.in_channels > 0 ? options.in_channels : info.in_channels,
                         options.height > 0 ? options.height : info.height,
                         options.width > 0 ? options.width : info.width};

  // Tied parameters (one tensor under two names) count once, under their first name.
  std::vector<Parameter> parameters;
  std::unordered_map<const at::TensorImpl*, std::size_t> parameter_index;
  for (auto& [name, tensor] : model.named_parameters()) {
    if (parameter_index.emplace(tensor.unsafeGetTensorImpl(), parameters.size()).second) {
      summary.total_params += tensor.numel();
      summary.trainable_params += tensor.requires_grad() ? tensor.numel() : 0;
      parameters.push_back({name, tensor});
    }
  }
  std::int64_t stored_elements = summary.total_params;
  std::unordered_set<const at::TensorImpl*> buffers;
  for (const auto& [name, tensor] : model.named_buffers()) {
    if (tensor.defined() && buffers.insert(tensor.unsafeGetTensorImpl()).second) {
      stored_elements += tensor.numel();
    }
  }
  summary.param_bytes = stored_elements * kFloat32Bytes;

  torch::Tensor output;
  std::vector<Node*> nodes;
  {
    ForwardState restore(model, parameters);
    // Eval mode: the summary describes inference, and batch norm must not update its statistics.
    model.eval();
    torch::ScalarType dtype = torch::kFloat32;
    for (auto& parameter : parameters) {
      if (parameter.tensor.is_floating_point()) {
        parameter.tensor.requires_grad_(true);
        dtype = parameter.tensor.scalar_type();
      }
    }
    torch::AutoGradMode grad_mode(/*enabled=*/true);
    // An optimized TorchScript plan may record one DifferentiableGraph node for a whole region,
    // hiding the layers inside it; the unoptimized graph always records op by op.
    std::optional<torch::jit::GraphOptimizerEnabledGuard> optimizer;
    if (model.is_script()) {
      optimizer.emplace(false);
    }
    const auto input = torch::zeros(summary.input_shape,
                                    torch::TensorOptions().dtype(dtype).device(model.device()));
    try {
      output = model.forward(input);
    } catch (const std::exception& error) {
      throw std::invalid_argument("summary of '" + info.arch + "': the forward pass on a " +
                                  shape_text(summary.input_shape) +
                                  " input failed: " + one_line(error));
    }
    nodes = graph_nodes(output.grad_fn());
  }

  std::vector<Row> rows;
  for (const Node* node : nodes) {
    const auto op = op_name(*node);
    if (leaf_behind(node) != nullptr) {
      continue;  // a view of a parameter (weight.t()): part of the op that uses it
    }
    if (is_shape_op(op) && !options.show_shape_ops) {
      continue;
    }
    Row row;
    row.layer.output_shape = output_shape(*node, 0).value_or(Shape{});
    for (const auto& edge : node->next_edges()) {
      if (!edge.is_valid()) {
        continue;
      }
      const auto it = parameter_index.find(leaf_behind(edge.function.get()));
      if (it != parameter_index.end()) {
        row.parameters.push_back(it->second);
      }
    }
    std::sort(row.parameters.begin(), row.parameters.end());
    row.parameters.erase(std::unique(row.parameters.begin(), row.parameters.end()),
                         row.parameters.end());

    const auto& shape = row.layer.output_shape;
    if (op.find("Conv") != std::string::npos) {
      auto kind = convolution(*node, shape);
      row.layer.type = kind.type;
      row.layer.macs = kind.macs;
    } else if (op == "Addmm" || op == "Mm" || op == "Bmm" || op == "Linear") {
      const bool has_weight =
          std::any_of(row.parameters.begin(), row.parameters.end(),
                      [&](std::size_t i) { return parameters[i].tensor.dim() == 2; });
      row.layer.type = has_weight ? "Linear" : "MatMul";
      row.layer.macs = matmul_macs(*node, op, shape);
    } else if (op.find("BatchNorm") != std::string::npos) {
      row.layer.type = "BatchNorm" + std::to_string(shape.size() >= 4 ? shape.size() - 2 : 1) + "d";
    } else if (op == "Mean" && shape.size() == 4 && shape[2] == 1 && shape[3] == 1) {
      row.layer.type = "AdaptiveAvgPool2d";  // adaptive_avg_pool2d to 1x1 runs as a mean
    } else {
      row.layer.type = module_style(op);
    }

    if (!row.parameters.empty()) {
      row.module = parameters[row.parameters.front()].name;
      for (const auto i : row.parameters) {
        row.module = common_path(row.module, parameters[i].name);
      }
      if (row.module == parameters[row.parameters.front()].name) {
        row.module = parent_path(row.module);  // one parameter: its module
      }
      if (row.module.empty()) {
        row.module = parameters[row.parameters.front()].name;  // a parameter of the model itself
      }
    }
    // A Linear on more than two dimensions runs as a matrix product and a separate bias add.
    if (!rows.empty() && !row.module.empty() && row.module == rows.back().module &&
        row.layer.type == "Add") {
      auto& previous = rows.back();
      previous.layer.output_shape = row.layer.output_shape;
      previous.parameters.insert(previous.parameters.end(), row.parameters.begin(),
                                 row.parameters.end());
      std::sort(previous.parameters.begin(), previous.parameters.end());
      continue;
    }
    rows.push_back(std::move(row));
  }

  // Names of parameter-free rows: the scope shared by the parameterized neighbours.
  std::vector<std::optional<std::string>> previous_module(rows.size());
  std::vector<std::optional<std::string>> next_module(rows.size());
  for (std::size_t i = 1; i < rows.size(); ++i) {
    previous_module[i] = rows[i - 1].module.empty() ? previous_module[i - 1] : rows[i - 1].module;
  }
  for (std::size_t i = rows.size(); i-- > 1;) {
    next_module[i - 1] = rows[i].module.empty() ? next_module[i] : rows[i].module;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& row = rows[i];
    if (!row.module.empty()) {
      row.layer.name = row.module;
      continue;
    }
    std::string scope;
    if (previous_module[i] && next_module[i]) {
      scope = common_path(parent_path(*previous_module[i]), parent_path(*next_module[i]));
    } else if (previous_module[i] || next_module[i]) {
      scope = parent_path(previous_module[i] ? *previous_module[i] : *next_module[i]);
    }
    std::string type = row.layer.type;
    std::transform(type.begin(), type.end(), type.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    row.layer.name = (scope.empty() ? "" : scope + ".") + "(" + type + ")";
  }

  // Each parameter belongs to the first row that uses it: shared weights count once.
  std::vector<bool> attributed(parameters.size(), false);
  for (auto& row : rows) {
    for (const auto i : row.parameters) {
      if (!attributed[i]) {
        attributed[i] = true;
        row.layer.parameters += parameters[i].tensor.numel();
        row.layer.parameter_names.push_back(parameters[i].name);
      }
    }
    summary.total_macs += row.layer.macs;
    summary.layers.push_back(std::move(row.layer));
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (!attributed[i]) {
      summary.unreached_parameters.push_back(parameters[i].name);
    }
  }
  return summary;
}

}  // namespace nnlab::models
