// Longer than 100 lines: the flag bindings g2p and seq2seq share (about 120 lines) and the
// printing of seq2seq::run_sequence_training's epochs and result.
#include "seq2seq_flags.h"

#include <algorithm>
#include <sstream>

#include "flag_domains.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

void add_model_flags(CLI::App* app, seq2seq::ModelOptions& o) {
  app->add_option("--cell", o.cell, "lstm | gru")->capture_default_str();
  app->add_option("--embedding", o.embedding, "embedding size")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--hidden", o.encoder_hidden, "encoder size per direction")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--encoder-layers", o.encoder_layers)
      ->check(domain::positive())
      ->capture_default_str();
  app->add_flag("!--unidirectional", o.bidirectional, "a forward-only encoder");
  app->add_option("--decoder-hidden", o.decoder_hidden)
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--decoder-layers", o.decoder_layers)
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--attention", o.attention, "additive | dot | general")->capture_default_str();
  app->add_flag("!--no-input-feed", o.input_feed, "do not feed the attentional state back");
  app->add_option("--dropout", o.dropout)
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
}

void add_training_flags(CLI::App* app, seq2seq::Seq2SeqTrainOptions& o) {
  app->add_option("--epochs", o.epochs)->check(domain::positive())->capture_default_str();
  app->add_option("--batch-size", o.batch_size)->check(domain::positive())->capture_default_str();
  app->add_option("--lr", o.lr, "Adam's learning rate")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--lr-schedule", o.lr_schedule,
                  "plateau (decay when dev WER stalls) | cosine (to 0 over the epochs)")
      ->capture_default_str();
  app->add_option("--lr-decay", o.lr_decay, "rate factor when dev WER stalls")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/false))
      ->capture_default_str();
  app->add_option("--lr-patience", o.lr_patience, "epochs without progress before decaying")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--clip", o.clip, "maximal gradient norm (0: off)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--label-smoothing", o.label_smoothing)
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  app->add_option("--attention-lambda", o.attention_lambda,
                  "weight of sum_i (tau - sum_t alpha_t^i)^2 (0: off)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--attention-tau", o.attention_tau)
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--sampling", o.sampling.schedule,
                  "scheduled sampling: none | linear | exponential | inverse-sigmoid")
      ->capture_default_str();
  app->add_option("--sampling-k", o.sampling.k, "exponential base / inverse-sigmoid k")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--sampling-slope", o.sampling.slope, "linear decay per epoch")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--sampling-floor", o.sampling.floor, "smallest teacher-forcing probability")
      ->check(domain::fraction())
      ->capture_default_str();
  app->add_option("--sampling-start", o.sampling.start_epoch, "epochs of pure teacher forcing")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--average-last", o.average_last, "average the last N epochs' weights")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--patience", o.patience, "stop after N epochs without progress (0: never)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--max-minutes", o.max_minutes, "stop after this much training (0: no limit)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--checkpoint", o.checkpoint_path,
                  "write the training state here after every epoch (for --resume)");
}

void add_search_flags(CLI::App* app, seq2seq::SearchOptions& o) {
  app->add_option("--beam", o.beam, "beam size (1: greedy)")
      ->check(domain::positive())
      ->capture_default_str();
  app->add_option("--length-penalty", o.length_penalty,
                  "score = log P / length^alpha (0: raw log P)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--max-length-a", o.max_length_a, "outputs stop at a * input length + b")
      ->check(domain::non_negative())
      ->capture_default_str();
  app->add_option("--max-length-b", o.max_length_b)
      ->check(domain::non_negative())
      ->capture_default_str();
}

void add_model_files_flag(CLI::App* app, std::vector<std::string>& paths) {
  app->add_option("-m,--model", paths, "model file; repeat the flag to decode an ensemble")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)  // one file per flag: the words after it are not models
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void describe_models(nlohmann::json& json, const std::vector<std::string>& paths) {
  json["model"] = paths.front();
  if (paths.size() > 1) json["ensemble"] = paths;
}

void add_train_command_flags(CLI::App* app, TrainingData& data,
                             seq2seq::SequenceTrainingOptions& job, const std::string& train_help) {
  app->add_option("--train", data.train, train_help)->required();
  app->add_option("--dev", data.dev, "dev file (default: carved from --train)");
  app->add_option("--dev-fraction", data.dev_fraction, "share of --train held out as dev")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/true))
      ->capture_default_str();
  app->add_option("-o,--output", job.output, "the model file")->required();
  app->add_option("--resume", job.resume,
                  "continue from a training state (--checkpoint); model flags are ignored");
  add_model_flags(app, job.model);
  add_training_flags(app, job.training);
}

std::pair<seq2seq::Corpus, seq2seq::Corpus> train_and_dev(
    seq2seq::Corpus all, const TrainingData& data,
    const std::function<seq2seq::Corpus(const std::string&)>& read, std::uint64_t seed) {
  if (!data.dev.empty()) return {std::move(all), read(data.dev)};
  return seq2seq::carve_dev(all, {data.dev_fraction, seed}, data.train);
}

std::string join_tokens(const seq2seq::Tokens& tokens, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += separator;
    out += tokens[i];
  }
  return out;
}

void run_sequence_training(const seq2seq::SequenceTrainingOptions& job,
                           const seq2seq::Corpus& train, const seq2seq::Corpus& dev,
                           const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto options = job;
  options.training.progress = !global.quiet;
  seq2seq::SequenceTrainingCallbacks callbacks;
  callbacks.on_start = [&](const seq2seq::SequenceModel& model) {
    std::int64_t pairs = 0;
    for (const auto& e : train) pairs += static_cast<std::int64_t>(e.targets.size());
    info(global, "training on " + std::to_string(train.size()) + " entries (" +
                     std::to_string(pairs) + " pairs), dev " + std::to_string(dev.size()) +
                     " entries; " + report::grouped(model.model->parameter_count()) +
                     " parameters; vocabularies " + std::to_string(model.source_vocabulary.size()) +
                     " / " + std::to_string(model.target_vocabulary.size()));
  };
  callbacks.on_epoch = [&](const seq2seq::Seq2SeqEpoch& e) {
    std::ostringstream line;
    line << "epoch " << e.epoch << ": loss " << report::fixed(e.loss, 4) << ", dev WER "
         << report::fixed(e.dev_wer) << "%, PER " << report::fixed(e.dev_per) << "%, lr " << e.lr
         << ", teacher forcing " << report::fixed(e.teacher_forcing, 3);
    if (job.training.attention_lambda > 0)
      line << ", attention penalty " << report::fixed(e.attention_penalty, 3);
    line << ", " << report::fixed(e.examples_per_second, 0) << " pairs/s, "
         << core::format_duration(e.seconds);
    info(global, line.str());
  };
  const auto run = seq2seq::run_sequence_training(options, train, dev, context, callbacks);
  const auto& result = run.training;
  std::ostringstream human;
  human << "kept " << result.kept << " (best epoch " << result.best_epoch << ": dev WER "
        << report::fixed(result.best_dev_wer) << "%";
  if (result.averaged_dev_wer >= 0)
    human << "; average of the last "
          << std::min<std::size_t>(result.history.size(), job.training.average_last)
          << " epochs: " << report::fixed(result.averaged_dev_wer) << "%";
  human << "): dev WER " << report::fixed(result.dev_wer) << "%, PER "
        << report::fixed(result.dev_per) << "%, " << result.history.size() << " epochs in "
        << core::format_duration(result.seconds) << "\nwrote " << job.output << "\n";
  emit(global, context, run.to_json(job.output), human.str());
}

}  // namespace nnlab::app
