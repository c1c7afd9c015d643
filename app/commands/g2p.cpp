// nnlab g2p: grapheme-to-phoneme conversion with an attention encoder-decoder.
//   train      on a pronouncing dictionary (CMUdict format or the benchmark's TSV)
//   eval       WER (correct when equal to any reference), PER, a breakdown by word length
//   pronounce  n-best pronunciations with probabilities; the attention drawn as SVG
// Longer than 100 lines: three subcommands. Each is flags -> one library call
// (seq2seq::run_sequence_training, evaluate_sequences, translate) -> printing; what stays here is
// reading the user's input (words from arguments or stdin, skipped with a warning when unseen)
// and the tables, about 50 lines each.
#include <iostream>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/heatmap.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/decoding/ensemble.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/seq2seq/evaluation/sequence_evaluation.h"
#include "nnlab/text/sequence_metrics.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

constexpr const char* kDefaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

struct G2pTrainOptions {
  seq2seq::SequenceTrainingOptions job;
  TrainingData data{kDefaultDictionary, "", 0.05};
  std::int64_t limit = 0;
  bool keep_stress = false;
};

struct G2pEvalOptions {
  std::vector<std::string> models;
  std::string test;
  seq2seq::SearchOptions search;
  std::int64_t batch_size = 256;
  std::int64_t limit = 0;
  std::string output;  // hypotheses, WORD<TAB>PHONES
};

struct G2pPronounceOptions {
  std::vector<std::string> models;
  std::vector<std::string> words;
  seq2seq::SearchOptions search;
  std::string attention_svg;
};

seq2seq::DictionaryOptions dictionary_options(bool keep_stress) {
  seq2seq::DictionaryOptions o;
  o.strip_stress = !keep_stress;
  return o;
}

void run_g2p_train(G2pTrainOptions options, const GlobalOptions& global) {
  const auto dict = dictionary_options(options.keep_stress);
  auto corpus = seq2seq::read_pronunciations(options.data.train, dict);
  if (options.limit > 0 && static_cast<std::int64_t>(corpus.size()) > options.limit) {
    // A random slice: dictionaries are sorted, their first N words would all start with A.
    corpus = seq2seq::split_dev(
                 corpus, static_cast<double>(options.limit) / static_cast<double>(corpus.size()),
                 static_cast<std::uint64_t>(global.runtime.seed) + 1)
                 .second;
  }
  const auto [train, dev] = train_and_dev(
      std::move(corpus), options.data,
      [&](const std::string& path) { return seq2seq::read_pronunciations(path, dict); },
      static_cast<std::uint64_t>(global.runtime.seed));
  options.job.task = "g2p";
  options.job.source_tokens = seq2seq::Tokenization::kCharacters;
  options.job.target_tokens = seq2seq::Tokenization::kWords;
  options.job.data = {{"train", options.data.train},
                      {"dev", options.data.dev.empty() ? "carved from train" : options.data.dev},
                      {"dev_fraction", options.data.dev.empty() ? options.data.dev_fraction : 0.0},
                      {"limit", options.limit},
                      {"train_words", train.size()},
                      {"dev_words", dev.size()},
                      {"stress", options.keep_stress}};
  run_sequence_training(options.job, train, dev, global);
}

void run_g2p_eval(const G2pEvalOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  const auto models = seq2seq::load_model_ensemble(options.models, "g2p", context.device);
  models.decoder->set_precision(context.precision);
  const auto& model = models.first();
  auto test = seq2seq::read_pronunciations(options.test, dictionary_options(false));
  if (options.limit > 0 && static_cast<std::int64_t>(test.size()) > options.limit)
    test.resize(static_cast<std::size_t>(options.limit));
  seq2seq::check_known(test, model.source_vocabulary, options.test);
  const auto evaluation =
      seq2seq::evaluate_sequences(models, test, {options.search, options.batch_size});
  const auto& report = evaluation.errors;
  const double seconds = evaluation.seconds;
  if (!options.output.empty()) {
    std::string text;
    for (std::size_t i = 0; i < test.size(); ++i)
      text += test[i].text + "\t" + join_tokens(evaluation.outputs[i]) + "\n";
    core::write_text_atomically(options.output, text);
  }
  const double words_per_second = evaluation.entries_per_second();
  nlohmann::json json = {{"test", options.test},
                         {"words", report.total.words},
                         {"wer", report.total.wer()},
                         {"per", report.total.per()},
                         {"beam", options.search.beam},
                         {"seconds", seconds},
                         {"words_per_second", words_per_second},
                         {"by_length", nlohmann::json::array()}};
  describe_models(json, options.models);
  report::Table table({"letters", "words", "WER", "PER"});
  for (const auto& [length, counts] : report.by_source_length) {
    json["by_length"].push_back({{"letters", length},
                                 {"words", counts.words},
                                 {"wer", counts.wer()},
                                 {"per", counts.per()}});
    table.add_row({std::to_string(length), std::to_string(counts.words),
                   report::fixed(counts.wer()) + "%", report::fixed(counts.per()) + "%"});
  }
  table.add_rule();
  table.add_row({"all", std::to_string(report.total.words), report::fixed(report.total.wer()) + "%",
                 report::fixed(report.total.per()) + "%"});
  std::ostringstream human;
  human << table.render() << "WER " << report::fixed(report.total.wer()) << "%, PER "
        << report::fixed(report.total.per()) << "% on " << report.total.words << " words (beam "
        << options.search.beam << "), decoded in " << core::format_duration(seconds) << " ("
        << report::fixed(words_per_second, 0) << " words/s)\n";
  emit(global, context, json, human.str());
}

