#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <utility>

#include "core/error.h"
#include "hf/hub.h"
#include "pipeline/segments.h"
#include "speecht5/hifigan.h"
#include "speecht5/synthesizer.h"
#include "speecht5/tts_model.h"
#include "speecht5/voices.h"
#include "text/sentences.h"
#include "whisper/whisper.h"

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Appends "stage: milliseconds since the previous lap" to a result's timings.
class StageClock {
 public:
  explicit StageClock(Timings& timings) : timings_(timings), last_(Clock::now()) {}
  void lap(const char* stage) {
    const auto now = Clock::now();
    timings_.emplace_back(stage, ms_between(last_, now));
    last_ = now;
  }
  void add(const char* stage, double ms) {
    timings_.emplace_back(stage, ms);
    last_ = Clock::now();
  }

 private:
  Timings& timings_;
  Clock::time_point last_;
};

bool has_whisper_tokenizer(const fs::path& folder) {
  std::error_code ec;
  return (fs::is_regular_file(folder / "vocab.json", ec) && fs::is_regular_file(folder / "merges.txt", ec)) ||
         fs::is_regular_file(folder / "tokenizer.json", ec);
}

// Each name as a folder to load, with the files its loader needs beyond config.json and the weights,
// so a cached snapshot that lacks them (e.g. a Python user fetched only the model, not its processor)
// is completed rather than failing to load.
ModelFolders resolve_folders(const PipelineOptions& o) {
  const hub::HubOptions hub = hub::hub_options_from_env();
  ModelFolders f;
  fs::path asr = hub::resolve_model(o.asr_model, hub, {"preprocessor_config.json"});
  // The tokenizer comes as vocab.json + merges.txt or as tokenizer.json; ask for the first pair only
  // when the snapshot has neither.
  if (!has_whisper_tokenizer(asr))
    asr = hub::resolve_model(o.asr_model, hub, {"preprocessor_config.json", "vocab.json", "merges.txt"});
  f.asr = asr.string();
  f.tts = hub::resolve_model(o.tts_model, hub, {"spm_char.model"}).string();
  f.vocoder = hub::resolve_model(o.vocoder, hub).string();
  return f;
}

// What /health and the logs call a model: its Hub name, or a local folder's own name (never the
// server's paths).
std::string display_name(const std::string& name) {
  std::error_code ec;
  if (!fs::is_directory(name, ec)) return name;
  fs::path p = fs::path(name).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

bool speakable(const speecht5::SpeechT5Tts& tts, std::string_view text) {
  if (sentences::trim(text).empty()) return false;
  return tts.tokenizer().has_speakable(tts.tokenizer().encode(text));
}

std::string trimmed(std::string_view s) { return std::string(sentences::trim(s)); }

}  // namespace

Pipeline::~Pipeline() = default;

std::shared_ptr<Pipeline> Pipeline::load(const PipelineOptions& options) {
  if (options.max_new_tokens < 1) invalid_argument("max_new_tokens must be at least 1");
  std::shared_ptr<Pipeline> p(new Pipeline());
  p->options_ = options;
  p->folders_ = resolve_folders(options);
  p->whisper_ = std::make_shared<const whisper::Whisper>(whisper::Whisper::load(p->folders_.asr));
  p->tts_ = speecht5::SpeechT5Tts::load(p->folders_.tts);
  p->vocoder_ = speecht5::HifiGan::load(p->folders_.vocoder);
  if (p->vocoder_->mel_bins() != p->tts_->config().num_mel_bins)
    bad_model("the vocoder " + options.vocoder + " takes " + std::to_string(p->vocoder_->mel_bins()) +
              " mel bins but the speech model " + options.tts_model + " makes " +
              std::to_string(p->tts_->config().num_mel_bins) + "; use a vocoder made for this model");
  // The limit must fit the decoder: checked now rather than on the first request.
  whisper::TranscribeOptions probe;
  probe.task = "translate";
  probe.max_new_tokens = options.max_new_tokens;
  p->whisper_->check(probe);
  for (const std::string& name : speecht5::voice_names()) p->voices_.emplace_back(name, speecht5::load_voice(name));
  return p;
}

// --- The data path ------------------------------------------------------------------------------

