#include "option_flags.h"

#include <regex>
#include <unordered_map>

#include "nnlab/core/error.h"

namespace nnlab::app {

const std::vector<OptionFlag>& option_flags() {
  static const std::vector<OptionFlag> table = {
      // core and data
      {"RuntimeOptions.device", "--device"},
      {"RuntimeOptions.precision", "--precision"},
      {"RuntimeOptions.threads", "--threads"},
      {"DistributedOptions.timeout_seconds", "--dist-timeout"},
      {"set_max_image_pixels.pixels", "--max-image-pixels"},
      {"load_data.spec", "--data"},
      {"TrainTestSplit.train", "--data"},
      {"parse_canvas.text", "--canvas"},
      {"SceneOptions.width", "--canvas"},
      {"SceneOptions.height", "--canvas"},
      {"SceneOptions.min_items", "--min-items"},
      {"SceneOptions.max_items", "--max-items"},
      {"SceneOptions.jitter", "--jitter"},
      // models
      {"find_model.arch", "--arch"},
      {"ModelSource.arch", "--arch"},
      {"Trainer.model", "--arch"},
      {"ModelSource.normalize", "--normalize"},
      {"ModelSource.in_channels", "--input-size"},
      {"ModelSource.height", "--input-size"},
      {"ModelSource.width", "--input-size"},
      {"ModelOptions.num_classes", "--num-classes"},
      {"SummaryOptions.in_channels", "--input-size"},
      {"SummaryOptions.height", "--input-size"},
      {"SummaryOptions.width", "--input-size"},
      // train
      {"TrainOptions.epochs", "--epochs"},
      {"TrainOptions.batch_size", "--batch-size"},
      {"TrainOptions.lr", "--lr"},
      {"TrainOptions.weight_decay", "--weight-decay"},
      {"TrainOptions.label_smoothing", "--label-smoothing"},
      {"TrainOptions.schedule", "--schedule"},
      {"TrainOptions.step_size", "--step-size"},
      {"TrainOptions.optimizer", "--optimizer"},
      // attack
      {"make_attack.name", "--method"},
      {"parse_target_mode.name", "--target"},
      {"parse_defense.spec", "--defense"},
      {"AttackOptions.epsilon", "--epsilon"},
      {"AttackOptions.step_size", "--step-size"},
      {"AttackOptions.steps", "--steps"},
      {"AttackOptions.batch_size", "--batch-size"},
      {"AttackOptions.norm", "--norm"},
      {"AttackOptions.targeted", "--target"},
      {"PgdOptions.restarts", "--restarts"},
      {"MiFgsmOptions.decay", "--decay"},
      {"CarliniWagnerL2Options.c", "--cw-c"},
      {"CarliniWagnerL2Options.steps", "--cw-steps"},
      {"AttackOptions.loss", "--loss"},
      {"AutoAttackOptions.version", "--aa-version"},
      {"AutoAttackOptions.attacks", "--aa-attacks"},
      {"AutoAttackOptions.steps", "--aa-steps"},
      {"RobustnessOptions.pgd_steps", "--pgd-steps"},
      {"ApgdOptions.restarts", "--restarts"},
      {"ApgdOptions.eot_iter", "--eot-iter"},
      {"ApgdOptions.target_classes", "--target-classes"},
      {"HopSkipJumpOptions.max_queries", "--max-queries"},
      {"HopSkipJumpOptions.iterations", "--hsj-iterations"},
      {"SquareOptions.queries", "--queries"},
      {"SquareOptions.p_init", "--p-init"},
      {"SquareOptions.restarts", "--restarts"},
      {"FabOptions.restarts", "--restarts"},
      {"FabOptions.target_classes", "--target-classes"},
      {"AttackSweepOptions.epsilons", "--epsilon"},
      {"AttackSweepOptions.step_size", "--step-size"},
      {"AttackSweepOptions.output", "--output"},
      {"AttackSweepOptions.given_targets", "--target"},
      {"AttackSweepOptions.adaptive", "--adaptive"},
      {"FolderAttackOptions.input", "--input"},
      {"TransferMatrixOptions.inputs", "--input"},
      {"TransferMatrixOptions.clean", "--labels"},
      {"TransferMatrixOptions.batch_size", "--batch-size"},
      {"AdversarialTrainingOptions.method", "--adv"},
      {"AdversarialTrainingOptions.epsilon", "--epsilon"},
      {"AdversarialTrainingOptions.step_size", "--adv-step-size"},
      {"AdversarialTrainingOptions.steps", "--adv-steps"},
      {"AdversarialTrainingOptions.eval_steps", "--adv-eval-steps"},
      {"AdversarialTrainingOptions.collapse_drop", "--collapse-drop"},
      {"AdversarialTrainingOptions.beta", "--beta"},
      {"gaussian_augmentation_hooks.sigma", "--noise-sigma"},
      {"SmoothingOptions.sigma", "--sigma"},
      {"SmoothingOptions.n0", "--n0"},
      {"SmoothingOptions.n", "--n"},
      {"SmoothingOptions.alpha", "--alpha"},
      {"SmoothingOptions.batch_size", "--batch-size"},
      // compress
      {"MagnitudePruningOptions.sparsity", "--sparsity"},
      {"MagnitudePruningOptions.scope", "--scope"},
      {"MagnitudePruningOptions.score", "--score"},
      {"MagnitudePruningOptions.layers", "--layers"},
      {"magnitude_prune_per_layer.ratios", "--keep"},
      {"sparsity_schedule.steps", "--steps"},
      {"sparsity_schedule.kind", "--schedule"},
      {"ChannelPruningOptions.ratio", "--ratio"},
      {"ChannelPruningOptions.importance", "--importance"},
      {"ChannelPruningOptions.layers", "--layers"},
      {"ratio_for_macs.target_macs", "--target-macs"},
      {"prune_channels.model", "--model"},
      {"LowRankOptions.layers", "--layers"},
      {"LowRankOptions.rank", "--rank"},
      {"LowRankOptions.energy", "--energy"},
      {"LowRankOptions.budget", "--budget"},
      {"factorize_linear.model", "--model"},
      {"DepthwiseConversionOptions.layers", "--layers"},
      {"convert_to_depthwise.model", "--model"},
      {"DistillationOptions.temperature", "--temperature"},
      {"DistillationOptions.alpha", "--alpha"},
      {"ClusterOptions.method", "--method"},
      {"ClusterOptions.conv_bits", "--conv-bits"},
      {"ClusterOptions.fc_bits", "--fc-bits"},
      {"ClusterOptions.layer_bits", "--layer-bits"},
      {"CompressionOptions.rest", "--rest"},
      {"CompressionOptions.cluster_epochs", "--cluster-epochs"},
      {"CompressionOptions.gap_bits", "--gap-bits"},
      {"PruneRunOptions.method", "--structured"},
      {"PruneRunOptions.steps", "--steps"},
      {"PruneRunOptions.target_macs", "--target-macs"},
      {"QuantizationOptions.method", "--method"},
      {"QuantizationOptions.bits", "--bits"},
      {"QuantizationOptions.per_channel", "--per-channel"},
      // text and seq2seq
      {"split_documents.heldout_percent", "--heldout-percent"},
      {"split_documents.dev_percent", "--dev-percent"},
      {"parse_tokenization.name", "--tokens"},
      {"load_model_ensemble.paths", "--model"},
      {"ModelOptions.cell", "--cell"},
      {"ModelOptions.attention", "--attention"},
      {"ModelOptions.embedding", "--embedding"},
      {"ModelOptions.encoder_hidden", "--hidden"},
      {"ModelOptions.decoder_hidden", "--decoder-hidden"},
      {"ModelOptions.encoder_layers", "--encoder-layers"},
      {"ModelOptions.decoder_layers", "--decoder-layers"},
      {"ModelOptions.dropout", "--dropout"},
      {"LanguageModelOptions.cell", "--cell"},
      {"LanguageModelOptions.embedding", "--embedding"},
      {"LanguageModelOptions.hidden", "--hidden"},
      {"LanguageModelOptions.layers", "--layers"},
      {"LanguageModelOptions.dropout", "--dropout"},
      {"CaptionerOptions.height", "--canvas"},
      {"CaptionerOptions.width", "--canvas"},
      {"CaptionerOptions.features", "--features"},
      {"SearchOptions.beam", "--beam"},
      {"SearchOptions.n_best", "--nbest"},
      {"SearchOptions.length_penalty", "--length-penalty"},
      {"SearchOptions.max_length_a", "--max-length-a"},
      {"SearchOptions.max_length_b", "--max-length-b"},
      {"SearchOptions.temperature", "--temperature"},
      {"SearchOptions.top_k", "--top-k"},
      {"SearchOptions.prefix", "--prompt"},
      {"ScheduledSamplingOptions.schedule", "--sampling"},
      {"ScheduledSamplingOptions.floor", "--sampling-floor"},
      {"ScheduledSamplingOptions.slope", "--sampling-slope"},
      {"ScheduledSamplingOptions.k", "--sampling-k"},
      {"Seq2SeqTrainOptions.epochs", "--epochs"},
      {"Seq2SeqTrainOptions.batch_size", "--batch-size"},
      {"Seq2SeqTrainOptions.lr", "--lr"},
      {"Seq2SeqTrainOptions.lr_schedule", "--lr-schedule"},
      {"Seq2SeqTrainOptions.lr_decay", "--lr-decay"},
      {"Seq2SeqTrainOptions.lr_patience", "--lr-patience"},
      {"Seq2SeqTrainOptions.clip", "--clip"},
      {"Seq2SeqTrainOptions.label_smoothing", "--label-smoothing"},
      {"Seq2SeqTrainOptions.attention_lambda", "--attention-lambda"},
      {"Seq2SeqTrainOptions.average_last", "--average-last"},
      {"Seq2SeqTrainOptions.patience", "--patience"},
      {"Seq2SeqTrainOptions.max_minutes", "--max-minutes"},
      {"Seq2SeqTrainOptions.checkpoint_path", "--checkpoint"},
      {"LmTrainOptions.epochs", "--epochs"},
      {"LmTrainOptions.batch_size", "--batch-size"},
      {"LmTrainOptions.bptt", "--bptt"},
      {"LmTrainOptions.lr", "--lr"},
      {"LmTrainOptions.lr_decay", "--lr-decay"},
      {"LmTrainOptions.clip", "--clip"},
      {"LmTrainOptions.patience", "--patience"},
      {"LmTrainOptions.checkpoint_path", "--checkpoint"},
      {"CaptionTrainOptions.epochs", "--epochs"},
      {"CaptionTrainOptions.batch_size", "--batch-size"},
      {"CaptionTrainOptions.lr", "--lr"},
      {"CaptionTrainOptions.clip", "--clip"},
      {"CaptionTrainOptions.label_smoothing", "--label-smoothing"},
      {"CaptionTrainOptions.attention_lambda", "--attention-lambda"},
      {"CaptionTrainOptions.attention_tau", "--attention-tau"},
      {"CaptionTrainingOptions.scenes", "--scenes"},
      {"CaptionEvaluationOptions.scenes", "--scenes"},
      {"CaptionImageOptions.scene", "--scene"},
      {"DevSplitOptions.fraction", "--dev-fraction"},
      {"SequenceTrainingOptions.output", "--output"},
      {"LmTrainingOptions.output", "--output"},
      {"LmTrainingOptions.min_count", "--min-count"},
      {"LmEvaluationOptions.split", "--split"},
      {"GenerationOptions.max_tokens", "--max-tokens"},
      {"GenerationOptions.samples", "--samples"},
      {"GenerationOptions.prompt", "--prompt"},
  };
  return table;
}

const std::vector<OptionFlag>& options_without_flag() {
  // The `flag` column holds the reason instead.
  static const std::vector<OptionFlag> list = {
      {"ApgdOptions.rho", "the reference's 0.75"},
      {"ApgdOptions.momentum", "the reference's 0.75"},
      {"AutoAttackOptions.eot_iter", "the reference's 20 (--aa-version rand)"},
      {"AttackSweepOptions.write_images", "set by the command: PNGs for --input folders only"},
      {"CarliniWagnerL2Options.binary_steps", "the library's default"},
      {"CarliniWagnerL2Options.kappa", "the library's default"},
      {"CarliniWagnerL2Options.lr", "the library's default"},
      {"DeepFoolOptions.steps", "the library's default (--steps sets AttackOptions.steps)"},
      {"DeepFoolOptions.overshoot", "the library's default"},
      {"DeepFoolOptions.candidates", "the library's default"},
      {"DiFgsmOptions.diversity_prob", "the library's default"},
      {"DiFgsmOptions.resize_rate", "the library's default"},
      {"HopSkipJumpOptions.init_evals", "the reference's 100"},
      {"HopSkipJumpOptions.max_evals", "the reference's 10,000"},
      {"HopSkipJumpOptions.gamma", "the reference's 1.0"},
      {"FabOptions.alpha_max", "the reference's 0.1"},
      {"FabOptions.eta", "the reference's 1.05"},
      {"FabOptions.beta", "the reference's 0.9"},
      {"FabOptions.final_search", "the paper's 3 steps"},
      {"ModelOptions.in_channels", "set from the data or the checkpoint"},
      {"CaptionerOptions.channels", "set from the data"},
  };
  return list;
}

std::string flag_of(const std::string& option) {
  static const auto* index = [] {
    auto* map = new std::unordered_map<std::string, std::string>;
    for (const auto& row : option_flags()) map->emplace(row.option, row.flag);
    return map;
  }();
  const auto found = index->find(option);
  return found == index->end() ? std::string() : found->second;
}

std::string with_flags(const std::string& text) {
  // An option name: a struct or function name, a dot, a snake_case field or parameter.
  static const std::regex name(R"([A-Za-z_][A-Za-z0-9_]*\.[a-z_][a-z0-9_]*)");
  std::string out;
  std::string last_flag;  // the flag just written, to give "A/B" that both map to it once
  auto from = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    const auto& match = *it;
    const std::string between(from, match[0].first);
    from = match[0].second;
    const std::string flag = flag_of(match.str());
    if (flag.empty()) {
      out += between + match.str();
      last_flag.clear();
    } else if (between != "/" || flag != last_flag) {
      out += between + flag;
      last_flag = flag;
    }  // else "--canvas/--canvas": the same flag again, dropped
  }
  out.append(from, text.cend());
  return out;
}

std::string describe_error(const std::exception& error) {
  if (const auto* option = dynamic_cast<const core::OptionError*>(&error)) {
    return with_flags(option->option()) + ": " + with_flags(option->problem());
  }
  return with_flags(error.what());
}

}  // namespace nnlab::app
