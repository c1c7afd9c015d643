// Flags shared by `nnlab g2p` and `nnlab seq2seq`: the model's shape, its training recipe and
// the search, bound 1:1 to the library's options structs; and the one training flow both run.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cli_common.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/seq2seq/seq2seq_trainer.h"
#include "nnlab/seq2seq/sequence_training.h"
#include "nnlab/text/corpus.h"

namespace nnlab::app {

void add_model_flags(CLI::App* app, seq2seq::ModelOptions& options);
void add_training_flags(CLI::App* app, seq2seq::Seq2SeqTrainOptions& options);
void add_search_flags(CLI::App* app, seq2seq::SearchOptions& options);
// -m,--model (required): one model file, or several (the flag repeated, one file each) decoded
// as an ensemble.
void add_model_files_flag(CLI::App* app, std::vector<std::string>& paths);
// A command's JSON names its model ("model": the first file) and an ensemble's files
// ("ensemble": all of them).
void describe_models(nlohmann::json& json, const std::vector<std::string>& paths);

// Where a training command's examples come from.
struct TrainingData {
  std::string train;
  std::string dev;  // empty: carved from train
  double dev_fraction = 0.05;
};

// The flags every training command has: --train, --dev, --dev-fraction, -o, --resume, and the
// model and training flags.
void add_train_command_flags(CLI::App* app, TrainingData& data,
                             seq2seq::SequenceTrainingOptions& job, const std::string& train_help);

// {train, dev}: `all` and data.dev read by `read`, or `all` split by entry (--dev-fraction, the
// seed; seq2seq::carve_dev).
std::pair<seq2seq::Corpus, seq2seq::Corpus> train_and_dev(
    seq2seq::Corpus all, const TrainingData& data,
    const std::function<seq2seq::Corpus(const std::string&)>& read, std::uint64_t seed);

// seq2seq::run_sequence_training with the global options; prints the epochs and the result.
void run_sequence_training(const seq2seq::SequenceTrainingOptions& job,
                           const seq2seq::Corpus& train, const seq2seq::Corpus& dev,
                           const GlobalOptions& global);

// "123 words in 4.5s (27.3 words/s)"-style rate line pieces.
std::string join_tokens(const seq2seq::Tokens& tokens, const std::string& separator = " ");

}  // namespace nnlab::app
