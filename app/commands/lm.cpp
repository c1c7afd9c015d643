// nnlab lm: an RNN language model over characters (UTF-8: one Chinese character is one token) or
// words — the lecture's generation: given "床", emit "前", feed it back, go on.
//   train     on fortune files or plain text, split by document into train / dev / held-out
//   eval      perplexity per token on a split, beside add-k unigram and bigram baselines
//   generate  from a prompt: sampling with temperature and top-k, greedy (temperature 0), beam
#include <chrono>
#include <iostream>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/evaluation/ngram_model.h"
#include "nnlab/seq2seq/evaluation/perplexity.h"
#include "nnlab/seq2seq/lm_trainer.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/text/text_corpus.h"
#include "nnlab/text/verse_form.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

using Ids = std::vector<std::vector<std::int64_t>>;

struct LmData {
  std::vector<std::string> text;
  int heldout_percent = 10;
  int dev_percent = 5;
};

struct LmTrainCommand {
  LmData data;
  std::string tokens = "chars";
  std::int64_t min_count = 2;
  seq2seq::LanguageModelOptions model;
  seq2seq::LmTrainOptions training;
  std::string output;
  std::string resume;
};

struct LmEvalCommand {
  std::string model;
  std::vector<std::string> text;
  std::string split = "heldout";
  bool baselines = false;
};

struct LmGenerateCommand {
  std::string model;
  std::string prompt;
  std::int64_t max_tokens = 64;
  std::int64_t samples = 1;
  seq2seq::SearchOptions search;
  bool verse = false;
};

seq2seq::DocumentSplit read_split(const std::vector<std::string>& paths,
                                  seq2seq::Tokenization tokens, int heldout_percent,
                                  int dev_percent) {
  std::vector<seq2seq::Document> documents;
  for (const auto& path : paths) {
    auto part = seq2seq::read_documents(path, tokens);
    documents.insert(documents.end(), part.begin(), part.end());
  }
  return seq2seq::split_documents(documents, heldout_percent, dev_percent);
}

Ids encode(const seq2seq::Vocabulary& vocabulary, const std::vector<seq2seq::Document>& docs) {
  Ids ids;
  ids.reserve(docs.size());
  for (const auto& d : docs) ids.push_back(vocabulary.encode(d.tokens));
  return ids;
}

// The RNN beside the unigram and bigram baselines (k tuned on dev), on `evaluated`.
nlohmann::json perplexity_table(seq2seq::LanguageModelFile& model, const Ids& train, const Ids& dev,
                                const Ids& evaluated, const std::string& split, bool baselines,
                                std::ostringstream& human) {
  nlohmann::json rows = nlohmann::json::array();
  report::Table table({"model", "perplexity per token on " + split, "tokens"});
  const auto add = [&](const std::string& name, const seq2seq::Perplexity& p,
                       nlohmann::json extra) {
    table.add_row({name, report::fixed(p.per_token(), 1), report::grouped(p.tokens)});
    extra["model"] = name;
    extra.update(p.to_json());
    rows.push_back(extra);
  };
  add("rnn (" + model.options.cell + ")", seq2seq::model_perplexity(model.model, evaluated),
      nlohmann::json::object());
  if (baselines) {
    for (const int order : {1, 2}) {
      const auto ngram = seq2seq::NgramModel::tuned(order, model.vocabulary.size(), train, dev);
      add(std::string(order == 1 ? "unigram" : "bigram") +
              ", add-k, k = " + report::fixed(ngram.k(), 3),
          ngram.perplexity(evaluated), {{"k", ngram.k()}, {"order", order}});
    }
  }
  human << table.render();
  return rows;
}

