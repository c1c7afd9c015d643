#include "nnlab/seq2seq/sequence_training.h"

#include <vector>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"

namespace nnlab::seq2seq {

std::pair<Corpus, Corpus> carve_dev(const Corpus& all, const DevSplitOptions& options,
                                    const std::string& source) {
  if (!(options.fraction > 0 && options.fraction < 1))
    throw core::OptionError("DevSplitOptions.fraction", "must be in (0, 1)");
  auto split = split_dev(all, options.fraction, options.seed);
  if (split.first.empty() || split.second.empty())
    throw core::FileError(source, "too few entries to carve a dev set");
  return split;
}

SequenceModel create_sequence_model(const std::string& task, const ModelOptions& model,
                                    Tokenization source_tokens, Tokenization target_tokens,
                                    const Corpus& train, torch::Device device) {
  model.validate();
  SequenceModel created;
  created.task = task;
  created.options = model;
  created.source_tokens = source_tokens;
  created.target_tokens = target_tokens;
  std::vector<const Tokens*> sources, targets;
  for (const auto& e : train) {
    sources.push_back(&e.source);
    for (const auto& t : e.targets) targets.push_back(&t);
  }
  created.source_vocabulary = Vocabulary::build(sources);
  created.target_vocabulary = Vocabulary::build(targets);
  created.create_network();
  created.model->to(device);
  return created;
}

nlohmann::json SequenceTrainingResult::to_json(const std::string& output) const {
  nlohmann::json json = training.to_json();
  json["output"] = output;
  json["parameters"] = parameters;
  return json;
}

SequenceTrainingResult run_sequence_training(const SequenceTrainingOptions& options,
                                             const Corpus& train, const Corpus& dev,
                                             const core::ExecutionContext& context,
                                             const SequenceTrainingCallbacks& callbacks) {
  if (options.output.empty()) throw core::OptionError("SequenceTrainingOptions.output", "required");
  SequenceTrainingResult run;
  auto& model = run.model;
  models::Archive resumed;
  if (!options.resume.empty()) {
    resumed = models::read_archive(options.resume);
    model = from_archive(resumed, options.resume, options.task, context.device);
  } else {
    model = create_sequence_model(options.task, options.model, options.source_tokens,
                                  options.target_tokens, train, context.device);
  }
  auto training = options.training;
  training.seed = static_cast<std::int64_t>(context.seed);
  model.model->set_precision(context.precision);
  Seq2SeqTrainer trainer(model, training);
  if (!options.resume.empty()) trainer.resume(resumed, options.resume);
  if (callbacks.on_start) callbacks.on_start(model);
  run.training = trainer.fit(train, dev, callbacks.on_epoch);
  run.parameters = model.model->parameter_count();
  model.training = {{"data", options.data},
                    {"options", training.to_json()},
                    {"result", run.training.to_json()},
                    {"parameters", run.parameters}};
  save_sequence_model(options.output, model);
  return run;
}

}  // namespace nnlab::seq2seq
