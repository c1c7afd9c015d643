// Token <-> id maps for sequence models, with four reserved ids: padding, begin, end and unknown.
// Saved with the model (as JSON) so a model file decodes on its own.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq {

class Vocabulary {
 public:
  static constexpr std::int64_t kPad = 0;
  static constexpr std::int64_t kBegin = 1;
  static constexpr std::int64_t kEnd = 2;
  static constexpr std::int64_t kUnknown = 3;

  Vocabulary();  // the reserved symbols only
  // Every token seen at least min_count times, in sorted order after the reserved symbols
  // (deterministic ids); rarer tokens will read as <unk>.
  static Vocabulary build(const std::vector<const Tokens*>& sequences, std::int64_t min_count = 1);
  static Vocabulary from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;

  std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
  bool contains(const std::string& token) const { return ids_.count(token) > 0; }
  std::int64_t id(const std::string& token) const;  // kUnknown when absent
  const std::string& token(std::int64_t id) const;
  std::vector<std::int64_t> encode(const Tokens& tokens) const;
  // Stops at kEnd; skips kPad and kBegin.
  Tokens decode(const std::vector<std::int64_t>& ids) const;
  // Tokens of `tokens` this vocabulary lacks, each once, in order of appearance.
  Tokens unknown_tokens(const Tokens& tokens) const;

 private:
  void add(const std::string& token);
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

}  // namespace nnlab::seq2seq
