// What a decoder carries from one output step to the next, as named tensors (CTranslate2's
// DecoderState): an RNN registers its hidden state and the encoder's memory, a Transformer its
// key/value cache, a test decoder whatever it likes. Each entry declares which dimension holds
// the batch rows, and whether it is recurrent (each hypothesis has its own) or per-source (the
// same for every hypothesis of a source). Searches only select and reorder rows, generically, so
// a new decoder's state needs no change to any search.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnlab::seq2seq {

// How the rows of an entry move when a beam reorders its hypotheses.
enum class StateRows {
  kRecurrent,  // follows its hypothesis (a hidden state, a key/value cache)
  kPerSource,  // shared by a source's hypotheses (the encoder's memory, its mask): a reorder
               // inside a source's own rows leaves it where it is
};

class DecodingState {
 public:
  struct Entry {
    torch::Tensor value;
    std::int64_t batch_dim = 0;
    StateRows rows = StateRows::kRecurrent;
  };

  // Registers a new entry whose batch rows run along dimension batch_dim of value.
  void add(const std::string& name, torch::Tensor value, std::int64_t batch_dim,
           StateRows rows = StateRows::kRecurrent);
  // Replaces the value of a registered entry (e.g. after a step), keeping its declaration.
  void set(const std::string& name, torch::Tensor value);
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  // The value of a registered entry; throws naming the entry when there is none.
  const torch::Tensor& at(const std::string& name) const;
  const std::map<std::string, Entry>& entries() const { return entries_; }

  // An ensemble's state (seq2seq/decoding/ensemble.h): one state per member model, moved with it.
  std::vector<DecodingState> members;

  // The state of rows `rows` (int64, any order, repeats allowed), e.g. for beam expansion: every
  // entry, of every member, along its batch dimension.
  DecodingState select(const torch::Tensor& rows) const;
  // The same when every row keeps its source (rows[i] holds the same source as row i, as when a
  // beam reorders its own hypotheses): only the recurrent entries move; the per-source ones, the
  // memory by far the largest, stay where they are.
  DecodingState reorder(const torch::Tensor& rows) const;
  // Every entry detached from the autograd graph (truncated backpropagation through time).
  DecodingState detach() const;

 private:
  std::map<std::string, Entry> entries_;  // ordered: the same walk on every run
};

}  // namespace nnlab::seq2seq
