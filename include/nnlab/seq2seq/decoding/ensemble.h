// Several sequence models decoded as one (as Marian's and OpenNMT's ensembles): at every step the
// next-token distribution is the average of the members' distributions, p = (1/N) Σ_m p_m, and
// the attention the average of theirs. Every search (greedy, sampling, beam) drives it like one
// model; its DecodingState carries one state per member.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnlab/seq2seq/layers/step_decoder.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::seq2seq {

class Ensemble : public StepDecoder {
 public:
  // At least one member, all on one device, sharing the source and target vocabularies.
  explicit Ensemble(std::vector<std::shared_ptr<StepDecoder>> members);
  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override;
  // logits: log of the averaged probabilities (already normalized).
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override;
  torch::Device device() const override;
  void set_precision(core::Precision precision) override;  // every member's
  std::size_t size() const { return members_.size(); }

 private:
  std::vector<std::shared_ptr<StepDecoder>> members_;
};

// Model files that decode together. The first model's vocabularies and tokenization serve all.
struct ModelEnsemble {
  std::vector<SequenceModel> models;     // in the order given; at least one
  std::shared_ptr<StepDecoder> decoder;  // the model itself when there is one, else an Ensemble

  const SequenceModel& first() const { return models.front(); }
};

// Loads each file (load_sequence_model: format, task, weights). Throws core::FileError naming
// the file whose vocabularies or tokenization differ from the first's, and core::OptionError
// when no file is given.
ModelEnsemble load_model_ensemble(const std::vector<std::string>& paths, const std::string& task,
                                  torch::Device device);

}  // namespace nnlab::seq2seq
