// Whisper generation as transformers 4.27.1's WhisperForConditionalGeneration.generate() does it:
// the decoder prompt, the logits processors and the stopping length for a task, a language and
// the timestamp mode; language detection; and one call that runs it all on encoder states.
//
// The reference starts the decoder from <|startoftranscript|> alone and FORCES the language,
// the task and (without timestamps) <|notimestamps|> at positions 1-3, so they count toward
// max_new_tokens: a sequence is at most 1 + max_new_tokens long. Processors, in the reference's
// order: suppress_tokens; begin_suppress_tokens at the first free position; the forced tokens;
// with timestamps, the timestamp rules (which force <|0.00|> right after the task token).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/run_control.h"
#include "generation/logits.h"
#include "generation/search.h"
#include "whisper/model.h"

namespace parley::whisper {

struct GenerateOptions {
  std::string task = "transcribe";  // or "translate"
  // A code ("it") or token ("<|it|>"); empty: leave the language position unforced (the
  // reference's behaviour without a language; use detect_language() for "auto").
  std::string language;
  bool timestamps = false;   // the reference's return_timestamps
  int max_new_tokens = 0;    // > 0: max_length = 1 + max_new_tokens
  int max_length = 0;        // > 0 and no max_new_tokens: total length; both 0: generation_config's
  int num_beams = 1;         // 1: greedy
  bool compute_logprobs = false;  // greedy: report the mean log-probability of the chosen tokens
  float temperature = 0.f;        // > 0: sample (greedy only; see generation::SearchOptions)
  uint64_t seed = 0;
  const RunControl* control = nullptr;  // checked every step (generation::SearchOptions)
};

// Everything a search needs, derived from the config and the options (see make_plan).
struct DecodingPlan {
  std::vector<int> prompt;  // the decoder input before generation: <|startoftranscript|>
  generation::LogitsProcessors processors;
  generation::SearchOptions search;
};

// Throws Error(InvalidArgument) for an unknown task or language, a max length beyond the decoder's
// positions, or num_beams < 1.
DecodingPlan make_plan(const WhisperConfig& config, const GenerateOptions& options);

// Runs the plan (generation/search.h) on the session's encoder states (set_encoder_states must have been called).
generation::SearchResult generate(DecoderSession& session, const DecodingPlan& plan);

struct LanguageDetection {
  std::string code;            // the most likely language ("" for English-only models)
  int token_id = -1;
  std::vector<int> token_ids;  // all language tokens, in id order
  std::vector<float> logprobs; // log-softmax over the language tokens' logits, same order
};

// Logits after <|startoftranscript|>, restricted to the language tokens (argmax; the first of
// equal ones). Uses (and resets) the session, whose encoder states must be set.
LanguageDetection detect_language(DecoderSession& session);

}  // namespace parley::whisper
