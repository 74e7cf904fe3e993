#include "whisper/logits.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "generation/sampling.h"

namespace parley::whisper {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

std::optional<int> TimestampRules::forced(std::span<const int> tokens) const {
  if (static_cast<int>(tokens.size()) == begin_index_ - 1) return ids_.timestamp_begin;
  return std::nullopt;
}

void TimestampRules::apply(std::span<const int> tokens, std::span<float> scores) const {
  const int n = static_cast<int>(scores.size());
  const int ts = std::min(ids_.timestamp_begin, n);
  if (ids_.no_timestamps >= 0 && ids_.no_timestamps < n) scores[ids_.no_timestamps] = kNegInf;
  const int len = static_cast<int>(tokens.size());
  if (len == begin_index_ - 1) {
    generation::force_token(scores, ids_.timestamp_begin);
    return;
  }
  // Pairs, counted over the generated part only (from begin_index on).
  const int gen = std::max(0, len - begin_index_);
  const bool last_ts = gen >= 1 && tokens[len - 1] >= ids_.timestamp_begin;
  const bool penultimate_ts = gen < 2 || tokens[len - 2] >= ids_.timestamp_begin;
  if (last_ts) {
    if (penultimate_ts)
      std::fill(scores.begin() + ts, scores.end(), kNegInf);  // has to be text
    else
      std::fill(scores.begin(), scores.begin() + std::min(ids_.eos, n), kNegInf);  // cannot be text below eos
  }
  if (len == begin_index_ && max_initial_) {
    const int64_t last_allowed = static_cast<int64_t>(ids_.timestamp_begin) + *max_initial_;
    if (last_allowed + 1 < n) std::fill(scores.begin() + (last_allowed + 1), scores.end(), kNegInf);
  }
  // Timestamps win when their total probability beats the best single text token. Comparing
  // log-sum-exp with the max on the raw scores equals comparing the log-softmax values.
  const double ts_mass = generation::log_sum_exp(scores.subspan(ts));
  float best_text = kNegInf;
  for (int i = 0; i < ts; ++i) best_text = std::max(best_text, scores[i]);
  const bool all_inf = ts_mass == -std::numeric_limits<double>::infinity() && best_text == kNegInf;
  if (!all_inf && ts_mass > best_text) std::fill(scores.begin(), scores.begin() + ts, kNegInf);
}

}  // namespace parley::whisper