void run_lm_train(LmTrainCommand options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  seq2seq::LanguageModelFile model;
  models::Archive resumed;
  if (!options.resume.empty()) {
    resumed = models::read_archive(options.resume);
    model = seq2seq::language_model_from_archive(resumed, options.resume, context.device);
    const auto data = model.training.find("data");
    if (data == model.training.end() || !data->contains("heldout_percent") ||
        !data->contains("dev_percent"))
      throw core::FileError(options.resume,
                            "not a training state (no data split recorded): use a file written "
                            "by lm train --checkpoint");
    options.data.heldout_percent = data->at("heldout_percent").get<int>();
    options.data.dev_percent = data->at("dev_percent").get<int>();
  } else {
    options.model.validate();
    model.tokens = seq2seq::parse_tokenization(options.tokens);
    model.options = options.model;
  }
  if (options.min_count < 1) throw core::OptionError("--min-count", "must be >= 1");
  const auto split = read_split(options.data.text, model.tokens, options.data.heldout_percent,
                                options.data.dev_percent);
  if (split.train.empty() || split.dev.empty())
    throw core::FileError(options.data.text.front(),
                          "too few documents to split off a dev set (" +
                              std::to_string(split.train.size() + split.dev.size()) +
                              " outside the held-out part)");
  if (options.resume.empty()) {
    std::vector<const seq2seq::Tokens*> sequences;
    for (const auto& d : split.train) sequences.push_back(&d.tokens);
    model.vocabulary = seq2seq::Vocabulary::build(sequences, options.min_count);
    model.create_network();
    model.model->to(context.device);
  }
  const auto train = encode(model.vocabulary, split.train);
  const auto dev = encode(model.vocabulary, split.dev);
  std::int64_t train_tokens = 0;
  for (const auto& d : train) train_tokens += static_cast<std::int64_t>(d.size());

  const nlohmann::json data = {{"text", options.data.text},
                               {"heldout_percent", options.data.heldout_percent},
                               {"dev_percent", options.data.dev_percent},
                               {"min_count", options.min_count},
                               {"train_documents", train.size()},
                               {"train_tokens", train_tokens},
                               {"dev_documents", dev.size()},
                               {"heldout_documents", split.heldout.size()}};
  // The training states written by --checkpoint carry the split, which --resume reads back.
  model.training = {{"data", data}};

  auto training = options.training;
  training.seed = global.runtime.seed;
  training.progress = !global.quiet;
  seq2seq::LmTrainer trainer(model, training);
  if (!options.resume.empty()) trainer.resume(resumed, options.resume);
  info(global, "training on " + std::to_string(train.size()) + " documents (" +
                   report::grouped(train_tokens) + " tokens), dev " + std::to_string(dev.size()) +
                   ", held out " + std::to_string(split.heldout.size()) + "; vocabulary " +
                   std::to_string(model.vocabulary.size()) + "; " +
                   report::grouped(model.model->parameter_count()) + " parameters");
  const auto result = trainer.fit(train, dev, [&](const seq2seq::LmEpoch& e) {
    info(global, "epoch " + std::to_string(e.epoch) + ": loss " + report::fixed(e.loss, 4) +
                     ", dev perplexity " + report::fixed(e.dev_perplexity, 2) + ", lr " +
                     report::fixed(e.lr, 6) + ", " + report::fixed(e.tokens_per_second, 0) +
                     " tokens/s, " + core::format_duration(e.seconds));
  });

  std::ostringstream human;
  nlohmann::json table;
  if (!split.heldout.empty()) {
    table = perplexity_table(model, train, dev, encode(model.vocabulary, split.heldout), "held-out",
                             true, human);
  }
  model.training = {{"data", data},
                    {"options", training.to_json()},
                    {"result", result.to_json()},
                    {"heldout", table},
                    {"parameters", model.model->parameter_count()}};
  if (options.output.empty()) throw core::OptionError("--output", "required");
  seq2seq::save_language_model(options.output, model);
  auto json = result.to_json();
  json["output"] = options.output;
  json["heldout"] = table;
  json["parameters"] = model.model->parameter_count();
  human << "kept epoch " << result.best_epoch << " (dev perplexity "
        << report::fixed(result.best_dev_perplexity, 2) << "), " << result.history.size()
        << " epochs in " << core::format_duration(result.seconds) << "\nwrote " << options.output
        << "\n";
  emit(global, context, json, human.str());
}

