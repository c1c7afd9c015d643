#include "nnlab/attack/attack_progress.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "nnlab/core/atomic_file.h"

namespace nnlab::attack {

namespace {

torch::Tensor text_tensor(const std::string& text) {
  auto t = torch::empty({static_cast<std::int64_t>(text.size())}, torch::kUInt8);
  std::copy(text.begin(), text.end(), t.data_ptr<std::uint8_t>());
  return t;
}

std::string tensor_text(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU).contiguous();
  const auto* p = c.data_ptr<std::uint8_t>();
  return std::string(p, p + c.numel());
}

// Sum and position-weighted sum in double: changes to any element change the key.
std::string checksum(const torch::Tensor& t) {
  const auto flat = t.detach().to(torch::kCPU).to(torch::kDouble).flatten();
  const auto weights = torch::arange(1, flat.numel() + 1, torch::kDouble).remainder_(9973);
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%lld:%.17g:%.17g", static_cast<long long>(flat.numel()),
                flat.sum().item<double>(), (flat * weights).sum().item<double>());
  return buffer;
}

}  // namespace

void save_attack_progress(const std::string& path, const AttackProgress& progress) {
  torch::serialize::OutputArchive archive;
  archive.write("key", text_tensor(progress.key));
  archive.write("done", torch::tensor(progress.done, torch::kLong));
  archive.write("adversarial", progress.adversarial.to(torch::kCPU));
  if (progress.clean_logits.defined())
    archive.write("clean_logits", progress.clean_logits.to(torch::kCPU));
  if (progress.stage.defined()) archive.write("stage", progress.stage.to(torch::kCPU));
  if (progress.queries.defined()) archive.write("queries", progress.queries.to(torch::kCPU));
  core::write_atomically(path, [&archive](const std::string& tmp) { archive.save_to(tmp); });
}

std::optional<AttackProgress> load_attack_progress(const std::string& path,
                                                   const std::string& key) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    // A fresh tensor per entry: reading into a defined one keeps its dtype.
    torch::Tensor saved_key, done, logits, stage, queries;
    archive.read("key", saved_key);
    if (tensor_text(saved_key) != key) return std::nullopt;
    AttackProgress progress;
    progress.key = key;
    archive.read("done", done);
    progress.done = done.item<std::int64_t>();
    archive.read("adversarial", progress.adversarial);
    if (archive.try_read("clean_logits", logits)) progress.clean_logits = logits;
    if (archive.try_read("stage", stage)) progress.stage = stage;
    if (archive.try_read("queries", queries)) progress.queries = queries;
    if (progress.done < 0 || progress.adversarial.size(0) != progress.done) return std::nullopt;
    return progress;
  } catch (const c10::Error&) {
    return std::nullopt;  // unreadable (cut short, another format): start over
  }
}

std::string attack_progress_key(const std::string& description, const torch::Tensor& images,
                                const torch::Tensor& goals,
                                const std::vector<torch::Tensor>& parameters) {
  std::ostringstream key;
  key << description << "|images " << checksum(images) << "|goals " << checksum(goals) << "|model";
  for (const auto& p : parameters) key << " " << checksum(p);
  return key.str();
}

}  // namespace nnlab::attack
