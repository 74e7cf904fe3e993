// Logits processors with the semantics of transformers 4.27.1 (generation/logits_process.py): rules
// that edit one hypothesis' scores before the next token is chosen. Each sees the hypothesis' whole
// sequence so far (decoder start included: the reference's `input_ids` row) and its scores (raw
// logits in greedy search, log-probabilities in beam search).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace parley::generation {

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  virtual void apply(std::span<const int> tokens, std::span<float> scores) const = 0;
  // The token this rule forces after `tokens` regardless of the scores, if any (lets a search feed
  // a forced prefix in one decoder call).
  virtual std::optional<int> forced(std::span<const int> tokens) const { return std::nullopt; }
};

// Every score -inf but `id`'s, which becomes 0 (how the reference forces a token).
void force_token(std::span<float> scores, int id);

// ForceTokensLogitsProcessor: forces token `id` when the sequence has `position` tokens, every
// other score -inf and the forced one 0. ForcedBOSTokenLogitsProcessor is {1: bos};
// ForcedEOSTokenLogitsProcessor is {max_length - 1: eos}; Whisper's forced_decoder_ids are the map.
// A negative id (the reference's null entry) forces nothing.
class ForceTokens : public LogitsProcessor {
 public:
  explicit ForceTokens(std::map<int, int> position_to_token) : map_(std::move(position_to_token)) {}
  ForceTokens(int position, int token) : map_{{position, token}} {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;
  std::optional<int> forced(std::span<const int> tokens) const override;

 private:
  std::map<int, int> map_;
};

// SuppressTokensLogitsProcessor: the given tokens are -inf at every step.
class SuppressTokens : public LogitsProcessor {
 public:
  explicit SuppressTokens(std::vector<int> ids) : ids_(std::move(ids)) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  std::vector<int> ids_;
};

// SuppressTokensAtBeginLogitsProcessor: the given tokens are -inf at the step where the sequence
// has `begin_index` tokens (the first token after a forced prompt; openai's SuppressBlank too).
class SuppressTokensAtBegin : public LogitsProcessor {
 public:
  SuppressTokensAtBegin(std::vector<int> ids, int begin_index) : ids_(std::move(ids)), begin_index_(begin_index) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  std::vector<int> ids_;
  int begin_index_;
};

// NoBadWordsLogitsProcessor: a banned sequence's last token is -inf where the sequence so far ends
// with the rest of it (always, for one-token sequences). Sequences equal to [eos] are dropped, as
// the reference does.
class BadWords : public LogitsProcessor {
 public:
  BadWords(std::vector<std::vector<int>> sequences, int eos);
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  std::vector<std::vector<int>> sequences_;
};

// NoRepeatNGramLogitsProcessor: a token that would repeat an n-gram already in the sequence is -inf.
class NoRepeatNGram : public LogitsProcessor {
 public:
  explicit NoRepeatNGram(int n) : n_(n) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  int n_;
};

// RepetitionPenaltyLogitsProcessor: the score of every token already in the sequence is divided by
// `penalty` when positive, multiplied when negative.
class RepetitionPenalty : public LogitsProcessor {
 public:
  explicit RepetitionPenalty(float penalty) : penalty_(penalty) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  float penalty_;
};

// An ordered chain (the order matters: for translation the reference applies repetition penalty,
// no-repeat n-gram, bad words, then forced BOS and forced EOS; for Whisper suppression, then
// forcing, then the timestamp rules).
class LogitsProcessors {
 public:
  void add(std::unique_ptr<LogitsProcessor> p) { list_.push_back(std::move(p)); }
  void apply(std::span<const int> tokens, std::span<float> scores) const {
    for (const auto& p : list_) p->apply(tokens, scores);
  }
  // The token forced after `tokens`: the last processor that forces one wins (its edit stands).
  std::optional<int> forced(std::span<const int> tokens) const;
  size_t size() const { return list_.size(); }

 private:
  std::vector<std::unique_ptr<LogitsProcessor>> list_;
};

}  // namespace parley::generation