void run_lm_eval(const LmEvalCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_language_model(options.model, context.device);
  int heldout_percent = 10, dev_percent = 5;
  if (model.training.contains("data")) {
    heldout_percent = model.training["data"].value("heldout_percent", heldout_percent);
    dev_percent = model.training["data"].value("dev_percent", dev_percent);
  }
  const auto split = read_split(options.text, model.tokens, heldout_percent, dev_percent);
  std::vector<seq2seq::Document> chosen;
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
    throw core::OptionError("--split", "heldout, dev, train or all, not " + options.split);
  }
  if (chosen.empty())
    throw core::FileError(options.text.front(),
                          "no document falls in the " + options.split + " split");
  if (options.baselines && (split.train.empty() || split.dev.empty()))
    throw core::FileError(options.text.front(), "no train or dev documents for the baselines");
  std::ostringstream human;
  const auto rows = perplexity_table(
      model, encode(model.vocabulary, split.train), encode(model.vocabulary, split.dev),
      encode(model.vocabulary, chosen), options.split, options.baselines, human);
  emit(global, context, {{"model", options.model}, {"split", options.split}, {"results", rows}},
       human.str());
}

void run_lm_generate(LmGenerateCommand options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_language_model(options.model, context.device);
  if (options.max_tokens < 1) throw core::OptionError("--max-tokens", "must be >= 1");
  if (options.samples < 1) throw core::OptionError("--samples", "must be >= 1");
  if (options.search.temperature == 0 && options.search.beam == 1 && options.samples > 1)
    throw core::OptionError("--samples", "greedy decoding (temperature 0) gives one output");
  const auto prompt = seq2seq::tokenize_text(options.prompt, model.tokens);
  const auto unknown = model.vocabulary.unknown_tokens(prompt);
  if (!unknown.empty()) {
    throw core::OptionError("--prompt", "'" + join_tokens(unknown, "', '") +
                                            "' never seen in training by " + options.model);
  }
  options.search.prefix = model.vocabulary.encode(prompt);
  options.search.allow_unknown = false;
  options.search.max_length_a = 0;
  options.search.max_length_b =
      static_cast<std::int64_t>(options.search.prefix.size()) + options.max_tokens;
  options.search.seed = static_cast<std::uint64_t>(global.runtime.seed);
  const auto rows = options.search.beam > 1 ? 1 : options.samples;
  const auto source =
      torch::zeros({rows, 1}, torch::TensorOptions().dtype(torch::kInt64).device(context.device));
  const auto lengths = torch::ones({rows}, torch::kInt64);
  const auto results = seq2seq::search(*model.model, source, lengths, options.search);

  const std::string separator = model.tokens == seq2seq::Tokenization::kCharacters ? "" : " ";
  nlohmann::json samples = nlohmann::json::array();
  std::ostringstream human;
  seq2seq::VerseForm form;
  for (const auto& list : results) {
    for (const auto& h : list) {
      const auto tokens = model.vocabulary.decode(h.tokens);
      std::string text;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        const bool line_break = tokens[i] == seq2seq::kNewline;
        if (i > 0 && !line_break && tokens[i - 1] != seq2seq::kNewline) text += separator;
        text += tokens[i];
      }
      const seq2seq::Tokens continuation(
          tokens.begin() + static_cast<std::ptrdiff_t>(std::min(prompt.size(), tokens.size())),
          tokens.end());
      const auto verse = seq2seq::verse_form(continuation, h.finished);
      form += verse;
      samples.push_back({{"text", text},
                         {"log_prob", h.log_prob},
                         {"finished", h.finished},
                         {"lines", verse.lines},
                         {"regular_lines", verse.regular}});
      human << text << "\n";
      if (results.size() * list.size() > 1) human << "\n";
    }
  }
  nlohmann::json json = {{"model", options.model},
                         {"prompt", options.prompt},
                         {"temperature", options.search.temperature},
                         {"top_k", options.search.top_k},
                         {"beam", options.search.beam},
                         {"seed", global.runtime.seed},
                         {"samples", samples}};
  if (options.verse) {
    json["verse"] = {{"lines", form.lines}, {"regular", form.regular}, {"share", form.share()}};
    human << "lines of 5 or 7 characters closed by ， or 。: " << form.regular << " of "
          << form.lines << " (" << report::fixed(100.0 * form.share(), 1) << "%)\n";
  }
  emit(global, context, json, human.str());
}

}  // namespace

