// nnlab lm: an RNN language model over characters (UTF-8: one Chinese character is one token) or
// words — the lecture's generation: given "床", emit "前", feed it back, go on.
//   train     on fortune files or plain text, split by document into train / dev / held-out
//   eval      perplexity per token on a split, beside add-k unigram and bigram baselines
//   generate  from a prompt: sampling with temperature and top-k, greedy (temperature 0), beam
// Longer than 100 lines: three subcommands, each flags -> seq2seq::run_lm_training /
// evaluate_language_model / generate_text -> printing; the flag bindings alone are 110 lines.
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/lm_training.h"
#include "nnlab/seq2seq/text_generation.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

struct LmTrainCommand {
  seq2seq::LmTrainingOptions run;
  std::string tokens = "chars";
};

struct LmEvalCommand {
  std::string model;
  seq2seq::LmEvaluationOptions evaluation;
};

struct LmGenerateCommand {
  std::string model;
  seq2seq::GenerationOptions generation;
  bool verse = false;
};

std::string render_perplexity_table(const std::vector<seq2seq::PerplexityRow>& rows,
                                    const std::string& split) {
  report::Table table({"model", "perplexity per token on " + split, "tokens"});
  for (const auto& row : rows) {
    table.add_row({row.model, report::fixed(row.perplexity.per_token(), 1),
                   report::grouped(row.perplexity.tokens)});
  }
  return table.render();
}

void run_lm_train(LmTrainCommand options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.run.resume.empty()) options.run.tokens = seq2seq::parse_tokenization(options.tokens);
  options.run.training.progress = !global.quiet;
  seq2seq::LmTrainingCallbacks callbacks;
  callbacks.on_start = [&](const seq2seq::LanguageModelFile& model,
                           const seq2seq::LmDataSummary& data) {
    info(global, "training on " + std::to_string(data.train_documents) + " documents (" +
                     report::grouped(data.train_tokens) + " tokens), dev " +
                     std::to_string(data.dev_documents) + ", held out " +
                     std::to_string(data.heldout_documents) + "; vocabulary " +
                     std::to_string(model.vocabulary.size()) + "; " +
                     report::grouped(model.model->parameter_count()) + " parameters");
  };
  callbacks.on_epoch = [&](const seq2seq::LmEpoch& e) {
    info(global, "epoch " + std::to_string(e.epoch) + ": loss " + report::fixed(e.loss, 4) +
                     ", dev perplexity " + report::fixed(e.dev_perplexity, 2) + ", lr " +
                     report::fixed(e.lr, 6) + ", " + report::fixed(e.tokens_per_second, 0) +
                     " tokens/s, " + core::format_duration(e.seconds));
  };
  const auto run = seq2seq::run_lm_training(options.run, context, callbacks);
  const auto& result = run.training;
  std::ostringstream human;
  if (!run.heldout.empty()) human << render_perplexity_table(run.heldout, "held-out");
  human << "kept epoch " << result.best_epoch << " (dev perplexity "
        << report::fixed(result.best_dev_perplexity, 2) << "), " << result.history.size()
        << " epochs in " << core::format_duration(result.seconds) << "\nwrote "
        << options.run.output << "\n";
  emit(global, context, run.to_json(options.run.output), human.str());
}

void run_lm_eval(const LmEvalCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_language_model(options.model, context.device);
  model.model->set_precision(context.precision);
  const auto rows = seq2seq::evaluate_language_model(model, options.evaluation);
  emit(global, context,
       {{"model", options.model},
        {"split", options.evaluation.split},
        {"results", seq2seq::to_json(rows)}},
       render_perplexity_table(rows, options.evaluation.split));
}

void run_lm_generate(const LmGenerateCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_language_model(options.model, context.device);
  model.model->set_precision(context.precision);
  const auto& g = options.generation;
  // The library names the option (GenerationOptions.prompt); the user typed --prompt.
  const auto unknown =
      model.vocabulary.unknown_tokens(seq2seq::tokenize_text(g.prompt, model.tokens));
  if (!unknown.empty()) {
    throw core::OptionError("--prompt", "'" + join_tokens(unknown, "', '") +
                                            "' never seen in training by " + options.model);
  }
  const auto generated = seq2seq::generate_text(model, g, context);
  nlohmann::json samples = nlohmann::json::array();
  std::ostringstream human;
  for (const auto& sample : generated.samples) {
    samples.push_back({{"text", sample.text},
                       {"log_prob", sample.log_prob},
                       {"finished", sample.finished},
                       {"lines", sample.verse.lines},
                       {"regular_lines", sample.verse.regular}});
    human << sample.text << "\n";
    if (generated.samples.size() > 1) human << "\n";
  }
  nlohmann::json json = {
      {"model", options.model},  {"prompt", g.prompt},    {"temperature", g.search.temperature},
      {"top_k", g.search.top_k}, {"beam", g.search.beam}, {"seed", global.runtime.seed},
      {"samples", samples}};
  if (options.verse) {
    const auto& form = generated.verse;
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
  auto& t = train_options->run;
  train->add_option("--text", t.data.text, "fortune files (records between % lines) or text")
      ->required()
      ->expected(1, -1);
  train->add_option("-o,--output", t.output, "the model file")->required();
  train->add_option("--resume", t.resume, "continue from a training state (--checkpoint)");
  train->add_option("--tokens", train_options->tokens, "chars | words")->capture_default_str();
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
  eval->add_option("--text", eval_options->evaluation.text, "the files the model was trained on")
      ->required()
      ->expected(1, -1);
  eval->add_option("--split", eval_options->evaluation.split, "heldout | dev | train | all")
      ->capture_default_str();
  eval->add_flag("--baselines", eval_options->evaluation.baselines,
                 "add-k unigram and bigram models from the train split (k tuned on dev)");
  eval->callback([eval_options, &global] { run_lm_eval(*eval_options, global); });

  auto generate_options = std::make_shared<LmGenerateCommand>();
  auto* generate = lm->add_subcommand("generate", "continue a prompt");
  auto& g = generate_options->generation;
  generate->add_option("-m,--model", generate_options->model)->required();
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
  generate->add_flag("--verse", generate_options->verse,
                     "count the lines of 5 or 7 characters closed by ， or 。");
  generate->callback([generate_options, &global] { run_lm_generate(*generate_options, global); });
}

}  // namespace nnlab::app
