// Whisper's own logits rule of transformers 4.27.1 (generation/logits_process.py): the timestamp
// rules. The generic processors Whisper also uses (suppression, forced tokens) and the chain are in
// generation/logits.h; openai's long-form rules are in window_rules.h.
#pragma once

#include <optional>
#include <span>

#include "generation/logits.h"

namespace parley::whisper {

// Whisper's timestamp rules (WhisperTimeStampLogitsProcessor), in the reference's exact form:
//  - <|notimestamps|> is always suppressed;
//  - at length begin_index - 1 the first timestamp <|0.00|> is forced;
//  - from begin_index on, timestamps come in pairs: after two timestamps (or one at the start of the
//    generated part) a text token must follow, after a single one another timestamp or
//    a token >= eos (text tokens below eos are suppressed);
//  - at length begin_index, timestamps beyond timestamp_begin + max_initial_index are suppressed;
//  - when the timestamps' summed probability exceeds the best text token's, text is suppressed.
// The generated part starts at begin_index, so the forced <|0.00|> is not counted in the pairs.
class TimestampRules : public generation::LogitsProcessor {
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

}  // namespace parley::whisper
