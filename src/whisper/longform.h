// Long-form transcription: audio of any length, decoded in 30-second windows the way openai/whisper's
// transcribe() does it (the reference for long recordings; transformers 4.27.1 has no long-form mode).
//
//  - the log-mel of the whole signal plus 30 s of silence, normalised over all of it (LogMel::log_mel);
//  - a window starts at `seek` (mel frames); its frames are cut from that log-mel and zero-padded to
//    the encoder's length;
//  - the previous windows' tokens (timestamps included) are the next window's prompt after
//    <|startofprev|> (the last n_text_ctx / 2 - 1 of them; reset after a temperature above 0.5, and
//    never used without condition_on_previous_text), optionally led by an initial prompt;
//  - each window is decoded at the first temperature of the list, then at the next ones while the
//    text's compression ratio exceeds its threshold or the average log-probability falls below its
//    threshold (unless the window looks silent: no-speech probability over its threshold with a
//    low log-probability);
//  - a window whose no-speech probability exceeds the threshold is skipped unless its average
//    log-probability is above the log-probability threshold;
//  - segments are cut at consecutive timestamp tokens; the window advances to the last timestamp,
//    or by the whole window when it ends on a single timestamp or has none;
//  - with word_timestamps, each kept window's words are aligned (word_timing.h: the decoder re-runs the
//    window's text for its cross-attention), segment starts and ends may move to their words', and a
//    window that does not end on a single timestamp advances to the end of its last word instead.
// Times may be clamped to the audio's duration (segments that start after it are dropped).
//
// The loop calls a WindowDecoder to decode one window at one temperature, so tests can script it;
// ModelWindowDecoder (window_decode.h) runs the model with openai's decoding.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/run_control.h"
#include "tensor/tensor.h"
#include "text/segment.h"
#include "text/subtitles.h"
#include "text/whisper_tokenizer.h"
#include "whisper/word_timing.h"

