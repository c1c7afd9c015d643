#include "nnlab/seq2seq/lm_training.h"

#include <utility>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"

namespace nnlab::seq2seq {

DocumentSplit read_document_split(const LmDataOptions& options, Tokenization tokens) {
  std::vector<Document> documents;
  for (const auto& path : options.text) {
    auto part = read_documents(path, tokens);
    documents.insert(documents.end(), part.begin(), part.end());
  }
  return split_documents(documents, options.heldout_percent, options.dev_percent);
}

std::vector<std::vector<std::int64_t>> encode_documents(const Vocabulary& vocabulary,
                                                        const std::vector<Document>& documents) {
  std::vector<std::vector<std::int64_t>> ids;
  ids.reserve(documents.size());
  for (const auto& d : documents) ids.push_back(vocabulary.encode(d.tokens));
  return ids;
}

LmDataOptions recorded_split(const LanguageModelFile& model, std::vector<std::string> text) {
  LmDataOptions options;
  options.text = std::move(text);
  if (model.training.contains("data")) {
    const auto& data = model.training.at("data");
    options.heldout_percent = data.value("heldout_percent", options.heldout_percent);
    options.dev_percent = data.value("dev_percent", options.dev_percent);
  }
  return options;
}

nlohmann::json LmTrainingResult::to_json(const std::string& output) const {
  auto json = training.to_json();
  json["output"] = output;
  json["heldout"] = heldout.empty() ? nlohmann::json() : seq2seq::to_json(heldout);
  json["parameters"] = parameters;
  return json;
}

LmTrainingResult run_lm_training(LmTrainingOptions options, const core::ExecutionContext& context,
                                 const LmTrainingCallbacks& callbacks) {
  if (options.output.empty()) throw core::OptionError("LmTrainingOptions.output", "required");
  LmTrainingResult run;
  auto& model = run.model;
  models::Archive resumed;
  if (!options.resume.empty()) {
    resumed = models::read_archive(options.resume);
    model = language_model_from_archive(resumed, options.resume, context.device);
    // The training states written by a checkpoint carry the split (below): a resumed run
    // must read the same documents on the same sides.
    const auto data = model.training.find("data");
    if (data == model.training.end() || !data->contains("heldout_percent") ||
        !data->contains("dev_percent"))
      throw core::FileError(options.resume,
                            "not a training state (no data split recorded): use a state that a "
                            "training run wrote at its checkpoint path");
    options.data.heldout_percent = data->at("heldout_percent").get<int>();
    options.data.dev_percent = data->at("dev_percent").get<int>();
  } else {
    options.model.validate();
    model.tokens = options.tokens;
    model.options = options.model;
  }
  if (options.min_count < 1) throw core::OptionError("LmTrainingOptions.min_count", "must be >= 1");
  const auto split = read_document_split(options.data, model.tokens);
  if (split.train.empty() || split.dev.empty())
    throw core::FileError(options.data.text.front(),
                          "too few documents to split off a dev set (" +
                              std::to_string(split.train.size() + split.dev.size()) +
                              " outside the held-out part)");
  if (options.resume.empty()) {
    std::vector<const Tokens*> sequences;
    for (const auto& d : split.train) sequences.push_back(&d.tokens);
    model.vocabulary = Vocabulary::build(sequences, options.min_count);
    model.create_network();
    model.model->to(context.device);
  }
  const auto train = encode_documents(model.vocabulary, split.train);
  const auto dev = encode_documents(model.vocabulary, split.dev);
  run.data.train_documents = static_cast<std::int64_t>(train.size());
  for (const auto& d : train) run.data.train_tokens += static_cast<std::int64_t>(d.size());
  run.data.dev_documents = static_cast<std::int64_t>(dev.size());
  run.data.heldout_documents = static_cast<std::int64_t>(split.heldout.size());

  const nlohmann::json data = {{"text", options.data.text},
                               {"heldout_percent", options.data.heldout_percent},
                               {"dev_percent", options.data.dev_percent},
                               {"min_count", options.min_count},
                               {"train_documents", train.size()},
                               {"train_tokens", run.data.train_tokens},
                               {"dev_documents", dev.size()},
                               {"heldout_documents", split.heldout.size()}};
  // The training states written after every epoch carry the split, which a resume reads back.
  model.training = {{"data", data}};

  auto training = options.training;
  training.seed = static_cast<std::int64_t>(context.seed);
  model.model->set_precision(context.precision);
  LmTrainer trainer(model, training);
  if (!options.resume.empty()) trainer.resume(resumed, options.resume);
  if (callbacks.on_start) callbacks.on_start(model, run.data);
  run.training = trainer.fit(train, dev, callbacks.on_epoch);

  if (!split.heldout.empty()) {
    run.heldout = perplexity_table(model, train, dev,
                                   encode_documents(model.vocabulary, split.heldout), true);
  }
  run.parameters = model.model->parameter_count();
  model.training = {{"data", data},
                    {"options", training.to_json()},
                    {"result", run.training.to_json()},
                    {"heldout", run.heldout.empty() ? nlohmann::json() : to_json(run.heldout)},
                    {"parameters", run.parameters}};
  save_language_model(options.output, model);
  return run;
}

std::vector<PerplexityRow> evaluate_language_model(LanguageModelFile& model,
                                                   const LmEvaluationOptions& options) {
  const auto split = read_document_split(recorded_split(model, options.text), model.tokens);
  std::vector<Document> chosen;
  if (options.split == "heldout") {
    chosen = split.heldout;
  } else if (options.split == "dev") {
    chosen = split.dev;
  } else if (options.split == "train") {
    chosen = split.train;
  } else if (options.split == "all") {
    for (const auto* part : {&split.train, &split.dev, &split.heldout})
      chosen.insert(chosen.end(), part->begin(), part->end());
  } else {
    throw core::OptionError("LmEvaluationOptions.split",
                            "heldout, dev, train or all, not " + options.split);
  }
  if (chosen.empty())
    throw core::FileError(options.text.front(),
                          "no document falls in the " + options.split + " split");
  if (options.baselines && (split.train.empty() || split.dev.empty()))
    throw core::FileError(options.text.front(), "no train or dev documents for the baselines");
  return perplexity_table(model, encode_documents(model.vocabulary, split.train),
                          encode_documents(model.vocabulary, split.dev),
                          encode_documents(model.vocabulary, chosen), options.baselines);
}

}  // namespace nnlab::seq2seq
