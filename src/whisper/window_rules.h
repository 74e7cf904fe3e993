// The logits rules of openai/whisper's decoding (decoding.py), which long-form transcription follows
// (its reference is openai/whisper's transcribe(), not transformers' generate()). They differ from the
// Hugging Face rules (logits.h, generation/logits.h):
//  - timestamps: nothing is forced; the first sampled token must be a timestamp (at most
//    max_initial_index after <|0.00|>), timestamps never decrease and a segment is never empty;
//  - suppression: the "-1" list is computed from the tokenizer (non_speech_tokens), plus the task
//    and control tokens, instead of generation_config.json's suppress_tokens;
//  - SuppressBlank: " " and <|endoftext|> are suppressed at the first sampled position
//    (generation::SuppressTokensAtBegin with blank_tokens()).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "text/whisper_tokenizer.h"
#include "generation/logits.h"

namespace parley::whisper {

// ApplyTimestampRules. `sample_begin` is the length of the initial tokens (prompt and <|startoftranscript|>
// sequence): the rules look only at what was sampled after it.
class OpenaiTimestampRules : public generation::LogitsProcessor {
 public:
  struct Ids {
    int eot = 0;
    int no_timestamps = -1;   // suppressed at every step (-1: none)
    int timestamp_begin = 0;  // <|0.00|>
  };
  OpenaiTimestampRules(Ids ids, int sample_begin, std::optional<int> max_initial_index)
      : ids_(ids), sample_begin_(sample_begin), max_initial_(max_initial_index) {}
  void apply(std::span<const int> tokens, std::span<float> scores) const override;

 private:
  Ids ids_;
  int sample_begin_;
  std::optional<int> max_initial_;
};

// openai's Tokenizer.non_speech_tokens: the first token of each speaker-tag / annotation symbol
// ("♪", "[", "(", "--", ...) alone or after a space, where it is one token, and " -", " '".
std::vector<int> non_speech_tokens(const WhisperTokenizer& tokenizer);

// DecodingTask._get_suppress_tokens for suppress_tokens "-1": non_speech_tokens plus <|transcribe|>,
// <|translate|>, <|startoftranscript|>, <|startofprev|>, <|startoflm|> and the no-speech token, sorted.
std::vector<int> default_suppress_tokens(const WhisperTokenizer& tokenizer);

// SuppressBlank's ids: encode(" ") and <|endoftext|>.
std::vector<int> blank_tokens(const WhisperTokenizer& tokenizer);

}  // namespace parley::whisper
