// The speech pipeline: Whisper (speech -> English text), SpeechT5 (text -> mel), HiFi-GAN (mel ->
// 16 kHz audio), loaded once and shared; the real SpeechService behind `parley serve`, and what
// `parley translate` runs.
//
//   auto p = parley::pipeline::Pipeline::load({});          // the course demo's models
//   TranslateResult r = p->translate(samples16k, {.language = "it"});
//
// Models are named as everywhere in Parley: a local folder, or a Hub name found in (or fetched into)
// the Hugging Face cache (hf/hub.h, docs/MODELS.md). The objects are immutable after load; every call
// keeps its state (Whisper's caches, SpeechT5's session, the prenet's random generator) local, so any
// number of threads may call at once.
//
// Settings follow the course demo: Whisper task "translate", greedy, 256 new tokens at most; SpeechT5
// with the `slt` voice; HiFi-GAN's 16 kHz out. Same input, voice and seed: the same samples.
// Audio of any length: what fits one 30 s window (and asks for no prompt and no timed segments) is
// decoded in one window with the reference's generate() semantics; the rest in windows with openai/whisper's
// transcribe() semantics and default thresholds (Whisper::transcribe_long), giving timed segments.
//
// Other languages (TranslateRequest::target_language, TtsRequest::language; target_speech.cpp): Whisper
// "transcribe", then each sentence through the translation model (options.mt_model) and the target's
// VITS voice (options.tts_models, else facebook/mms-tts-<iso3>), loaded on first use into bounded LRU
// caches (model_cache.h) shared by every call.
//
// Text with nothing to speak. When Whisper hears no words (silence gives empty text) or only
// symbols SpeechT5 has no sound for ("♪", "..."), translate() succeeds with that text and EMPTY audio
// (zero samples; `spoken` false in TranslateStats): silence in, silence out, which is what a
// conversation needs, rather than an error for every quiet moment. text_to_speech() on such text is
// the caller asking for speech that cannot exist: Error(BadInput) (HTTP 422).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/service.h"
#include "tensor/tensor.h"

namespace parley::speecht5 {
class SpeechT5Tts;
class HifiGan;
}  // namespace parley::speecht5
namespace parley::whisper {
class Whisper;
struct LongformOptions;
}
namespace parley::text {
struct Language;
}

namespace parley::pipeline {

// The course demo's models.
inline constexpr const char* kDefaultAsrModel = "openai/whisper-base";
inline constexpr const char* kDefaultTtsModel = "microsoft/speecht5_tts";
inline constexpr const char* kDefaultVocoder = "microsoft/speecht5_hifigan";
// Speech in other languages (TranslateRequest::target_language, TtsRequest::language): one
// translation model for every pair, one VITS voice per language (facebook/mms-tts-<iso3> unless named).
inline constexpr const char* kDefaultMtModel = "facebook/nllb-200-distilled-600M";

struct PipelineOptions {
  std::string asr_model = kDefaultAsrModel;  // Whisper: Hub name ORG/NAME[@REV] or local folder
  std::string tts_model = kDefaultTtsModel;  // SpeechT5 text-to-speech
  std::string vocoder = kDefaultVocoder;     // HiFi-GAN
  // Whisper's limit per 30 s window; as in the reference, the forced language, task and
  // notimestamps tokens count toward it.
  // Long-form decoding (audio over 30 s) takes at most min(this, n_text_ctx / 2) per window.
  int max_new_tokens = 256;
  // Other target languages: the translation model (NLLB-200, M2M100 or an opus-mt pair), and the
  // text-to-speech model of each language the user names (language in any code form -> Hub name or
  // folder); a language not listed speaks with its MMS-TTS checkpoint (text/languages.h). Loaded on
  // first use and kept, at most `target_model_cache` of each kind, least recently used dropped.
  std::string mt_model = kDefaultMtModel;
  std::vector<std::pair<std::string, std::string>> tts_models;
  size_t target_model_cache = 4;
  // false: SpeechT5 + HiFi-GAN are not loaded (a run that only speaks another language); English
  // speech is then Error(InvalidArgument).
  bool english_speech = true;
};

// What one run did besides the SpeechService result, for the CLI's report.
struct RunStats {
  double window_seconds = 0;    // Whisper's window (30 s)
  size_t windows = 0;           // windows decoded (1 for audio that fits one)
  double language_probability = 0;  // with language detection: the chosen language's probability
  bool spoken = false;          // the text had something to speak (else the audio is empty)
  int64_t steps = 0;            // SpeechT5 decoder steps, all pieces together
  int64_t frames = 0;           // mel frames: steps x reduction_factor
  size_t pieces = 0;            // text pieces synthesized (sentences packed to fit the model)
  std::vector<std::string> stops;  // why each piece's decoding stopped ("threshold", "maxlen", ...)
};

// Loading resolved these folders.
struct ModelFolders {
  std::string asr, tts, vocoder;
};

class Pipeline final : public SpeechService {
 public:
  // Resolves the three names (downloading what the cache lacks, unless HF_HUB_OFFLINE) and loads the
  // models. Throws Error(NotFound) for a missing folder or an offline miss (naming `parley models
  // download`), Error(BadModel) for a broken folder or a vocoder whose mel size is not the TTS
  // model's, Error(InvalidArgument) for a name that is neither a folder nor ORG/NAME.
  static std::shared_ptr<Pipeline> load(const PipelineOptions& options);