namespace parley::whisper {

struct LongformOptions {
  std::string task = "transcribe";  // or "translate"
  std::string language = "auto";    // a code, a name or "auto" (detected on the first 30 s)
  // Tried in order while a window fails the thresholds below (openai's default list).
  std::vector<float> temperatures = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  std::optional<double> compression_ratio_threshold = 2.4;  // above: too repetitive, try hotter
  std::optional<double> logprob_threshold = -1.0;           // below: too unlikely, try hotter
  std::optional<double> no_speech_threshold = 0.6;          // above (with a low log-prob): silence
  bool condition_on_previous_text = true;
  std::string initial_prompt;        // text before the first window (openai's initial_prompt)
  bool carry_initial_prompt = false; // keep the initial prompt before every window's prompt
  // Decoding of one window (openai's DecodingOptions)
  int beam_size = 0;       // temperature 0: > 0 runs beam search; 0 is greedy
  float patience = 1.0f;   // beam search
  int best_of = 5;         // temperature > 0: samples per window, the most likely one kept
  std::optional<float> length_penalty;
  int sample_len = 0;      // most new tokens per window; 0: n_text_ctx / 2 (224)
  bool without_timestamps = false;  // one segment per window, the window advances by 30 s
  float max_initial_timestamp = 1.0f;  // seconds; <= 0: no limit
  bool suppress_blank = true;
  std::optional<std::vector<int>> suppress_tokens;  // none: openai's "-1" (non-speech symbols + specials)
  uint64_t seed = 0;       // sampling is seeded from this, the window and the attempt: repeatable
  bool clamp_to_duration = true;  // times within the audio; segments starting after its end dropped
  bool word_timestamps = false;   // each segment's words with their times (openai's word_timestamps)
  WordTimingOptions word_timing;  // punctuation merged into words, median filter width
  const RunControl* control = nullptr;  // checked every decoder step (throws Error(Cancelled))
};

using Segment = parley::Segment;  // text/segment.h

// What one window decode gave (openai's DecodingResult, without the text the loop derives).
struct WindowDecoding {
  std::vector<int> tokens;    // sampled, without <|endoftext|>
  double avg_logprob = 0;
  double no_speech_prob = 0;
};

struct WindowRequest {
  int64_t seek = 0;          // window start (mel frames)
  int64_t segment_size = 0;  // frames of audio in it (the rest is padding)
  std::vector<int> prompt;   // tokens after <|startofprev|> (already at most n_text_ctx / 2 - 1); empty: none
  float temperature = 0;
  uint64_t seed = 0;         // for sampling at temperature > 0
};

class WindowDecoder {
 public:
  virtual ~WindowDecoder() = default;
  // The next window's features [n_mels, window frames] (encoded once, decoded at several temperatures).
  virtual void set_window(const Tensor& features, int64_t seek) = 0;
  virtual WindowDecoding decode(const WindowRequest& request) = 0;
  // Word timestamps: the current window's cross-attention over `text_tokens` (word_timing.h, step 1).
  virtual AlignmentScores align(const std::vector<int>& text_tokens) = 0;
};

// One decode attempt and the loop's verdict, for tests and diagnostics.
struct WindowAttempt {
  float temperature = 0;
  WindowDecoding result;
  std::string text;  // decode(tokens).strip(), what the compression ratio is measured on
  double compression_ratio = 0;
  bool needs_fallback = false;
};
struct WindowTrace {
  int64_t seek = 0, segment_size = 0;
  std::vector<int> prompt;
  std::vector<WindowAttempt> attempts;
  bool skipped = false;  // judged silent: no segments, advanced by the window
};

struct LongformResult {
  std::string text;                // every kept segment's text tokens decoded together
  std::vector<Segment> segments;
  std::vector<WindowTrace> windows;
  // Filled in by Whisper::transcribe_long (the loop leaves them alone):
  std::string language;            // the code used ("en" for English-only models)
  std::string language_name;       // its English name ("italian")
  float language_logprob = 0.f;    // with language "auto": log-probability of the detected language
  double audio_seconds = 0;
};

// The model facts the loop needs (from WhisperConfig and the feature settings).
struct LongformSetup {
  int window_frames = 3000;  // mel frames the encoder takes (30 s)
  int hop_length = 160;
  int sample_rate = 16000;
  int input_stride = 2;      // mel frames per encoder position (and timestamp step)
  int n_text_ctx = 448;      // decoder positions
  int eot = 0;
  int timestamp_begin = 0;
  std::string language;      // the code decoded in: how words are split (word timestamps)
};

// Runs the loop over `mel` [n_mels, content_frames + window_frames] (the log-mel of the audio with
// 30 s of silence appended). `audio_seconds` is the input's length (for clamping). Segments are
// passed to `on_segment` as each window is done; then `on_window` sees the window's trace (skipped
// windows too), so a caller that streams can act on a whole window's text at once.
LongformResult run_longform(const Tensor& mel, int64_t content_frames, double audio_seconds, WindowDecoder& decoder,
                            const WhisperTokenizer& tokenizer, const LongformSetup& setup,
                            const LongformOptions& options,
                            const std::function<void(const Segment&)>& on_segment = nullptr,
                            const std::function<void(const WindowTrace&)>& on_window = nullptr);

// The result as timed text for the subtitle writers (text/subtitles.h): each segment a cue, with its
// window, tokens, temperature and scores as verbose_json's extra segment fields.
subtitles::Transcript to_transcript(const LongformResult& result, const std::string& task);

// The one rule for how a recording is decoded, shared by `parley transcribe` and the speech service:
// in windows with openai's transcribe() when it is longer than one window, when timed segments are
// wanted (every output format is then derived from that one decode, so a recording's text never
// depends on the format asked for), or when an option only windowed decoding has is given (a prompt,
// thresholds); otherwise in one window with the reference's generate() semantics.
bool decode_in_windows(double audio_seconds, double window_seconds, bool timed, bool windowed_options);

// openai's compression_ratio: UTF-8 bytes / zlib-compressed bytes (zlib's default level).
double compression_ratio(std::string_view text);

}  // namespace parley::whisper
