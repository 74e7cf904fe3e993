// Logits processors: small rules that edit one hypothesis' scores before the next token is chosen,
// with the semantics of transformers 4.27.1 (generation/logits_process.py). Each sees the
// hypothesis' whole sequence so far (decoder prompt included: the reference's `input_ids` row) and
// its scores over the vocabulary (raw logits in greedy search, log-probabilities in beam search).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace parley::whisper {

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  virtual void apply(std::span<const int> tokens, std::span<float> scores) const = 0;
  // The token this rule forces after `tokens` regardless of the scores, if any (lets generation
  // feed a forced prompt in one decoder call instead of one call per token).
  virtual std::optional<int> forced(std::span<const int> tokens) const { return std::nullopt; }
};

// Sets the given tokens to -inf at every step (SuppressTokensLogitsProcessor).
class SuppressTokens : public LogitsProcessor {
 public:
  explicit SuppressTokens(std::vector<int> ids) : ids_(std::move(ids)) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  std::vector<int> ids_;
};

// Sets the given tokens to -inf at the step where the sequence has `begin_index` tokens: the first
// token after the forced prompt (SuppressTokensAtBeginLogitsProcessor).
class SuppressTokensAtBegin : public LogitsProcessor {
 public:
  SuppressTokensAtBegin(std::vector<int> ids, int begin_index) : ids_(std::move(ids)), begin_index_(begin_index) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  std::vector<int> ids_;
  int begin_index_;
};

// Forces token `id` when the sequence has `position` tokens: every other score becomes -inf and
// the forced one 0 (ForceTokensLogitsProcessor).
class ForceTokens : public LogitsProcessor {
 public:
  explicit ForceTokens(std::map<int, int> position_to_token) : map_(std::move(position_to_token)) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;
  std::optional<int> forced(std::span<const int> tokens) const override;

 private:
  std::map<int, int> map_;
};

// Whisper's timestamp rules (WhisperTimeStampLogitsProcessor), in the reference's exact form:
//  - <|notimestamps|> is always suppressed;
//  - at length begin_index - 1 the first timestamp <|0.00|> is forced;
//  - from begin_index on, timestamps come in pairs: after two timestamps (or one at the start of the
//    generated part) a text token must follow, after a single one another timestamp or
//    a token >= eos (text tokens below eos are suppressed);
//  - at length begin_index, timestamps beyond timestamp_begin + max_initial_index are suppressed;
//  - when the timestamps' summed probability exceeds the best text token's, text is suppressed.
// The generated part starts at begin_index, so the forced <|0.00|> is not counted in the pairs.
class TimestampRules : public LogitsProcessor {
 public:
  struct Ids {
    int eos = 0;
    int no_timestamps = 0;
    int timestamp_begin = 0;  // <|0.00|>
  };
  TimestampRules(Ids ids, int begin_index, std::optional<int> max_initial_index)
      : ids_(ids), begin_index_(begin_index), max_initial_(max_initial_index) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;
  std::optional<int> forced(std::span<const int> tokens) const override;

 private:
  Ids ids_;
  int begin_index_;
  std::optional<int> max_initial_;
};

// An ordered chain of processors (the order matters: the reference applies suppression, then
// forcing, then the timestamp rules).
class LogitsProcessors {
 public:
  void add(std::unique_ptr<LogitsProcessor> p) { list_.push_back(std::move(p)); }
  void apply(std::span<const int> tokens, std::span<float> scores) const {
    for (const auto& p : list_) p->apply(tokens, scores);
  }
  // The token forced after `tokens`: the last processor that forces one wins, as its -inf/0 edit
  // is the one left standing.
  std::optional<int> forced(std::span<const int> tokens) const;
  size_t size() const { return list_.size(); }

 private:
  std::vector<std::unique_ptr<LogitsProcessor>> list_;
};

}  // namespace parley::whisper