void setup_lm(CLI::App& app, GlobalOptions& global) {
  auto* lm = app.add_subcommand("lm", "RNN language model: train, eval, generate");
  lm->require_subcommand(1);

  auto train_options = std::make_shared<LmTrainCommand>();
  auto* train = lm->add_subcommand("train", "train on fortune files or plain text");
  auto& t = *train_options;
  train->add_option("--text", t.data.text, "fortune files (records between % lines) or text")
      ->required()
      ->expected(1, -1);
  train->add_option("-o,--output", t.output, "the model file")->required();
  train->add_option("--resume", t.resume, "continue from a training state (--checkpoint)");
  train->add_option("--tokens", t.tokens, "chars | words")->capture_default_str();
  train->add_option("--min-count", t.min_count, "rarer tokens read as <unk>")
      ->check(domain::non_negative())
      ->capture_default_str();
  train
      ->add_option("--heldout-percent", t.data.heldout_percent,
                   "documents held out for evaluation (by a hash of their text)")
      ->check(domain::range(0, 100, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  train->add_option("--dev-percent", t.data.dev_percent, "of the rest, kept for dev")
      ->check(domain::range(0, 100, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  train->add_option("--cell", t.model.cell, "lstm | gru")->capture_default_str();
  train->add_option("--embedding", t.model.embedding)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--hidden", t.model.hidden)->check(domain::positive())->capture_default_str();
  train->add_option("--layers", t.model.layers)->check(domain::positive())->capture_default_str();
  train->add_option("--dropout", t.model.dropout)
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  train->add_option("--epochs", t.training.epochs)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--batch-size", t.training.batch_size, "documents per batch")
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--bptt", t.training.bptt, "tokens per back-propagation window")
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--lr", t.training.lr)->check(domain::positive())->capture_default_str();
  train->add_option("--lr-decay", t.training.lr_decay, "after an epoch without progress")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/false))
      ->capture_default_str();
  train->add_option("--clip", t.training.clip, "maximal gradient norm (0: none)")
      ->check(domain::non_negative())
      ->capture_default_str();
  train->add_option("--patience", t.training.patience, "epochs without progress (0: never stop)")
      ->check(domain::non_negative())
      ->capture_default_str();
  train->add_option("--checkpoint", t.training.checkpoint_path,
                    "write the training state here after every epoch");
  train->callback([train_options, &global] { run_lm_train(*train_options, global); });

  auto eval_options = std::make_shared<LmEvalCommand>();
  auto* eval = lm->add_subcommand("eval", "perplexity per token");
  eval->add_option("-m,--model", eval_options->model)->required();
  eval->add_option("--text", eval_options->text, "the files the model was trained on")
      ->required()
      ->expected(1, -1);
  eval->add_option("--split", eval_options->split, "heldout | dev | train | all")
      ->capture_default_str();
  eval->add_flag("--baselines", eval_options->baselines,
                 "add-k unigram and bigram models from the train split (k tuned on dev)");
  eval->callback([eval_options, &global] { run_lm_eval(*eval_options, global); });

  auto generate_options = std::make_shared<LmGenerateCommand>();
  generate_options->search.temperature = 1.0;
  auto* generate = lm->add_subcommand("generate", "continue a prompt");
  auto& g = *generate_options;
  generate->add_option("-m,--model", g.model)->required();
  generate->add_option("--prompt", g.prompt, "the start (may be empty)");
  generate->add_option("--max-tokens", g.max_tokens, "tokens generated after the prompt")
      ->check(domain::positive())
      ->capture_default_str();
  generate
      ->add_option("--temperature", g.search.temperature,
                   "sampling temperature (0: greedy, the most likely token)")
      ->check(domain::non_negative())
      ->capture_default_str();
  generate->add_option("--top-k", g.search.top_k, "sample among the k most likely (0: all)")
      ->check(domain::non_negative())
      ->capture_default_str();
  generate->add_option("--samples", g.samples, "independent samples (one batch)")
      ->check(domain::positive())
      ->capture_default_str();
  generate->add_option("--beam", g.search.beam, "beam search (needs --temperature 0)")
      ->check(domain::positive())
      ->capture_default_str();
  generate->add_option("--nbest", g.search.n_best, "beam outputs shown")
      ->check(domain::positive())
      ->capture_default_str();
  generate->add_option("--length-penalty", g.search.length_penalty)
      ->check(domain::non_negative())
      ->capture_default_str();
  generate->add_flag("--verse", g.verse, "count the lines of 5 or 7 characters closed by ， or 。");
  generate->callback([generate_options, &global] { run_lm_generate(*generate_options, global); });
}

}  // namespace nnlab::app
