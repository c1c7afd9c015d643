#include "nnlab/seq2seq/evaluation/perplexity_table.h"

#include <cstdio>

#include "nnlab/seq2seq/evaluation/ngram_model.h"

namespace nnlab::seq2seq {

nlohmann::json PerplexityRow::to_json() const {
  nlohmann::json json = nlohmann::json::object();
  if (order > 0) json = {{"k", k}, {"order", order}};
  json["model"] = model;
  json.update(perplexity.to_json());
  return json;
}

std::vector<PerplexityRow> perplexity_table(LanguageModelFile& model,
                                            const std::vector<std::vector<std::int64_t>>& train,
                                            const std::vector<std::vector<std::int64_t>>& dev,
                                            const std::vector<std::vector<std::int64_t>>& evaluated,
                                            bool baselines) {
  std::vector<PerplexityRow> rows;
  rows.push_back(
      {"rnn (" + model.options.cell + ")", model_perplexity(model.model, evaluated), 0, 0.0});
  if (baselines) {
    for (const int order : {1, 2}) {
      const auto ngram = NgramModel::tuned(order, model.vocabulary.size(), train, dev);
      char k[64];
      std::snprintf(k, sizeof(k), "%.3f", ngram.k());
      rows.push_back({std::string(order == 1 ? "unigram" : "bigram") + ", add-k, k = " + k,
                      ngram.perplexity(evaluated), order, ngram.k()});
    }
  }
  return rows;
}

nlohmann::json to_json(const std::vector<PerplexityRow>& rows) {
  nlohmann::json json = nlohmann::json::array();
  for (const auto& row : rows) json.push_back(row.to_json());
  return json;
}

}  // namespace nnlab::seq2seq
