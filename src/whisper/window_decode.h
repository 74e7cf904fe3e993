// One 30-second window decoded the way openai/whisper's DecodingTask does it (decoding.py), for
// long-form transcription: the initial tokens
//     [<|startofprev|> prompt...] <|startoftranscript|> <|lang|> <|task|> [<|notimestamps|>]
// then greedy decoding (temperature 0), beam search (temperature 0 with beam_size: openai's
// BeamSearchDecoder, patience and its ranking) or best_of independent samples at a temperature > 0,
// with openai's logits rules (window_rules.h), at most sample_len new tokens and never more than the
// decoder's positions; the no-speech probability is read at <|startoftranscript|> in the first
// forward pass. The candidates are ranked by summed log-probability / length (or openai's
// length_penalty form) and the best one's tokens and average log-probability are returned.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/run_control.h"
#include "whisper/longform.h"
#include "whisper/model.h"

namespace parley::whisper {

struct WindowDecodeOptions {
  // <|startoftranscript|> <|lang|> <|task|> (just <|startoftranscript|> for English-only models), with
  // <|notimestamps|> appended when decoding without timestamps.
  std::vector<int> sot_sequence;
  bool without_timestamps = false;
  // Previous text: the decoder sees its last n_text_ctx / 2 - 1 tokens after <|startofprev|>.
  std::vector<int> prompt;
  float temperature = 0.f;
  int beam_size = 0;        // temperature 0: > 0 runs beam search with that many beams
  float patience = 1.0f;    // beam search: finish after round(beam_size * patience) hypotheses
  int best_of = 1;          // temperature > 0: independent samples, the best one kept
  std::optional<float> length_penalty;  // none: rank by sum / length; else by sum / ((5 + length) / 6) ** p
  int sample_len = 0;       // most new tokens; 0: n_text_ctx / 2
  std::optional<int> max_initial_timestamp_index = 50;  // openai's max_initial_timestamp (1.0 s) / 0.02 s
  std::vector<int> suppress_tokens;  // every step (see default_suppress_tokens)
  std::vector<int> blank_tokens;     // at the first sampled position (empty: no SuppressBlank)
  uint64_t seed = 0;                 // sampling
  const RunControl* control = nullptr;  // checked every decoder step: a cancelled request stops there
};

struct WindowDecodeResult {
  std::vector<int> tokens;     // the sampled tokens, without <|endoftext|>
  double sum_logprob = 0;      // over the sampled tokens and <|endoftext|>
  double avg_logprob = 0;      // sum_logprob / (tokens + 1), as openai
  double no_speech_prob = 0;   // softmax at <|startoftranscript|> of the no-speech token (0 without one)
  std::vector<int> initial_tokens;  // what the decoder was given before sampling
};

// Decodes one window over `session`, whose encoder states are set. The session must hold
// max(beam_size, best_of) hypotheses of n_text_ctx tokens. Throws Error(InvalidArgument) for
// inconsistent options.
WindowDecodeResult decode_window(DecoderSession& session, const WindowDecodeOptions& options);

// The long-form loop's WindowDecoder on a real model: each window is encoded once, then decoded with
// decode_window at each temperature the loop asks for. One per transcription (not thread-safe).
class ModelWindowDecoder : public WindowDecoder {
 public:
  // `base`: everything but the prompt, the temperature and the seed, which come with each request.
  ModelWindowDecoder(std::shared_ptr<const WhisperModel> model, WindowDecodeOptions base);
  void set_window(const Tensor& features, int64_t seek) override;
  WindowDecoding decode(const WindowRequest& request) override;
  // The decoder re-run on <sot sequence> <|notimestamps|> text <|endoftext|>: the alignment heads' scores.
  AlignmentScores align(const std::vector<int>& text_tokens) override;

 private:
  std::shared_ptr<const WhisperModel> model_;
  WindowDecodeOptions base_;
  EncoderBuffers buffers_;
  Tensor states_;
  DecoderSession session_;
};

}  // namespace parley::whisper
