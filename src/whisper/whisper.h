// Whisper from audio to text: one object per model folder, shared read-only by any number of
// threads; each transcribe() call owns its buffers and caches.
//
//   auto whisper = parley::whisper::Whisper::load("models/whisper-base");
//   TranscribeResult r = whisper.transcribe(samples16k, {.task = "translate"});
//
// transcribe() decodes one 30-second window with transformers' generate() semantics (longer audio is
// cut to its first 30 s and the result says so); transcribe_long() decodes audio of any length in
// windows with openai/whisper's transcribe() semantics and returns timed segments (longform.h).
#pragma once

#include <cstdint>
#include <functional>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/run_control.h"
#include "audio/mel.h"
#include "text/whisper_tokenizer.h"
#include "whisper/generate.h"
#include "whisper/longform.h"
#include "whisper/model.h"

namespace parley::whisper {

struct TranscribeOptions {
  std::string task = "transcribe";  // "transcribe" (same language) or "translate" (to English)
  std::string language = "auto";    // a code ("it", "<|it|>") or "auto" to detect it
  int max_new_tokens = 256;         // counts the forced language/task/notimestamps tokens, as the reference
  int num_beams = 1;                // 1: greedy; more: beam search
  bool timestamps = false;          // generate timestamp tokens (the reference's return_timestamps)
  // > 0: sample each token at this temperature (greedy only), from a generator seeded by `seed`.
  float temperature = 0.f;
  uint64_t seed = 0;
  const RunControl* control = nullptr;  // checked every decoder step (throws Error(Cancelled))
};

struct TranscribeResult {
  std::string language;           // the code used ("en" for English-only models)
  std::string language_name;      // its English name ("italian")
  float language_logprob = 0.f;   // with language "auto": log-probability of the detected language
  std::vector<int> tokens;        // the whole sequence, decoder prompt included, as generate() returns it
  std::string text;               // tokens decoded with special tokens skipped
  std::string text_with_timestamps;  // with timestamps: special tokens and "<|1.24|>" times shown
  // Beam search: the reference's length-normalised sequence score; greedy: the mean log-probability
  // of the generated tokens.
  float score = 0.f;
  double audio_seconds = 0;       // length of the input
  bool truncated = false;         // the input was longer than one window and was cut
  double window_seconds = 0;      // the window's length (30 s)
};

// The language a long-form run decodes in.
struct LongformLanguage {
  std::string code;     // "it" ("en" for English-only models)
  std::string name;     // "italian"
  float logprob = 0.f;  // with language "auto": log-probability of the detected language
};

class Whisper {
 public:
  // Config, weights, tokenizer and feature settings of a Hugging Face model folder.
  static Whisper load(const std::filesystem::path& folder);

  // Checks options against the model (task, language code, limits) without running anything;
  // throws Error(InvalidArgument). transcribe() checks them too.
  void check(const TranscribeOptions& options) const;

  // 16 kHz mono samples -> result.
  TranscribeResult transcribe(std::span<const float> samples16k, const TranscribeOptions& options) const;
  // The same from log-mel features [num_mel_bins, 3000] (what transcribe() computes first).
  TranscribeResult transcribe_features(const Tensor& features, const TranscribeOptions& options) const;

  // Audio of any length -> timed segments (openai's transcribe()). `on_segment` sees each segment as
  // soon as its window is decoded, then `on_window` the window's trace and the language decoded in
  // (given, or detected on the first window): a streaming caller can act on each window's text.
  // Throws Error(InvalidArgument) for bad options.
  LongformResult transcribe_long(std::span<const float> samples16k, const LongformOptions& options,
                                 const std::function<void(const Segment&)>& on_segment = nullptr,
                                 const std::function<void(const WindowTrace&, const LongformLanguage&)>& on_window =
                                     nullptr) const;
  // Checks long-form options against the model without running anything.
  void check(const LongformOptions& options) const;

  const std::shared_ptr<const WhisperModel>& model() const { return model_; }
  const WhisperConfig& config() const { return model_->config(); }
  const WhisperTokenizer& tokenizer() const { return *tokenizer_; }
  const audio::LogMel& mel() const { return *mel_; }

 private:
  Whisper() = default;
  GenerateOptions generate_options(const TranscribeOptions& o, const std::string& language) const;
  std::vector<int> sot_sequence(const std::string& task, const std::string& language) const;

  std::shared_ptr<const WhisperModel> model_;
  std::shared_ptr<const WhisperTokenizer> tokenizer_;
  std::shared_ptr<const audio::LogMel> mel_;
};

}  // namespace parley::whisper