void run_g2p_pronounce(G2pPronounceOptions options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  const auto models = seq2seq::load_model_ensemble(options.models, "g2p", context.device);
  models.decoder->set_precision(context.precision);
  const auto& model = models.first();
  if (options.words.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream words(line);
      std::string word;
      while (words >> word) options.words.push_back(word);
    }
  }
  if (options.words.empty()) throw core::OptionError("WORD", "no words given (arguments or stdin)");
  std::vector<std::string> kept;
  std::vector<seq2seq::Tokens> sources;
  for (auto word : options.words) {
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto tokens = seq2seq::tokenize(word, seq2seq::Tokenization::kCharacters);
    const auto unknown = model.source_vocabulary.unknown_tokens(tokens);
    if (!unknown.empty()) {
      std::cerr << "nnlab: warning: skipping '" << word << "': '" << unknown.front()
                << "' was never seen in training\n";
      continue;
    }
    kept.push_back(word);
    sources.push_back(tokens);
  }
  if (kept.empty()) throw core::OptionError("WORD", "no word left to pronounce");
  options.search.attention = !options.attention_svg.empty();
  const auto results =
      seq2seq::translate(*models.decoder, model.source_vocabulary, sources, {options.search, 256});
  nlohmann::json json = nlohmann::json::array();
  std::ostringstream human;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : results[i]) {
      const auto phones = join_tokens(model.target_vocabulary.decode(h.tokens));
      const double probability = std::exp(h.log_prob);
      list.push_back({{"phones", phones}, {"probability", probability}, {"score", h.score}});
      human << kept[i] << "\t" << phones << "\t" << report::fixed(probability, 4) << "\n";
    }
    json.push_back({{"word", kept[i]}, {"pronunciations", list}});
  }
  if (!options.attention_svg.empty()) {
    const auto& best = results.front().front();
    auto rows = model.target_vocabulary.decode(best.tokens);
    if (best.finished) rows.push_back("</s>");
    report::HeatmapOptions heatmap;
    heatmap.title = kept.front();
    core::write_text_atomically(
        options.attention_svg, report::heatmap_svg(best.attention, rows, sources.front(), heatmap));
    info(global, "wrote " + options.attention_svg);
  }
  emit(global, context, {{"words", json}}, human.str());
}

}  // namespace

void setup_g2p(CLI::App& app, GlobalOptions& global) {
  auto* g2p = app.add_subcommand("g2p", "grapheme-to-phoneme: train, eval, pronounce");
  g2p->require_subcommand(1);

  auto train_options = std::make_shared<G2pTrainOptions>();
  auto* train = g2p->add_subcommand("train", "train an attention encoder-decoder on a dictionary");
  add_train_command_flags(train, train_options->data, train_options->job,
                          "dictionary: CMUdict format or WORD<TAB>PHONES");
  train->get_option("--train")->required(false)->default_str(kDefaultDictionary);
  train->add_option("--limit", train_options->limit, "train on N words drawn at random (seeded)")
      ->check(domain::non_negative());
  train->add_flag("--keep-stress", train_options->keep_stress, "keep stress digits (AH0)");
  train->callback([train_options, &global] { run_g2p_train(*train_options, global); });

  auto eval_options = std::make_shared<G2pEvalOptions>();
  eval_options->search.beam = 5;
  auto* eval = g2p->add_subcommand("eval", "WER and PER against a dictionary with references");
  add_model_files_flag(eval, eval_options->models);
  eval->add_option("--test", eval_options->test, "WORD<TAB>PRON[<TAB>PRON...] or CMUdict format")
      ->required();
  eval->add_option("--batch-size", eval_options->batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  eval->add_option("--limit", eval_options->limit, "the first N words only")
      ->check(domain::non_negative());
  eval->add_option("--output", eval_options->output, "write WORD<TAB>hypothesis lines here");
  add_search_flags(eval, eval_options->search);
  eval->callback([eval_options, &global] { run_g2p_eval(*eval_options, global); });

  auto pronounce_options = std::make_shared<G2pPronounceOptions>();
  pronounce_options->search.beam = 5;
  auto* pronounce = g2p->add_subcommand("pronounce", "pronounce words (arguments or stdin)");
  add_model_files_flag(pronounce, pronounce_options->models);
  pronounce->add_option("words", pronounce_options->words, "words (default: read stdin)");
  pronounce->add_option("--nbest", pronounce_options->search.n_best, "pronunciations per word")
      ->check(domain::positive())
      ->capture_default_str();
  pronounce->add_option("--attention-svg", pronounce_options->attention_svg,
                        "draw the first word's attention here");
  add_search_flags(pronounce, pronounce_options->search);
  pronounce->callback(
      [pronounce_options, &global] { run_g2p_pronounce(*pronounce_options, global); });
}

}  // namespace nnlab::app
