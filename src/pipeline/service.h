// SpeechService: what the HTTP server (and anything else that serves many callers) needs from the
// speech pipeline, as one small abstract interface.
//
// The real implementation (src/pipeline/) owns the loaded models: Whisper for speech -> text and
// SpeechT5 + HiFi-GAN for text -> speech. Tests implement it with fakes that answer deterministically,
// so the server can be tested without models.
//
// Audio in is always 16 kHz mono float in [-1, 1] (the server decodes uploads first); audio out is
// mono float at `sample_rate` (16 kHz for SpeechT5 + HiFi-GAN).
//
// Thread safety: every method may be called from several threads at once (the server's workers).
// An implementation shares its immutable models between calls and keeps per-call state (KV caches,
// random generators, buffers) local to the call, or pools sessions internally.
//
// Errors: methods throw parley::Error (core/error.h). The server maps the kind to an HTTP status:
// InvalidArgument -> 400 (e.g. an unknown language code), NotFound -> 404, BadInput -> 422 (e.g. text
// that yields no speech), TooLarge -> 413, Busy -> 503, anything else -> 500. Messages are shown to
// the user as they are, so they must be one line and must not leak file paths of the server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/run_control.h"
#include "text/segment.h"

namespace parley {

// Milliseconds per stage, in the order the stages ran, e.g. {"decode", 4.1}, {"asr", 812.0},
// {"tts", 950.2}, {"vocoder", 120.7}. Stage names are lowercase identifiers; the server prints them
// as JSON keys "<stage>_ms" and adds its own ("queue", "decode", "encode", "total").
using Timings = std::vector<std::pair<std::string, double>>;

// Segment (text/segment.h): one stretch of recognised text with its times and decoding statistics.

// --- Speech to text ---------------------------------------------------------------------------

enum class AsrTask { Transcribe, Translate };  // keep the spoken language / translate into English

struct AsrRequest {
  AsrTask task = AsrTask::Transcribe;
  std::string language;     // spoken language as an ISO 639-1 code ("es"); empty = detect it
  std::string prompt;       // optional text that conditions the decoder (Whisper's initial prompt)
  double temperature = 0;   // 0 = greedy (deterministic); > 0 = sampling at that temperature
  // true: timed segments with their decoding statistics. The audio is then decoded in windows the
  // way openai/whisper's transcribe() does, whatever its length (whisper::decode_in_windows), so a
  // caller that derives several formats from one result gets one text. The server sets it for
  // every response format. false (and no prompt, audio of one window): one generate() decode.
  bool timestamps = false;
  // Each segment's words with their times (whisper/word_timing.h); decodes in windows like timestamps.
  bool word_timestamps = false;
  // Audio longer than one 30 s window, timed, or any audio with a prompt, is decoded in windows the way
  // openai/whisper's transcribe() does (timed segments always); there a window whose text fails
  // openai's thresholds (compression ratio 2.4, log-probability -1.0) is decoded again at
  // temperatures rising by 0.2 up to 1.0. false: only at `temperature`.
  bool temperature_fallback = true;
  std::optional<uint64_t> seed;  // for sampling; unset = a fixed default, so results are repeatable
  // Called with each segment as soon as it is decoded (long audio, streaming); may be empty. Called
  // on the thread that runs speech_to_text, in order, before speech_to_text returns.
  std::function<void(const Segment&)> on_segment;
  // Progress reports and cancellation (core/run_control.h); may be null. Not owned.
  const RunControl* control = nullptr;
};

struct AsrResult {
  std::string language;       // detected or given spoken language, ISO 639-1 code ("es")
  std::string language_name;  // its English name as Whisper spells it ("spanish")
  std::string text;           // the whole text (segments joined), without leading/trailing spaces
  // At least one segment when text is non-empty; with timestamps = false a single segment may span
  // the whole input.
  std::vector<Segment> segments;
  double duration_s = 0;  // length of the input audio
  Timings timings;
};

// --- Text to speech ---------------------------------------------------------------------------

// One piece of the speech, handed over as soon as it is made (streaming): with
// sentence_by_sentence, one sentence. Chunk i > 0 begins with the short pause that separates it from
// the chunk before, so the chunks joined in order are exactly the whole result's audio.
struct AudioChunk {
  size_t index = 0;               // 0, 1, 2, ... in order
  std::string text;               // the text this chunk speaks
  std::span<const float> audio;   // its samples, valid only during the callback
  int sample_rate = 16000;
  double start = 0, end = 0;      // where the chunk lies in the whole audio, in seconds
  double elapsed_ms = 0;          // from the start of the call until this chunk was ready
};

struct TtsRequest {
  std::string text;   // text in `language`; long text is synthesized sentence by sentence
  // The language to speak, in any form the language table knows ("fr", "fra", "French"). Empty or
  // English: SpeechT5 + HiFi-GAN with `voice`. Any other: that language's TTS model (MMS-TTS/VITS,
  // loaded on first use); `voice` must then be empty. Unknown: Error(InvalidArgument); no model for
  // it on disk and no network: Error(NotFound) naming the model and `parley models download NAME`.
  std::string language;
  // Speaking rate (VITS's speaking_rate: 2 = twice as fast); unset = the model's. A model that
  // cannot change its rate (SpeechT5) refuses any other value than 1 with Error(InvalidArgument).
  std::optional<double> speed;
  std::string voice;  // one of voices(), or empty for default_voice(). Never a file path: the
                      // server only passes names it got from voices().
  std::optional<uint64_t> seed;  // SpeechT5's prenet dropout is random; unset = a fixed default
  // Called with each piece of audio as soon as it is synthesized (e.g. one sentence), for
  // streaming; may be empty. Same thread and order rules as AsrRequest::on_segment.
  std::function<void(std::span<const float> audio, int sample_rate)> on_audio;
  // Synthesize every sentence on its own (instead of packing sentences into as few model calls as
  // fit), so the first sentence's audio is ready as early as possible; same seed, same samples
  // whether or not the chunks are streamed.
  bool sentence_by_sentence = false;
  std::function<void(const AudioChunk&)> on_chunk;  // each piece with its text (see AudioChunk)
  const RunControl* control = nullptr;               // (see AsrRequest)
};

struct TtsResult {
  std::vector<float> audio;  // mono, in [-1, 1]
  int sample_rate = 16000;
  Timings timings;
  double first_audio_ms = 0;  // from the start of the call until the first piece's audio was ready
};

// --- Speech to English speech (the main job) --------------------------------------------------

struct TranslateRequest {
  std::string language;  // spoken language as an ISO 639-1 code; empty = detect it
  // The language to answer in, any form the language table knows. Empty or English: today's path,
  // unchanged (Whisper "translate" -> SpeechT5 -> HiFi-GAN). Any other: Whisper "transcribe" ->
  // sentences -> machine translation (skipped when the source already is the target) -> that
  // language's TTS (VITS), sentence by sentence. Errors as TtsRequest::language's.
  std::string target_language;
  std::string voice;     // as in TtsRequest
  std::optional<uint64_t> seed;
  std::string prompt;                // Whisper's initial prompt (see AsrRequest)
  bool temperature_fallback = true;  // (see AsrRequest)
  bool word_timestamps = false;      // the recognised segments' words (see AsrRequest)
  // English target: also transcribe the speech in its own language (a second Whisper pass, after the
  // speech is made, so the first audio comes no later), for source_text; a conversation shows both
  // texts of every turn. Other targets always transcribe; English speech is its own transcript.
  bool transcribe_source = false;
  std::function<void(const Segment&)> on_segment;  // English text as it forms (see AsrRequest)
  std::function<void(std::span<const float> audio, int sample_rate)> on_audio;  // (see TtsRequest)
  bool sentence_by_sentence = false;                                             // (see TtsRequest)
  std::function<void(const AudioChunk&)> on_chunk;                                // (see TtsRequest)
  // Called once the English text is known, before any of it is synthesized (its language, text and
  // segments; no timings yet): a streaming caller shows the text while the speech is made.
  // Audio decoded in windows (longer than 30 s) with on_audio or on_chunk set is recognised and
  // spoken window by window, so the first audio comes after the first window, not the whole file:
  // then on_recognized is called once per window that has text, with that window's text and
  // segments (times from the start of the recording), before the window's text is synthesized.
  // Other targets: the same with Whisper's transcript in the spoken language (once for the whole
  // recording, or once per window as above), before its sentences are translated. Streaming long
  // audio, each window's finished sentences are translated and spoken before the next window is
  // decoded; a sentence that goes on into the next window waits for it. Streamed or not, the same
  // request gives the same text and samples.
  std::function<void(const AsrResult&)> on_recognized;
  const RunControl* control = nullptr;  // (see AsrRequest)
};

struct TranslateResult {
  std::string language;       // spoken language, ISO 639-1 code
  std::string language_name;  // its English name ("spanish")
  std::string text;           // the text that was spoken, in the target language
  std::string source_text;    // Whisper's transcript in the spoken language (English targets: only
                              // with transcribe_source, else empty)
  std::string target_language;  // ISO 639-1 code of the target where it has one ("fr"), else its table code
  // English: Whisper's segments. Other targets: one per translated sentence, timed by the source
  // segment(s) it came from.
  std::vector<Segment> segments;
  double duration_s = 0;      // length of the input audio
  std::vector<float> audio;   // the speech in the target language, mono
  int sample_rate = 16000;
  Timings timings;            // every stage of recognition and synthesis
  // From the start of the call until the first piece of speech was ready (recognition included):
  // the wait before a streaming caller can start playing. 0 when there is no speech.
  double first_audio_ms = 0;
};

// Names of the models behind the service, for /health, /v1/models and logs.
struct ServiceInfo {
  std::string asr_model;  // e.g. "openai/whisper-base" or a folder name
  std::string tts_model;  // e.g. "microsoft/speecht5_tts"
  std::string vocoder;    // e.g. "microsoft/speecht5_hifigan"
};

// One language as this service can handle it, for /v1/languages: whether it can be heard (Whisper)
// and spoken (a TTS model), and the models each direction needs, with whether they are on disk.
struct LanguageSupport {
  std::string code;   // ISO 639-1 where there is one ("fr"), else the table's code
  std::string name;   // English name ("French")
  bool hear = false;  // Whisper knows it
  bool speak = false;  // a TTS model is configured or known for it (SpeechT5 for English, MMS-TTS)
  std::string tts_model;     // e.g. "facebook/mms-tts-fra" or a folder; empty when none
  bool tts_on_disk = false;  // loadable without the network
  std::string mt_model;      // the translation model reaching it (empty for English)
  bool mt_on_disk = false;
};

class SpeechService {
 public:
  virtual ~SpeechService() = default;

