// nnlab seq2seq: the same attention encoder-decoder on any parallel text (source<TAB>target).
//   train      character or word tokens on either side
//   translate  lines from a file or stdin, n-best with probabilities
//   eval       corpus BLEU, sentence accuracy and token error rate against the references
// Longer than 100 lines: three subcommands, each flags -> one library call
// (seq2seq::run_sequence_training, translate, evaluate_sequences) -> printing; translate reads its
// lines from a file or stdin and warns about unseen tokens here.
#include <cmath>
#include <iostream>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/decoding/ensemble.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/seq2seq/evaluation/sequence_evaluation.h"
#include "nnlab/text/sequence_metrics.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

struct Seq2SeqTrainCommand {
  seq2seq::SequenceTrainingOptions job;
  TrainingData data;
  std::string source_tokens = "chars";
  std::string target_tokens = "chars";
};

struct Seq2SeqTranslateCommand {
  std::vector<std::string> models;
  std::string input;  // empty: stdin
  seq2seq::SearchOptions search;
};

struct Seq2SeqEvalCommand {
  std::vector<std::string> models;
  std::string test;
  seq2seq::SearchOptions search;
  std::string output;
};

std::string detokenize(const seq2seq::Tokens& tokens, seq2seq::Tokenization mode) {
  return join_tokens(tokens, mode == seq2seq::Tokenization::kCharacters ? "" : " ");
}

void run_train(Seq2SeqTrainCommand options, const GlobalOptions& global) {
  options.job.source_tokens = seq2seq::parse_tokenization(options.source_tokens);
  options.job.target_tokens = seq2seq::parse_tokenization(options.target_tokens);
  const auto read = [&](const std::string& path) {
    return seq2seq::read_parallel_tsv(path, options.job.source_tokens, options.job.target_tokens);
  };
  const auto [train, dev] = train_and_dev(read(options.data.train), options.data, read,
                                          static_cast<std::uint64_t>(global.runtime.seed));
  options.job.task = "seq2seq";
  options.job.data = {{"train", options.data.train},
                      {"dev", options.data.dev.empty() ? "carved from train" : options.data.dev},
                      {"train_entries", train.size()},
                      {"dev_entries", dev.size()}};
  run_sequence_training(options.job, train, dev, global);
}

void run_translate(const Seq2SeqTranslateCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  const auto models = seq2seq::load_model_ensemble(options.models, "seq2seq", context.device);
  models.decoder->set_precision(context.precision);
  const auto& model = models.first();
  std::vector<std::string> lines;
  if (options.input.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) lines.push_back(line);
  } else {
    std::istringstream in(core::read_file(options.input));
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::vector<seq2seq::Tokens> sources;
  for (auto& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    sources.push_back(seq2seq::tokenize(line, model.source_tokens));
    const auto unknown = model.source_vocabulary.unknown_tokens(sources.back());
    if (!unknown.empty()) {
      std::cerr << "nnlab: warning: '" << unknown.front()
                << "' was never seen in training; read as <unk> in: " << line << "\n";
    }
  }
  const auto results =
      seq2seq::translate(*models.decoder, model.source_vocabulary, sources, {options.search, 256});
  nlohmann::json json = nlohmann::json::array();
  std::ostringstream human;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : results[i]) {
      const auto text = detokenize(model.target_vocabulary.decode(h.tokens), model.target_tokens);
      list.push_back({{"output", text}, {"probability", std::exp(h.log_prob)}, {"score", h.score}});
      human << text;
      if (options.search.n_best > 1) human << "\t" << report::fixed(std::exp(h.log_prob), 4);
      human << "\n";
    }
    json.push_back({{"input", lines[i]}, {"outputs", list}});
  }
  emit(global, context, {{"translations", json}}, human.str());
}

void run_eval(const Seq2SeqEvalCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  const auto models = seq2seq::load_model_ensemble(options.models, "seq2seq", context.device);
  models.decoder->set_precision(context.precision);
  const auto& model = models.first();
  const auto test =
      seq2seq::read_parallel_tsv(options.test, model.source_tokens, model.target_tokens);
  const auto evaluation = seq2seq::evaluate_sequences(models, test, {options.search, 256});
  const auto& outputs = evaluation.outputs;
  const auto& bleu = evaluation.bleu;
  const auto& errors = evaluation.errors.total;
  const double seconds = evaluation.seconds;
  if (!options.output.empty()) {
    std::string text;
    for (const auto& o : outputs) text += detokenize(o, model.target_tokens) + "\n";
    core::write_text_atomically(options.output, text);
  }
  nlohmann::json json = {{"test", options.test},
                         {"sentences", errors.words},
                         {"bleu", bleu.bleu},
                         {"precisions", bleu.precisions},
                         {"brevity_penalty", bleu.brevity_penalty},
                         {"sentence_error_rate", errors.wer()},
                         {"token_error_rate", errors.per()},
                         {"seconds", seconds}};
  describe_models(json, options.models);
  std::ostringstream human;
  human << "BLEU " << report::fixed(bleu.bleu) << " (";
  for (std::size_t n = 0; n < bleu.precisions.size(); ++n)
    human << (n ? "/" : "") << report::fixed(bleu.precisions[n], 1);
  human << ", BP " << report::fixed(bleu.brevity_penalty, 3) << "), sentence error rate "
        << report::fixed(errors.wer()) << "%, token error rate " << report::fixed(errors.per())
        << "% on " << errors.words << " sentences (beam " << options.search.beam << ", "
        << core::format_duration(seconds) << ")\n";
  emit(global, context, json, human.str());
}

}  // namespace

void setup_seq2seq(CLI::App& app, GlobalOptions& global) {
  auto* seq = app.add_subcommand("seq2seq", "attention encoder-decoder on parallel text");
  seq->require_subcommand(1);

  auto train_options = std::make_shared<Seq2SeqTrainCommand>();
  auto* train = seq->add_subcommand("train", "train on source<TAB>target lines");
  add_train_command_flags(train, train_options->data, train_options->job,
                          "source<TAB>target per line");
  train->add_option("--source-tokens", train_options->source_tokens, "chars | words")
      ->check(CLI::IsMember({"chars", "words"}))
      ->capture_default_str();
  train->add_option("--target-tokens", train_options->target_tokens, "chars | words")
      ->check(CLI::IsMember({"chars", "words"}))
      ->capture_default_str();
  train->callback([train_options, &global] { run_train(*train_options, global); });

  auto translate_options = std::make_shared<Seq2SeqTranslateCommand>();
  translate_options->search.beam = 5;
  auto* translate = seq->add_subcommand("translate", "translate lines (a file or stdin)");
  add_model_files_flag(translate, translate_options->models);
  translate->add_option("--input", translate_options->input, "lines to translate (default: stdin)");
  translate->add_option("--nbest", translate_options->search.n_best)
      ->check(domain::positive())
      ->capture_default_str();
  add_search_flags(translate, translate_options->search);
  translate->callback([translate_options, &global] { run_translate(*translate_options, global); });

  auto eval_options = std::make_shared<Seq2SeqEvalCommand>();
  eval_options->search.beam = 5;
  auto* eval = seq->add_subcommand("eval", "BLEU against source<TAB>reference lines");
  add_model_files_flag(eval, eval_options->models);
  eval->add_option("--test", eval_options->test)->required();
  eval->add_option("--output", eval_options->output, "write the outputs here");
  add_search_flags(eval, eval_options->search);
  eval->callback([eval_options, &global] { run_eval(*eval_options, global); });
}

}  // namespace nnlab::app
