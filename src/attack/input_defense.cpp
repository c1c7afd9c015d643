#include "nnlab/attack/input_defense.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "nnlab/attack/objective.h"
#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"
#include "nnlab/data/image_io.h"

namespace nnlab::attack {

namespace {

int parse_parameter(const std::string& spec, const std::string& text, int low, int high) {
  int value = 0;
  try {
    size_t used = 0;
    value = std::stoi(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw core::OptionError("parse_defense.spec", "'" + spec + "': expected an integer after ':'");
  }
  if (value < low || value > high) {
    throw core::OptionError("parse_defense.spec", "'" + spec + "': parameter must be in [" +
                                                      std::to_string(low) + ", " +
                                                      std::to_string(high) + "]");
  }
  return value;
}

}  // namespace

torch::Tensor median_filter(const torch::Tensor& images, int kernel) {
  TORCH_CHECK(kernel >= 1 && kernel % 2 == 1, "median_filter: kernel must be odd, got ", kernel);
  TORCH_CHECK(images.dim() == 4, "median_filter: expected (N, C, H, W), got ", images.sizes());
  if (kernel == 1) return images;
  const int pad = kernel / 2;
  const auto padded = torch::nn::functional::pad(
      images, torch::nn::functional::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReflect));
  // (N, C, H, W, k, k) windows -> the middle of the k*k sorted values.
  const auto windows = padded.unfold(2, kernel, 1).unfold(3, kernel, 1);
  return std::get<0>(windows
                         .reshape({images.size(0), images.size(1), images.size(2), images.size(3),
                                   kernel * kernel})
                         .median(/*dim=*/-1));
}

torch::Tensor reduce_bit_depth(const torch::Tensor& images, int bits) {
  TORCH_CHECK(bits >= 1 && bits <= 8, "reduce_bit_depth: bits must be in [1, 8], got ", bits);
  const double levels = static_cast<double>((1 << bits) - 1);
  return images.mul(levels).round().div(levels);
}

torch::Tensor jpeg_compress(const torch::Tensor& images, int quality) {
  TORCH_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3),
              "jpeg_compress: expected (N, 1|3, H, W), got ", images.sizes());
  const auto cpu = images.detach().cpu();
  auto out = torch::empty_like(cpu);
  const int channels = static_cast<int>(images.size(1));
  for (std::int64_t i = 0; i < cpu.size(0); ++i) {
    out[i].copy_(data::decode_image(data::encode_image(cpu[i], ".jpg", quality), channels));
  }
  return out.to(images.device());
}

torch::Tensor gaussian_noise(const torch::Tensor& images, double sigma, at::Generator generator) {
  const auto noise = torch::randn(images.sizes(), generator, images.options().device(torch::kCPU));
  return (images + noise.to(images.device()) * sigma).clamp(0, 1);
}

InputDefense parse_defense(const std::string& spec, std::uint64_t seed) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  if (colon == std::string::npos) {
    throw core::OptionError("parse_defense.spec",
                            "'" + spec +
                                "': expected NAME:PARAMETER (median:3, bits:4, "
                                "jpeg:75, noise:8)");
  }
  const std::string parameter = spec.substr(colon + 1);
  if (name == "median") {
    const int k = parse_parameter(spec, parameter, 1, 15);
    if (k % 2 == 0)
      throw core::OptionError("parse_defense.spec", "'" + spec + "': the size must be odd");
    return {spec, [k](const torch::Tensor& x) { return median_filter(x, k); }};
  }
  if (name == "bits") {
    const int b = parse_parameter(spec, parameter, 1, 8);
    return {spec, [b](const torch::Tensor& x) { return reduce_bit_depth(x, b); }};
  }
  if (name == "jpeg") {
    const int q = parse_parameter(spec, parameter, 1, 100);
    return {spec, [q](const torch::Tensor& x) { return jpeg_compress(x, q); }};
  }
  if (name == "noise") {
    const double sigma = parse_parameter(spec, parameter, 1, 255) / 255.0;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    return {
        spec,
        [sigma, generator](const torch::Tensor& x) { return gaussian_noise(x, sigma, generator); },
        /*random=*/true};
  }
  throw core::OptionError("parse_defense.spec",
                          "unknown defense '" + name + "' (known: median, bits, jpeg, noise)");
}

std::vector<InputDefense> parse_defenses(const std::string& list, std::uint64_t seed) {
  std::vector<InputDefense> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    // Two noise:8 in one list draw differently, and from none of the attacks' streams (theirs
    // are (image, restart)).
    constexpr std::uint64_t kDefenseStream = 0xDEFE45E;
    if (!item.empty())
      out.push_back(parse_defense(item, core::mix_seed(seed, kDefenseStream, out.size())));
  }
  return out;
}

double accuracy_through(models::Classifier& model, const torch::Tensor& images,
                        const torch::Tensor& labels, std::int64_t batch_size,
                        const InputTransform& transform) {
  const auto n = images.size(0);
  if (n == 0) return 0;
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const auto end = std::min(n, start + batch_size);
    auto x = images.slice(0, start, end).to(model.device());
    if (transform) x = transform(x);
    const auto y = labels.slice(0, start, end).to(model.device());
    correct += logits_of(model, x).argmax(1).eq(y).sum().item<std::int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

double defended_accuracy(models::Classifier& model, const InputDefense& defense,
                         const torch::Tensor& images, const torch::Tensor& labels,
                         std::int64_t batch_size) {
  return accuracy_through(model, images, labels, batch_size, defense.apply);
}

}  // namespace nnlab::attack