  // Whisper on one recording. audio16k: 16 kHz mono samples (non-empty; the caller checks).
  virtual AsrResult speech_to_text(std::span<const float> audio16k, const AsrRequest& request) = 0;
  // SpeechT5 + HiFi-GAN on English text (non-empty; the caller checks and bounds its length).
  virtual TtsResult text_to_speech(const TtsRequest& request) = 0;
  // Speech in any language -> English text -> English speech (Whisper task "translate", then TTS).
  virtual TranslateResult translate(std::span<const float> audio16k, const TranslateRequest& request) = 0;

  // The named voices that TtsRequest::voice accepts, e.g. {"awb", "bdl", "clb", "ksp", "rms", "slt"}.
  virtual std::vector<std::string> voices() const = 0;
  virtual std::string default_voice() const = 0;  // one of voices(), e.g. "slt"
  virtual ServiceInfo info() const = 0;
  // Every language of the table with what this service can do for it (LanguageSupport). The default
  // is for services that only hear what Whisper hears and speak English.
  virtual std::vector<LanguageSupport> languages() const { return {}; }
};

// Builds the service (loads the models) once, when the server starts. The CLI passes a factory so
// that `parley serve` can print its address only after loading succeeded.
using SpeechServiceFactory = std::function<std::shared_ptr<SpeechService>()>;

}  // namespace parley