namespace {

// audio -> features -> tokens -> text: Whisper on the first 30 s window.
struct Recognition {
  whisper::TranscribeResult whisper;
  std::vector<Segment> segments;
  std::string text;  // the segments' text, trimmed
};

Recognition recognise(const whisper::Whisper& w, std::span<const float> audio16k, const whisper::TranscribeOptions& o,
                      bool first_window_only, StageClock& clock, RunStats& stats) {
  const audio::MelConfig& mc = w.mel().config();
  const double seconds = static_cast<double>(audio16k.size()) / mc.sample_rate;
  stats.window_seconds = static_cast<double>(mc.n_samples) / mc.sample_rate;
  if (audio16k.empty()) bad_input("the audio has no samples");
  if (static_cast<int64_t>(audio16k.size()) > mc.n_samples && !first_window_only) {
    char msg[200];
    std::snprintf(msg, sizeof msg,
                  "the audio is %.1f s long; Parley takes at most %.0f s per request until long-form decoding "
                  "is built",
                  seconds, stats.window_seconds);
    throw Error(ErrorKind::TooLarge, msg);
  }
  w.check(o);

  Recognition r;
  const Tensor features = w.mel().whisper_features(audio16k);  // pads or cuts to the window
  clock.lap("features");
  r.whisper = w.transcribe_features(features, o);
  clock.lap("asr");

  stats.truncated = static_cast<int64_t>(audio16k.size()) > mc.n_samples;
  if (o.language == "auto") stats.language_probability = std::exp(static_cast<double>(r.whisper.language_logprob));
  const double precision = 2.0 * mc.hop_length / mc.sample_rate;  // 0.02 s per timestamp step
  r.segments = window_segments(w.tokenizer(), r.whisper.tokens, precision, std::min(seconds, stats.window_seconds));
  for (Segment& s : r.segments) {
    s.temperature = o.temperature;
    s.avg_logprob = r.whisper.score;
  }
  if (o.timestamps) {
    for (const Segment& s : r.segments) r.text += s.text;
    r.text = trimmed(r.text);
  } else {
    r.text = trimmed(r.whisper.text);
  }
  return r;
}

// How the caller wants the speech handed over while it is made.
struct Delivery {
  std::optional<uint64_t> seed;
  bool sentence_by_sentence = false;
  std::function<void(std::span<const float>, int)> on_audio;
  std::function<void(const AudioChunk&)> on_chunk;
  Clock::time_point start;     // the call's start, for AudioChunk::elapsed_ms
  double* first_audio_ms = nullptr;  // set when the first piece is ready
};

template <class Request>
Delivery delivery_of(const Request& r, Clock::time_point start, double* first_audio_ms) {
  return {r.seed, r.sentence_by_sentence, r.on_audio, r.on_chunk, start, first_audio_ms};
}

// text -> sentences -> mel -> wave: SpeechT5 piece by piece (sentences packed to fit the model, or
// one per sentence), each piece through HiFi-GAN, joined with short pauses. The same Synthesizer
// call as `parley synthesize`, so the same text, voice, split and seed give the same samples; the
// pieces reach the callbacks as soon as each is made.
speecht5::Speech speak(const std::shared_ptr<const speecht5::SpeechT5Tts>& tts,
                       const std::shared_ptr<const speecht5::HifiGan>& vocoder, std::string_view text,
                       const Tensor& speaker, const Delivery& d, StageClock& clock, RunStats& stats) {
  speecht5::Synthesizer synth(tts, vocoder);
  speecht5::SeededMasks masks(d.seed.value_or(speecht5::kDefaultSeed));
  double tts_ms = 0, vocoder_ms = 0;
  size_t pieces = 0;
  int64_t offset = 0;  // samples delivered so far
  const int rate = synth.sample_rate();
  std::vector<float> chunk;
  auto on_piece = [&](const speecht5::SpeechPiece& p) {
    tts_ms += p.tts_ms;
    vocoder_ms += p.vocoder_ms;
    stats.steps += p.steps;
    stats.frames += p.mel.dim(0);
    stats.stops.emplace_back(speecht5::stop_reason_name(p.stop));
    const double elapsed = ms_between(d.start, Clock::now());
    if (pieces == 0 && d.first_audio_ms) *d.first_audio_ms = elapsed;
    // The pause the joined audio has before this piece, then the piece.
    const size_t pause = pieces > 0 ? static_cast<size_t>(synth.pause_samples()) : 0;
    if (d.on_audio) {
      if (pause > 0) d.on_audio(std::vector<float>(pause, 0.f), rate);
      d.on_audio(p.audio, rate);
    }
    if (d.on_chunk) {
      chunk.assign(pause, 0.f);
      chunk.insert(chunk.end(), p.audio.begin(), p.audio.end());
      AudioChunk c;
      c.index = pieces;
      c.text = p.text;
      c.audio = chunk;
      c.sample_rate = rate;
      c.start = static_cast<double>(offset) / rate;
      c.end = static_cast<double>(offset + static_cast<int64_t>(chunk.size())) / rate;
      c.elapsed_ms = elapsed;
      d.on_chunk(c);
    }
    offset += static_cast<int64_t>(pause + p.audio.size());
    ++pieces;
  };
  speecht5::SynthesisOptions options;
  if (d.sentence_by_sentence) options.split = speecht5::SplitMode::Sentences;
  speecht5::Speech speech = synth.synthesize(text, speaker, options, masks, on_piece);
  stats.pieces = speech.pieces.size();
  stats.spoken = true;
  clock.add("tts", tts_ms);
  clock.add("vocoder", vocoder_ms);
  return speech;
}

}  // namespace

