#include "nnlab/seq2seq/decoding/search.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "nnlab/core/error.h"
#include "nnlab/text/vocabulary.h"
#include "nnlab/train/temperature.h"

namespace nnlab::seq2seq {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double normalized(double log_prob, std::size_t length, double penalty) {
  return penalty == 0
             ? log_prob
             : log_prob / std::pow(static_cast<double>(std::max<std::size_t>(length, 1)), penalty);
}

std::vector<std::int64_t> max_lengths(const torch::Tensor& lengths, const SearchOptions& options) {
  const auto cpu = lengths.to(torch::kCPU).to(torch::kInt64).contiguous();
  std::vector<std::int64_t> out(static_cast<std::size_t>(cpu.numel()));
  const auto* l = cpu.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(options.max_length_a * static_cast<double>(l[i])) +
               options.max_length_b);
  }
  return out;
}

// The attention row of `row` over the first `length` source positions.
std::vector<float> attention_row(const torch::Tensor& attention_cpu, std::int64_t row,
                                 std::int64_t length) {
  const auto* a = attention_cpu.data_ptr<float>() + row * attention_cpu.size(1);
  return std::vector<float>(a, a + length);
}

// Log-probabilities of the next token; padding and <s> are never generated, nor <unk> unless
// allowed.
torch::Tensor next_log_probs(const torch::Tensor& logits, const SearchOptions& options) {
  auto log_probs = torch::log_softmax(logits.to(torch::kFloat), 1);
  log_probs.select(1, Vocabulary::kPad).fill_(-std::numeric_limits<float>::infinity());
  log_probs.select(1, Vocabulary::kBegin).fill_(-std::numeric_limits<float>::infinity());
  if (!options.allow_unknown)
    log_probs.select(1, Vocabulary::kUnknown).fill_(-std::numeric_limits<float>::infinity());
  return log_probs;
}

// Draws one token per row from softmax(logits / T) over the top_k most likely tokens (never
// padding or <s>, nor <unk> unless allowed), on the CPU with the sampler's generator so a
// seed means the same draw on any device.
torch::Tensor sample_tokens(const torch::Tensor& logits, const SearchOptions& options,
                            at::Generator& generator) {
  auto scores = logits.to(torch::kCPU).to(torch::kFloat).clone();
  const auto minus_infinity = -std::numeric_limits<float>::infinity();
  scores.select(1, Vocabulary::kPad).fill_(minus_infinity);
  scores.select(1, Vocabulary::kBegin).fill_(minus_infinity);
  if (!options.allow_unknown) scores.select(1, Vocabulary::kUnknown).fill_(minus_infinity);
  if (options.top_k > 0 && options.top_k < scores.size(1)) {
    const auto kth = std::get<0>(scores.topk(options.top_k, 1)).select(1, options.top_k - 1);
    scores.masked_fill_(scores < kth.unsqueeze(1), minus_infinity);
  }
  const auto probabilities = train::temperature_log_softmax(scores, options.temperature, 1).exp();
  return torch::multinomial(probabilities, 1, /*replacement=*/false, generator)
      .squeeze(1)
      .to(logits.device());
}

// True when the n_best best finished hypotheses of a source score at least as high as any
// continuation of its live ones can: log-probabilities only fall as an output grows, so the best
// live log-probability `best_live` bounds every continuation's; with length normalization
// (log P / length^penalty, log P <= 0) a continuation scores highest at the longest length allowed.
bool cannot_be_beaten(const std::vector<Hypothesis>& finished, double best_live,
                      std::int64_t max_length, const SearchOptions& options) {
  const auto n = static_cast<std::size_t>(options.n_best);
  if (finished.size() < n) return false;
  std::vector<double> scores;
  scores.reserve(finished.size());
  for (const auto& h : finished) scores.push_back(h.score);
  std::nth_element(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(n - 1),
                   scores.end(), std::greater<>());
  return scores[n - 1] >=
         normalized(best_live, static_cast<std::size_t>(max_length), options.length_penalty);
}

}  // namespace

