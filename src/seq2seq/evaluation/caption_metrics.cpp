#include "nnlab/seq2seq/evaluation/caption_metrics.h"

#include <torch/torch.h>

#include "nnlab/text/sequence_metrics.h"

namespace nnlab::seq2seq {

nlohmann::json CaptionScores::to_json() const {
  return {{"scenes", scenes},
          {"reference_words", reference_words},
          {"word_accuracy", word_accuracy},
          {"exact_match", exact_match},
          {"bleu4", bleu4},
          {"bleu_orders", bleu_orders},
          {"attended_words", attended_words},
          {"attention_inside", attention_inside}};
}

std::vector<Hypothesis> caption_images(CaptionModel& model, const torch::Tensor& images,
                                       SearchOptions options, std::int64_t batch_size) {
  // Captions name at most max_items items; two more words leave room to see a runaway.
  options.max_length_a = 0;
  options.max_length_b = model.scenes.max_items + 2;
  const bool was_training = model.model->is_training();
  model.model->eval();
  const auto device = model.model->device();
  std::vector<Hypothesis> out;
  out.reserve(static_cast<std::size_t>(images.size(0)));
  for (std::int64_t start = 0; start < images.size(0); start += batch_size) {
    const auto batch = images.narrow(0, start, std::min(batch_size, images.size(0) - start));
    const auto lengths = torch::full({batch.size(0)}, model.model->regions(), torch::kInt64);
    auto lists = search(*model.model, batch.to(device), lengths, options);
    for (auto& list : lists) out.push_back(std::move(list.front()));
  }
  model.model->train(was_training);
  return out;
}

double attention_inside(const CaptionModel& model, const std::vector<float>& attention,
                        const data::Box& box) {
  const auto gh = model.model->grid_height(), gw = model.model->grid_width();
  const double cell_h = static_cast<double>(model.options.height) / static_cast<double>(gh);
  const double cell_w = static_cast<double>(model.options.width) / static_cast<double>(gw);
  double inside = 0;
  for (std::int64_t r = 0; r < gh; ++r) {
    for (std::int64_t c = 0; c < gw; ++c) {
      const auto i = static_cast<std::size_t>(r * gw + c);
      if (i < attention.size() && box.contains((r + 0.5) * cell_h, (c + 0.5) * cell_w))
        inside += attention[i];
    }
  }
  return inside;
}

CaptionScores score_captions(const CaptionModel& model, const std::vector<Hypothesis>& captions,
                             const data::SceneSet& scenes) {
  TORCH_CHECK(static_cast<std::int64_t>(captions.size()) == scenes.size(), "captions of ",
              captions.size(), " scenes for ", scenes.size(), " scenes");
  const auto tokens = model.class_tokens();
  CaptionScores s;
  s.scenes = scenes.size();
  std::int64_t correct = 0, exact = 0, inside = 0;
  Corpus references;
  std::vector<Tokens> hypotheses;
  for (std::size_t i = 0; i < captions.size(); ++i) {
    const auto& labels = scenes.labels[i];
    const auto& words = captions[i].tokens;
    std::vector<std::int64_t> reference;
    for (const auto c : labels) reference.push_back(tokens[static_cast<std::size_t>(c)]);
    for (std::size_t k = 0; k < reference.size(); ++k)
      correct += k < words.size() && words[k] == reference[k] ? 1 : 0;
    exact += words == reference ? 1 : 0;
    s.reference_words += static_cast<std::int64_t>(reference.size());
    const auto& attention = captions[i].attention;
    for (std::size_t k = 0; k < std::min(words.size(), labels.size()); ++k) {
      if (k >= attention.size()) break;
      ++s.attended_words;
      inside += attention_inside(model, attention[k], scenes.boxes[i][k]) >= 0.5 ? 1 : 0;
    }
    Entry e;
    e.targets.push_back(model.vocabulary.decode(reference));
    references.push_back(std::move(e));
    hypotheses.push_back(model.vocabulary.decode(words));
  }
  const auto percent = [](std::int64_t a, std::int64_t b) {
    return b > 0 ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  s.word_accuracy = percent(correct, s.reference_words);
  s.exact_match = percent(exact, s.scenes);
  s.attention_inside = percent(inside, s.attended_words);
  const auto bleu = corpus_bleu(references, hypotheses, 4, /*effective_order=*/true);
  s.bleu4 = bleu.bleu;
  s.bleu_orders = bleu.orders;
  return s;
}

}  // namespace nnlab::seq2seq
