#include "nnlab/text/vocabulary.h"

#include <map>
#include <set>
#include <stdexcept>

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {

namespace {
const char* const kReserved[] = {"<pad>", "<s>", "</s>", "<unk>"};
}

Vocabulary::Vocabulary() {
  for (const char* token : kReserved) add(token);
}

void Vocabulary::add(const std::string& token) {
  if (ids_.count(token) > 0) return;
  ids_.emplace(token, size());
  tokens_.push_back(token);
}

Vocabulary Vocabulary::build(const std::vector<const Tokens*>& sequences, std::int64_t min_count) {
  std::map<std::string, std::int64_t> seen;
  for (const Tokens* tokens : sequences) {
    for (const auto& token : *tokens) ++seen[token];
  }
  Vocabulary vocabulary;
  for (const auto& [token, count] : seen) {
    if (count >= min_count) vocabulary.add(token);
  }
  return vocabulary;
}

nlohmann::json Vocabulary::to_json() const {
  return tokens_;
}

Vocabulary Vocabulary::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_array() || j.size() < 4) throw core::FileError(source, "bad vocabulary");
  Vocabulary vocabulary;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) throw core::FileError(source, "bad vocabulary entry");
    const auto token = j[i].get<std::string>();
    if (i < 4 && token != kReserved[i]) throw core::FileError(source, "bad vocabulary: " + token);
    if (vocabulary.contains(token) && i >= 4)
      throw core::FileError(source, "vocabulary lists '" + token + "' twice");
    vocabulary.add(token);
  }
  return vocabulary;
}

std::int64_t Vocabulary::id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? kUnknown : it->second;
}

const std::string& Vocabulary::token(std::int64_t id) const {
  if (id < 0 || id >= size()) throw std::out_of_range("token id " + std::to_string(id));
  return tokens_[static_cast<std::size_t>(id)];
}

std::vector<std::int64_t> Vocabulary::encode(const Tokens& tokens) const {
  std::vector<std::int64_t> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back(id(t));
  return ids;
}

Tokens Vocabulary::decode(const std::vector<std::int64_t>& ids) const {
  Tokens tokens;
  for (const auto id : ids) {
    if (id == kEnd) break;
    if (id == kPad || id == kBegin) continue;
    tokens.push_back(token(id));
  }
  return tokens;
}

Tokens Vocabulary::unknown_tokens(const Tokens& tokens) const {
  Tokens unknown;
  std::set<std::string> listed;
  for (const auto& t : tokens) {
    if (!contains(t) && listed.insert(t).second) unknown.push_back(t);
  }
  return unknown;
}

}  // namespace nnlab::seq2seq