void SearchOptions::validate() const {
  if (beam < 1)
    throw core::OptionError("SearchOptions.beam", "must be >= 1, got " + std::to_string(beam));
  if (n_best < 1 || n_best > beam)
    throw core::OptionError("SearchOptions.n_best", "must be between 1 and the beam (" +
                                                        std::to_string(beam) + "), got " +
                                                        std::to_string(n_best));
  if (length_penalty < 0)
    throw core::OptionError("SearchOptions.length_penalty",
                            "must be >= 0, got " + core::number_text(length_penalty));
  if (max_length_a < 0 || max_length_b < 0 || (max_length_a == 0 && max_length_b == 0))
    throw core::OptionError("SearchOptions.max_length_a/SearchOptions.max_length_b",
                            "must allow at least one token");
  if (temperature < 0)
    throw core::OptionError("SearchOptions.temperature",
                            "must be >= 0, got " + core::number_text(temperature));
  if (top_k < 0)
    throw core::OptionError("SearchOptions.top_k", "must be >= 0, got " + std::to_string(top_k));
  if (temperature > 0 && beam > 1)
    throw core::OptionError("SearchOptions.temperature",
                            "sampling draws one output at a time: use SearchOptions.beam 1");
  for (const auto token : prefix) {
    if (token == Vocabulary::kPad || token == Vocabulary::kBegin || token == Vocabulary::kEnd)
      throw core::OptionError("SearchOptions.prefix", "a prefix holds no padding, <s> or </s>");
  }
}

std::vector<std::vector<Hypothesis>> greedy_search(StepDecoder& decoder,
                                                   const torch::Tensor& source,
                                                   const torch::Tensor& lengths,
                                                   const SearchOptions& options) {
  options.validate();
  c10::InferenceMode inference;
  const auto batch = source.size(0);
  const auto limit = max_lengths(lengths, options);
  const auto source_length = lengths.to(torch::kCPU).to(torch::kInt64).contiguous();
  auto state = decoder.start(source, lengths);
  auto tokens = torch::full({batch}, Vocabulary::kBegin,
                            torch::TensorOptions().dtype(torch::kInt64).device(decoder.device()));
  std::vector<Hypothesis> hyps(static_cast<std::size_t>(batch));
  std::vector<bool> done(static_cast<std::size_t>(batch), false);
  std::int64_t remaining = batch;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const auto forced = static_cast<std::int64_t>(options.prefix.size());
  const auto steps = *std::max_element(limit.begin(), limit.end());
  for (std::int64_t t = 0; t < steps && remaining > 0; ++t) {
    auto out = decoder.step(tokens, state);
    const auto log_probs = next_log_probs(out.logits, options);
    torch::Tensor index;
    if (t < forced) {
      index = torch::full({batch}, options.prefix[static_cast<std::size_t>(t)], tokens.options());
    } else if (options.temperature > 0) {
      index = sample_tokens(out.logits, options, generator);
    } else {
      index = log_probs.argmax(1);
    }
    const auto best = log_probs.gather(1, index.unsqueeze(1)).squeeze(1);
    const auto best_cpu = best.to(torch::kCPU).contiguous();
    const auto index_cpu = index.to(torch::kCPU).contiguous();
    torch::Tensor attention_cpu;
    if (options.attention)
      attention_cpu = out.attention.to(torch::kCPU).to(torch::kFloat).contiguous();
    for (std::int64_t b = 0; b < batch; ++b) {
      const auto i = static_cast<std::size_t>(b);
      if (done[i]) continue;
      auto& h = hyps[i];
      const auto token = index_cpu.data_ptr<std::int64_t>()[b];
      h.log_prob += best_cpu.data_ptr<float>()[b];
      if (options.attention)
        h.attention.push_back(
            attention_row(attention_cpu, b, source_length.data_ptr<std::int64_t>()[b]));
      if (token == Vocabulary::kEnd) {
        done[i] = true;
      } else {
        h.tokens.push_back(token);
        if (static_cast<std::int64_t>(h.tokens.size()) >= limit[i]) {
          h.finished = false;
          done[i] = true;
        }
      }
      if (done[i]) {
        h.score =
            normalized(h.log_prob, h.tokens.size() + (h.finished ? 1 : 0), options.length_penalty);
        --remaining;
      }
    }
    tokens = index;
    state = std::move(out.state);
  }
  std::vector<std::vector<Hypothesis>> result;
  result.reserve(hyps.size());
  for (auto& h : hyps) result.push_back({std::move(h)});
  return result;
}

