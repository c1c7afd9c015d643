#include "nnlab/train/optimizer_state.h"

#include <torch/serialize.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <sstream>

#include "nnlab/core/error.h"

namespace nnlab::train {

std::string save_optimizer_state(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& source) {
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in);
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw core::FileError(source,
                          "damaged optimizer state: " + e.msg().substr(0, e.msg().find('\n')));
  }
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double cosine_learning_rate(double base, double progress) {
  return base * 0.5 * (1.0 + std::cos(M_PI * progress));
}

std::string save_tensors(const models::TensorList& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t);
  const auto bytes = torch::pickle_save(dict);
  return std::string(bytes.begin(), bytes.end());
}

models::TensorList load_tensors(const std::string& bytes, const std::string& source) {
  try {
    const auto value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    models::TensorList out;
    for (const auto& item : value.toGenericDict())
      out.emplace_back(item.key().toStringRef(), item.value().toTensor());
    return out;
  } catch (const c10::Error& e) {
    throw core::FileError(source, "damaged training state");
  }
}

}  // namespace nnlab::train