TranslateResult Pipeline::translate(std::span<const float> audio16k, const TranslateRequest& request,
                                    const Tensor& speaker, RunStats& stats) const {
  const auto start = Clock::now();
  check_speaker(speaker);
  // audio -> features -> tokens -> English text: Whisper, task translate, greedy (the course demo).
  AsrRequest asr;
  asr.task = AsrTask::Translate;
  asr.language = request.language;
  asr.on_segment = request.on_segment;
  AsrResult english = speech_to_text(audio16k, asr, stats);
  if (request.on_recognized) request.on_recognized(english);

  TranslateResult out;
  out.timings = std::move(english.timings);
  StageClock clock(out.timings);
  // English text -> sentences -> mel -> wave: SpeechT5 + HiFi-GAN. Nothing to speak: no audio.
  out.sample_rate = vocoder_->sample_rate();
  if (speakable(*tts_, english.text))
    out.audio = speak(tts_, vocoder_, english.text, speaker, delivery_of(request, start, &out.first_audio_ms), clock,
                      stats)
                    .audio;
  out.language = std::move(english.language);
  out.language_name = std::move(english.language_name);
  out.text = std::move(english.text);
  out.segments = std::move(english.segments);
  out.duration_s = english.duration_s;
  return out;
}

AsrResult Pipeline::speech_to_text(std::span<const float> audio16k, const AsrRequest& request,
                                   RunStats& stats) const {
  // Whisper's initial prompt needs the engine's prompt support (it comes with long-form decoding);
  // ignoring it silently would give results the caller did not ask for.
  if (!request.prompt.empty())
    invalid_argument("a prompt (Whisper's initial prompt) is not supported yet; send the request without one");
  whisper::TranscribeOptions o;
  o.task = request.task == AsrTask::Translate ? "translate" : "transcribe";
  o.language = request.language.empty() ? "auto" : request.language;
  o.max_new_tokens = options_.max_new_tokens;
  o.timestamps = request.timestamps;
  o.temperature = static_cast<float>(request.temperature);
  o.seed = request.seed.value_or(0);

  AsrResult out;
  StageClock clock(out.timings);
  Recognition r = recognise(*whisper_, audio16k, o, options_.first_window_only, clock, stats);
  if (request.on_segment)
    for (const Segment& s : r.segments) request.on_segment(s);
  out.language = r.whisper.language;
  out.language_name = r.whisper.language_name;
  out.text = std::move(r.text);
  out.segments = std::move(r.segments);
  out.duration_s = static_cast<double>(audio16k.size()) / whisper_->mel().config().sample_rate;
  return out;
}

TtsResult Pipeline::text_to_speech(const TtsRequest& request, const Tensor& speaker, RunStats& stats) const {
  const auto start = Clock::now();
  TtsResult out;
  StageClock clock(out.timings);
  // Text with nothing to speak is refused here (Error(BadInput)): the caller asked for speech.
  out.audio =
      speak(tts_, vocoder_, request.text, speaker, delivery_of(request, start, &out.first_audio_ms), clock, stats).audio;
  out.sample_rate = vocoder_->sample_rate();
  return out;
}

// --- SpeechService ------------------------------------------------------------------------------

AsrResult Pipeline::speech_to_text(std::span<const float> audio16k, const AsrRequest& request) {
  RunStats stats;
  return std::as_const(*this).speech_to_text(audio16k, request, stats);
}

TtsResult Pipeline::text_to_speech(const TtsRequest& request) {
  RunStats stats;
  return std::as_const(*this).text_to_speech(request, named_voice(request.voice), stats);
}

TranslateResult Pipeline::translate(std::span<const float> audio16k, const TranslateRequest& request) {
  RunStats stats;
  return std::as_const(*this).translate(audio16k, request, named_voice(request.voice), stats);
}

std::vector<std::string> Pipeline::voices() const {
  std::vector<std::string> names;
  for (const auto& v : voices_) names.push_back(v.first);
  return names;
}

std::string Pipeline::default_voice() const { return std::string(speecht5::kDefaultVoice); }

ServiceInfo Pipeline::info() const {
  return {display_name(options_.asr_model), display_name(options_.tts_model), display_name(options_.vocoder)};
}

// --- Checks and sizes ---------------------------------------------------------------------------

const Tensor& Pipeline::named_voice(const std::string& name) const {
  const std::string wanted = name.empty() ? default_voice() : name;
  for (const auto& v : voices_)
    if (v.first == wanted) return v.second;
  std::string list;
  for (const auto& v : voices_) list += (list.empty() ? "" : ", ") + v.first;
  invalid_argument("unknown voice '" + wanted + "'; choose one of: " + list);
}

void Pipeline::check_speaker(const Tensor& speaker) const {
  const int64_t dim = tts_->config().speaker_embedding_dim;
  if (speaker.numel() != dim)
    bad_input("the speaker x-vector has " + std::to_string(speaker.numel()) + " values; the speech model needs " +
              std::to_string(dim));
}

void Pipeline::check_language(const std::string& language) const {
  whisper::TranscribeOptions o;
  o.task = "translate";
  o.language = language.empty() ? "auto" : language;
  o.max_new_tokens = options_.max_new_tokens;
  whisper_->check(o);
}

int Pipeline::sample_rate() const { return vocoder_->sample_rate(); }

int64_t Pipeline::samples_per_step() const {
  return tts_->config().reduction_factor * vocoder_->config().hop_length();
}

int threads_per_worker(int total, int workers) {
  if (total <= 0) total = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, total / std::max(1, workers));
}

}  // namespace parley::pipeline
