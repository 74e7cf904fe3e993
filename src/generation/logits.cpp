#include "generation/logits.h"

#include <algorithm>
#include <limits>

namespace parley::generation {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool in_vocab(int token, std::span<const float> scores) {
  return token >= 0 && static_cast<size_t>(token) < scores.size();
}


void suppress(std::span<float> scores, const std::vector<int>& ids) {
  for (int id : ids)
    if (in_vocab(id, scores)) scores[id] = kNegInf;
}

}  // namespace

void force_token(std::span<float> scores, int id) {
  std::fill(scores.begin(), scores.end(), kNegInf);
  if (in_vocab(id, scores)) scores[id] = 0.f;
}

void ForceTokens::apply(std::span<const int> tokens, std::span<float> scores) const {
  if (auto id = forced(tokens)) force_token(scores, *id);
}

std::optional<int> ForceTokens::forced(std::span<const int> tokens) const {
  auto it = map_.find(static_cast<int>(tokens.size()));
  if (it == map_.end() || it->second < 0) return std::nullopt;
  return it->second;
}

void SuppressTokens::apply(std::span<const int>, std::span<float> scores) const { suppress(scores, ids_); }

void SuppressTokensAtBegin::apply(std::span<const int> tokens, std::span<float> scores) const {
  if (static_cast<int>(tokens.size()) == begin_index_) suppress(scores, ids_);
}

BadWords::BadWords(std::vector<std::vector<int>> sequences, int eos) {
  for (auto& s : sequences)
    if (!s.empty() && !(s.size() == 1 && s[0] == eos)) sequences_.push_back(std::move(s));
}

void BadWords::apply(std::span<const int> tokens, std::span<float> scores) const {
  for (const auto& seq : sequences_) {
    const size_t prefix = seq.size() - 1;
    if (prefix > tokens.size() || !in_vocab(seq.back(), scores)) continue;
    if (std::equal(seq.begin(), seq.end() - 1, tokens.end() - static_cast<std::ptrdiff_t>(prefix)))
      scores[seq.back()] = kNegInf;
  }
}

void NoRepeatNGram::apply(std::span<const int> tokens, std::span<float> scores) const {
  const int len = static_cast<int>(tokens.size());
  if (n_ < 1 || len + 1 < n_) return;
  // Every earlier n-gram whose first n-1 tokens equal the last n-1 bans its last token.
  const auto tail = tokens.subspan(static_cast<size_t>(len - (n_ - 1)));
  for (int start = 0; start + n_ <= len; ++start) {
    if (!std::equal(tail.begin(), tail.end(), tokens.begin() + start)) continue;
    const int banned = tokens[static_cast<size_t>(start + n_ - 1)];
    if (in_vocab(banned, scores)) scores[banned] = kNegInf;
  }
}

void RepetitionPenalty::apply(std::span<const int> tokens, std::span<float> scores) const {
  // The reference gathers each distinct token's score once, then scatters the penalised values.
  std::vector<int> seen(tokens.begin(), tokens.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (int t : seen) {
    if (!in_vocab(t, scores)) continue;
    float& s = scores[t];
    s = s < 0 ? s * penalty_ : s / penalty_;
  }
}

std::optional<int> LogitsProcessors::forced(std::span<const int> tokens) const {
  std::optional<int> out;
  for (const auto& p : list_)
    if (auto f = p->forced(tokens)) out = f;
  return out;
}

}  // namespace parley::generation
