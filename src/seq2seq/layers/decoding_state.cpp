#include "nnlab/seq2seq/layers/decoding_state.h"

#include <utility>

namespace nnlab::seq2seq {

namespace {

// The state with every entry that `moves` selects index-selected at `rows`, members included.
template <typename Moves>
DecodingState select_rows(const DecodingState& state, const torch::Tensor& rows, Moves moves) {
  DecodingState out;
  for (const auto& [name, entry] : state.entries()) {
    out.add(name, moves(entry) ? entry.value.index_select(entry.batch_dim, rows) : entry.value,
            entry.batch_dim, entry.rows);
  }
  out.members.reserve(state.members.size());
  for (const auto& member : state.members) out.members.push_back(select_rows(member, rows, moves));
  return out;
}

}  // namespace

void DecodingState::add(const std::string& name, torch::Tensor value, std::int64_t batch_dim,
                        StateRows rows) {
  TORCH_CHECK(!contains(name), "the decoding state already has an entry \"", name, "\"");
  TORCH_CHECK(value.defined(), "the decoding state entry \"", name, "\" is undefined");
  TORCH_CHECK(batch_dim >= 0 && batch_dim < value.dim(), "the decoding state entry \"", name,
              "\" has ", value.dim(), " dimensions, so none is its batch dimension ", batch_dim);
  entries_.emplace(name, Entry{std::move(value), batch_dim, rows});
}

void DecodingState::set(const std::string& name, torch::Tensor value) {
  const auto found = entries_.find(name);
  TORCH_CHECK(found != entries_.end(), "the decoding state has no entry \"", name, "\" to set");
  TORCH_CHECK(value.defined() && found->second.batch_dim < value.dim(),
              "the decoding state entry \"", name, "\" needs a tensor with dimension ",
              found->second.batch_dim, " for its batch");
  found->second.value = std::move(value);
}

const torch::Tensor& DecodingState::at(const std::string& name) const {
  const auto found = entries_.find(name);
  TORCH_CHECK(found != entries_.end(), "the decoding state has no entry \"", name, "\"");
  return found->second.value;
}

DecodingState DecodingState::select(const torch::Tensor& rows) const {
  return select_rows(*this, rows, [](const Entry&) { return true; });
}

DecodingState DecodingState::reorder(const torch::Tensor& rows) const {
  return select_rows(*this, rows,
                     [](const Entry& entry) { return entry.rows == StateRows::kRecurrent; });
}

DecodingState DecodingState::detach() const {
  DecodingState out = *this;
  for (auto& [name, entry] : out.entries_) entry.value = entry.value.detach();
  for (auto& member : out.members) member = member.detach();
  return out;
}

}  // namespace nnlab::seq2seq