  // --- SpeechService (the server): voices by name only -------------------------------------
  AsrResult speech_to_text(std::span<const float> audio16k, const AsrRequest& request) override;
  TtsResult text_to_speech(const TtsRequest& request) override;
  TranslateResult translate(std::span<const float> audio16k, const TranslateRequest& request) override;
  std::vector<std::string> voices() const override;
  std::string default_voice() const override;
  ServiceInfo info() const override;
  std::vector<LanguageSupport> languages() const override;

  // --- The same with any speaker x-vector (a voice name or an .npy file, from
  // speecht5::load_voice) and the run's details (the CLI). request.voice is ignored.
  TranslateResult translate(std::span<const float> audio16k, const TranslateRequest& request, const Tensor& speaker,
                            RunStats& stats) const;
  TtsResult text_to_speech(const TtsRequest& request, const Tensor& speaker, RunStats& stats) const;
  AsrResult speech_to_text(std::span<const float> audio16k, const AsrRequest& request, RunStats& stats) const;

  // Loads what speaking `target` (any code form; empty = English) needs, before any work: its voice
  // and, unless `source` (the spoken language, when known) already is the target, the translation
  // model. Returns the sample rate of the speech out. Errors as TranslateRequest::target_language's.
  int prepare_target(const std::string& target, const std::string& source) const;

  // Throws Error(BadInput) unless `speaker` fits the TTS model (before any work is done).
  void check_speaker(const Tensor& speaker) const;
  // Throws Error(InvalidArgument) for a language Whisper does not know (before any work is done).
  void check_language(const std::string& language) const;

  const PipelineOptions& options() const { return options_; }
  const ModelFolders& folders() const { return folders_; }
  int sample_rate() const;  // of the speech out (the vocoder's: 16 kHz)
  // Samples of audio per SpeechT5 decoder step: reduction_factor x the vocoder's hop.
  int64_t samples_per_step() const;

  ~Pipeline() override;

  struct TargetModels;  // the translation models and voices loaded so far (target_models.h)

 private:
  Pipeline();
  const Tensor& named_voice(const std::string& name) const;
  void require_english_speech() const;
  // The other-language path (target_speech.cpp).
  TranslateResult translate_to(std::span<const float> audio16k, const TranslateRequest& request,
                               const text::Language& target, RunStats& stats) const;
  TtsResult speak_in(const TtsRequest& request, const text::Language& language, RunStats& stats) const;
  // Recognition (speech_to_text's). Audio decoded in windows: `on_window`, when set, sees each window
  // that has text (its language, text and segments) as soon as it is decoded; `paused_ms` is the time
  // on_window has taken so far, kept out of the asr timing.
  AsrResult hear(std::span<const float> audio16k, const AsrRequest& request,
                 const std::function<void(const AsrResult&)>& on_window, const double& paused_ms,
                 RunStats& stats) const;

  PipelineOptions options_;
  ModelFolders folders_;
  std::shared_ptr<const whisper::Whisper> whisper_;
  std::shared_ptr<const speecht5::SpeechT5Tts> tts_;
  std::shared_ptr<const speecht5::HifiGan> vocoder_;
  std::vector<std::pair<std::string, Tensor>> voices_;  // the built-in x-vectors, loaded once
  std::unique_ptr<TargetModels> targets_;               // translation models and voices, by use
};

// The long-form options recognition uses for `request` on audio longer than one window: its task,
// language, prompt and seed, openai's default thresholds, temperatures from request.temperature
// (rising by 0.2 to 1.0 with temperature_fallback), at most min(max_new_tokens, n_text_ctx / 2)
// tokens per window.
whisper::LongformOptions longform_options(const whisper::Whisper& w, const AsrRequest& request, int max_new_tokens);

// Threads for the tensor ops of each of `workers` concurrent requests when `total` cores may be used
// (0 = all): the cores split evenly, at least one each, so workers do not fight over the same cores.
int threads_per_worker(int total, int workers);

}  // namespace parley::pipeline