std::vector<std::vector<Hypothesis>> beam_search(StepDecoder& decoder, const torch::Tensor& source,
                                                 const torch::Tensor& lengths,
                                                 const SearchOptions& options) {
  options.validate();
  c10::InferenceMode inference;
  const auto batch = source.size(0);
  const auto k = options.beam;
  const auto limit = max_lengths(lengths, options);
  const auto source_length = lengths.to(torch::kCPU).to(torch::kInt64).contiguous();
  const auto device = decoder.device();
  const auto index_options = torch::TensorOptions().dtype(torch::kInt64);

  // Rows are grouped by source: the sources still searched (`active`), `width` rows each. The
  // first step has one row per source (all beams would be the same); finished sources leave the
  // batch, so the decoder only runs on live work.
  std::vector<std::int64_t> active(static_cast<std::size_t>(batch));
  std::iota(active.begin(), active.end(), 0);
  std::int64_t width = 1;
  auto state = decoder.start(source, lengths);
  auto tokens = torch::full({batch}, Vocabulary::kBegin, index_options.device(device));
  std::vector<double> scores(static_cast<std::size_t>(batch), 0.0);
  std::vector<std::vector<std::int64_t>> history(static_cast<std::size_t>(batch));
  std::vector<std::vector<std::vector<float>>> attention(
      options.attention ? static_cast<std::size_t>(batch) : 0);
  std::vector<std::vector<Hypothesis>> finished(static_cast<std::size_t>(batch));

  const auto forced = static_cast<std::int64_t>(options.prefix.size());
  const auto steps = *std::max_element(limit.begin(), limit.end());
  for (std::int64_t t = 0; t < steps && !active.empty(); ++t) {
    const auto groups = static_cast<std::int64_t>(active.size());
    const auto rows = groups * width;
    auto out = decoder.step(tokens, state);
    const auto log_probs = next_log_probs(out.logits, options);
    if (t < forced) {
      // The prefix: one row per source (width stays 1), every source takes the same token.
      const auto token = options.prefix[static_cast<std::size_t>(t)];
      const auto chosen = log_probs.select(1, token).to(torch::kCPU).contiguous();
      torch::Tensor attention_cpu;
      if (options.attention)
        attention_cpu = out.attention.to(torch::kCPU).to(torch::kFloat).contiguous();
      for (std::int64_t g = 0; g < groups; ++g) {
        const auto gi = static_cast<std::size_t>(g);
        scores[gi] += chosen.data_ptr<float>()[g];
        history[gi].push_back(token);
        if (options.attention)
          attention[gi].push_back(
              attention_row(attention_cpu, g, source_length.data_ptr<std::int64_t>()[active[gi]]));
      }
      tokens = torch::full({groups}, token, index_options.device(device));
      state = std::move(out.state);
      continue;
    }
    const auto vocabulary = log_probs.size(1);
    const auto previous =
        torch::from_blob(scores.data(), {rows, 1}, torch::kDouble).to(torch::kFloat).to(device);
    const auto total = (log_probs + previous).view({groups, width * vocabulary});
    auto [top_values, top_indices] = total.topk(std::min(2 * k, width * vocabulary), 1);
    top_values = top_values.to(torch::kCPU).contiguous();
    top_indices = top_indices.to(torch::kCPU).contiguous();
    const auto candidates = top_values.size(1);
    torch::Tensor attention_cpu;
    if (options.attention)
      attention_cpu = out.attention.to(torch::kCPU).to(torch::kFloat).contiguous();

    // The next layout: k rows for each source that stays active.
    std::vector<std::int64_t> next_active;
    std::vector<std::int64_t> next_rows, next_tokens;
    std::vector<double> next_scores;
    std::vector<std::vector<std::int64_t>> next_history;
    std::vector<std::vector<std::vector<float>>> next_attention;
    for (std::int64_t g = 0; g < groups; ++g) {
      const auto b = active[static_cast<std::size_t>(g)];
      const auto bi = static_cast<std::size_t>(b);
      const auto source_len = source_length.data_ptr<std::int64_t>()[b];
      const auto first_slot = next_rows.size();
      std::int64_t alive = 0;
      for (std::int64_t c = 0; c < candidates && alive < k; ++c) {
        const double value = top_values.data_ptr<float>()[g * candidates + c];
        if (value == kNegInf) break;
        const auto index = top_indices.data_ptr<std::int64_t>()[g * candidates + c];
        const auto row = g * width + index / vocabulary;
        const auto token = index % vocabulary;
        const auto ri = static_cast<std::size_t>(row);
        auto trail = [&] {
          if (!options.attention) return std::vector<std::vector<float>>{};
          auto a = attention[ri];
          a.push_back(attention_row(attention_cpu, row, source_len));
          return a;
        };
        const bool ends = token == Vocabulary::kEnd;
        const bool cut = !ends && static_cast<std::int64_t>(history[ri].size()) + 1 >= limit[bi];
        if (ends || cut) {
          if (static_cast<std::int64_t>(finished[bi].size()) < k) {
            Hypothesis h;
            h.tokens = history[ri];
            if (cut) h.tokens.push_back(token);
            h.log_prob = value;
            h.finished = ends;
            h.score = normalized(value, history[ri].size() + 1, options.length_penalty);
            h.attention = trail();
            finished[bi].push_back(std::move(h));
          }
          if (cut) ++alive;  // a cut hypothesis takes its live slot: nothing runs past the limit
          continue;
        }
        next_rows.push_back(row);
        next_tokens.push_back(token);
        next_scores.push_back(value);
        next_history.push_back(history[ri]);
        next_history.back().push_back(token);
        if (options.attention) next_attention.push_back(trail());
        ++alive;
      }
      const auto live = static_cast<std::int64_t>(next_rows.size() - first_slot);
      if (static_cast<std::int64_t>(finished[bi].size()) >= k || live == 0 ||
          (options.stop_early &&
           cannot_be_beaten(finished[bi], next_scores[first_slot], limit[bi], options))) {
        // Done: its candidates leave the next layout.
        next_rows.resize(first_slot);
        next_tokens.resize(first_slot);
        next_scores.resize(first_slot);
        next_history.resize(first_slot);
        if (options.attention) next_attention.resize(first_slot);
        continue;
      }
      // Pad the group to k rows with dead copies of its first row.
      for (auto j = live; j < k; ++j) {
        next_rows.push_back(next_rows[first_slot]);
        next_tokens.push_back(Vocabulary::kEnd);
        next_scores.push_back(kNegInf);
        next_history.emplace_back();
        if (options.attention) next_attention.emplace_back();
      }
      next_active.push_back(b);
    }
    if (next_active.empty()) break;
    const auto index = torch::tensor(next_rows, index_options).to(device);
    // While the groups stay the same, rows only move inside their own source's group and the
    // memory needs no copy; when the layout changes the whole state follows.
    state = width == k && next_active.size() == active.size() ? out.state.reorder(index)
                                                              : out.state.select(index);
    tokens = torch::tensor(next_tokens, index_options).to(device);
    scores = std::move(next_scores);
    history = std::move(next_history);
    attention = std::move(next_attention);
    active = std::move(next_active);
    width = k;
  }
  for (auto& list : finished) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (static_cast<std::int64_t>(list.size()) > options.n_best)
      list.resize(static_cast<std::size_t>(options.n_best));
  }
  return finished;
}

std::vector<std::vector<Hypothesis>> search(StepDecoder& decoder, const torch::Tensor& source,
                                            const torch::Tensor& lengths,
                                            const SearchOptions& options) {
  return options.beam == 1 ? greedy_search(decoder, source, lengths, options)
                           : beam_search(decoder, source, lengths, options);
}

}  // namespace nnlab::seq2seq
