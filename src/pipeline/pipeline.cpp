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
#include "pipeline/target_models.h"
#include "speecht5/hifigan.h"
#include "speecht5/synthesizer.h"
#include "speecht5/tts_model.h"
#include "speecht5/voices.h"
#include "text/sentences.h"
#include "whisper/whisper.h"

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {


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
  void adjust_last(double ms) { timings_.back().second += ms; }

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
  if (!o.english_speech) return f;
  f.tts = hub::resolve_model(o.tts_model, hub, {"spm_char.model"}).string();
  f.vocoder = hub::resolve_model(o.vocoder, hub).string();
  return f;
}

bool speakable(const speecht5::SpeechT5Tts& tts, std::string_view text) {
  if (sentences::trim(text).empty()) return false;
  return tts.tokenizer().has_speakable(tts.tokenizer().encode(text));
}

std::string trimmed(std::string_view s) { return std::string(sentences::trim(s)); }

}  // namespace

Pipeline::Pipeline() = default;
Pipeline::~Pipeline() = default;

std::shared_ptr<Pipeline> Pipeline::load(const PipelineOptions& options) {
  if (options.max_new_tokens < 1) invalid_argument("max_new_tokens must be at least 1");
  std::shared_ptr<Pipeline> p(new Pipeline());
  p->options_ = options;
  for (const auto& entry : options.tts_models) text::resolve_language(entry.first);  // a typo fails now
  p->targets_ = std::make_unique<TargetModels>(options.target_model_cache);
  p->folders_ = resolve_folders(options);
  p->whisper_ = std::make_shared<const whisper::Whisper>(whisper::Whisper::load(p->folders_.asr));
  // The limit must fit the decoder: checked now rather than on the first request.
  whisper::TranscribeOptions probe;
  probe.task = "translate";
  probe.max_new_tokens = options.max_new_tokens;
  p->whisper_->check(probe);
  if (!options.english_speech) return p;
  p->tts_ = speecht5::SpeechT5Tts::load(p->folders_.tts);
  p->vocoder_ = speecht5::HifiGan::load(p->folders_.vocoder);
  if (p->vocoder_->mel_bins() != p->tts_->config().num_mel_bins)
    bad_model("the vocoder " + options.vocoder + " takes " + std::to_string(p->vocoder_->mel_bins()) +
              " mel bins but the speech model " + options.tts_model + " makes " +
              std::to_string(p->tts_->config().num_mel_bins) + "; use a vocoder made for this model");
  for (const std::string& name : speecht5::voice_names()) p->voices_.emplace_back(name, speecht5::load_voice(name));
  return p;
}

// --- The data path ------------------------------------------------------------------------------

namespace {

// audio -> features -> tokens -> text: Whisper.
struct Recognition {
  std::string language, language_name;
  float language_logprob = 0.f;  // with detection
  std::vector<Segment> segments;
  std::string text;  // the segments' text, trimmed
};

// Called after each long-form window that has text, with the language and that window's segments.
using WindowText = std::function<void(const whisper::LongformLanguage&, std::span<const Segment>)>;

bool needs_long_form(const whisper::Whisper& w, std::span<const float> audio16k, const AsrRequest& request) {
  const audio::MelConfig& mc = w.mel().config();
  return whisper::decode_in_windows(static_cast<double>(audio16k.size()) / mc.sample_rate,
                                    static_cast<double>(mc.n_samples) / mc.sample_rate,
                                    request.timestamps || request.word_timestamps,
                                    !request.prompt.empty());
}

// One 30 s window with the reference's generate() semantics (the course demo's path).
Recognition recognise_window(const whisper::Whisper& w, std::span<const float> audio16k, const AsrRequest& request,
                             int max_new_tokens, StageClock& clock) {
  const audio::MelConfig& mc = w.mel().config();
  whisper::TranscribeOptions o;
  o.task = request.task == AsrTask::Translate ? "translate" : "transcribe";
  o.language = request.language.empty() ? "auto" : request.language;
  o.max_new_tokens = max_new_tokens;
  o.timestamps = false;  // timed segments are decoded in windows (needs_long_form)
  o.temperature = static_cast<float>(request.temperature);
  o.seed = request.seed.value_or(0);
  o.control = request.control;
  w.check(o);

  const Tensor features = w.mel().whisper_features(audio16k);
  clock.lap("features");
  const whisper::TranscribeResult tr = w.transcribe_features(features, o);
  clock.lap("asr");

  Recognition r;
  r.language = tr.language;
  r.language_name = tr.language_name;
  r.language_logprob = tr.language_logprob;
  const double seconds = static_cast<double>(audio16k.size()) / mc.sample_rate;
  const double precision = 2.0 * mc.hop_length / mc.sample_rate;  // 0.02 s per timestamp step
  r.segments = window_segments(w.tokenizer(), tr.tokens, precision, seconds);
  // The window's statistics as openai reports them per segment; the no-speech probability is not
  // computed by generate(), so it stays unknown (left out of verbose_json).
  const double window_ratio = whisper::compression_ratio(trimmed(tr.text));
  for (Segment& s : r.segments) {
    s.temperature = o.temperature;
    s.avg_logprob = tr.score;
    s.compression_ratio = window_ratio;
  }
  r.text = trimmed(tr.text);
  report(request.control, {"asr", seconds, seconds, "s", "window 1 of 1"});
  if (request.on_segment)
    for (const Segment& s : r.segments) request.on_segment(s);
  return r;
}

// openai's temperatures: `temperature`, then (with fallback) up by 0.2 while <= 1.0.
std::vector<float> temperature_list(const AsrRequest& request) {
  std::vector<float> t{static_cast<float>(request.temperature)};
  if (request.temperature_fallback)
    for (int i = 1; request.temperature + 0.2 * i <= 1.0 + 1e-6; ++i)
      t.push_back(static_cast<float>(request.temperature + 0.2 * i));
  return t;
}

}  // namespace

whisper::LongformOptions longform_options(const whisper::Whisper& w, const AsrRequest& request, int max_new_tokens) {
  whisper::LongformOptions o;
  o.task = request.task == AsrTask::Translate ? "translate" : "transcribe";
  o.language = request.language.empty() ? "auto" : request.language;
  o.temperatures = temperature_list(request);
  o.initial_prompt = request.prompt;
  o.seed = request.seed.value_or(0);
  o.word_timestamps = request.word_timestamps;
  o.control = request.control;
  if (max_new_tokens < w.config().max_target_positions / 2) o.sample_len = max_new_tokens;
  return o;
}

namespace {

// Recognition's progress after window n: audio seconds decoded of the total; "window n of m", m
// estimated from the length (a window advances to its last timestamp, so a recording may take more).
void report_window(const AsrRequest& request, const whisper::WindowTrace& t, const audio::MelConfig& mc,
                   double seconds, size_t n) {
  if (!request.control) return;
  const double frames_per_second = static_cast<double>(mc.sample_rate) / mc.hop_length;
  const double reached = std::min(seconds, static_cast<double>(t.seek + t.segment_size) / frames_per_second);
  const double window_seconds = static_cast<double>(mc.n_samples) / mc.sample_rate;
  const size_t m = std::max(n, static_cast<size_t>(std::ceil(seconds / window_seconds - 1e-9)));
  report(request.control, {"asr", reached, seconds, "s", "window " + std::to_string(n) + " of " + std::to_string(m)});
}

// Audio of any length in windows (openai's transcribe()); `on_window` sees each window's text as
// soon as it is decoded. `paused_ms` is time the callbacks spent (synthesis), not recognition's.
Recognition recognise_long(const whisper::Whisper& w, std::span<const float> audio16k, const AsrRequest& request,
                           int max_new_tokens, const WindowText& on_window, StageClock& clock, RunStats& stats,
                           const double& paused_ms) {
  const whisper::LongformOptions o = longform_options(w, request, max_new_tokens);
  w.check(o);
  Recognition r;
  size_t window_begin = 0;  // the current window's first segment
  auto on_segment = [&](const whisper::Segment& s) {
    r.segments.push_back(s);
    if (request.on_segment) request.on_segment(r.segments.back());
  };
  const double seconds = static_cast<double>(audio16k.size()) / w.mel().config().sample_rate;
  auto window_done = [&](const whisper::WindowTrace& t, const whisper::LongformLanguage& language) {
    ++stats.windows;
    report_window(request, t, w.mel().config(), seconds, stats.windows);
    if (on_window && r.segments.size() > window_begin)
      on_window(language, std::span<const Segment>(r.segments).subspan(window_begin));
    window_begin = r.segments.size();
  };
  const whisper::LongformResult lr = w.transcribe_long(audio16k, o, on_segment, window_done);
  clock.lap("asr");
  // The synthesis that ran between windows is reported as tts/vocoder, not as recognition.
  if (paused_ms > 0) clock.adjust_last(-paused_ms);
  r.language = lr.language;
  r.language_name = lr.language_name;
  r.language_logprob = lr.language_logprob;
  r.text = trimmed(lr.text);
  return r;
}

Recognition recognise(const whisper::Whisper& w, std::span<const float> audio16k, const AsrRequest& request,
                      int max_new_tokens, const WindowText& on_window, StageClock& clock, RunStats& stats,
                      const double& paused_ms) {
  const audio::MelConfig& mc = w.mel().config();
  stats.window_seconds = static_cast<double>(mc.n_samples) / mc.sample_rate;
  if (audio16k.empty()) bad_input("the audio has no samples");
  Recognition r;
  if (needs_long_form(w, audio16k, request)) {
    r = recognise_long(w, audio16k, request, max_new_tokens, on_window, clock, stats, paused_ms);
  } else {
    r = recognise_window(w, audio16k, request, max_new_tokens, clock);
    stats.windows = 1;
  }
  if (request.language.empty()) stats.language_probability = std::exp(static_cast<double>(r.language_logprob));
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
  const RunControl* control = nullptr;  // speech seconds made, after each piece; cancellation
};

template <class Request>
Delivery delivery_of(const Request& r, Clock::time_point start, double* first_audio_ms) {
  return {r.seed, r.sentence_by_sentence, r.on_audio, r.on_chunk, start, first_audio_ms, r.control};
}

// text -> sentences -> mel -> wave: SpeechT5 piece by piece (sentences packed to fit the model, or
// one per sentence), each piece through HiFi-GAN, joined with short pauses. The same Synthesizer
// call as `parley synthesize`, so the same text, voice, split and seed give the same samples; the
// pieces reach the callbacks as soon as each is made. say() may be called several times (long audio
// spoken window by window): the pieces continue one sequence, with one random generator.
class Speaker {
 public:
  Speaker(const std::shared_ptr<const speecht5::SpeechT5Tts>& tts, const std::shared_ptr<const speecht5::HifiGan>& vocoder,
          const Tensor& speaker, const Delivery& d, RunStats& stats)
      : synth_(tts, vocoder), speaker_(speaker), d_(d), stats_(stats), masks_(d.seed.value_or(speecht5::kDefaultSeed)) {
    if (d.sentence_by_sentence) options_.split = speecht5::SplitMode::Sentences;
    options_.generate.control = d.control;  // a cancelled request stops at the next decoder step
  }

  void say(std::string_view text) {
    const auto started = Clock::now();
    speecht5::Speech speech = synth_.synthesize(text, speaker_, options_, masks_, [this](const speecht5::SpeechPiece& p) {
      deliver(p);
    });
    // The pieces joined with pauses, as the Synthesizer joins them; a later call's audio after a pause.
    if (!audio_.empty() && !speech.audio.empty()) audio_.resize(audio_.size() + static_cast<size_t>(synth_.pause_samples()), 0.f);
    if (audio_.empty()) audio_ = std::move(speech.audio);
    else audio_.insert(audio_.end(), speech.audio.begin(), speech.audio.end());
    stats_.pieces += speech.pieces.size();
    stats_.spoken = true;
    busy_ms_ += ms_between(started, Clock::now());
  }

  void report(StageClock& clock) const {
    clock.add("tts", tts_ms_);
    clock.add("vocoder", vocoder_ms_);
  }
  std::vector<float> take_audio() { return std::move(audio_); }
  int sample_rate() const { return synth_.sample_rate(); }
  const double& busy_ms() const { return busy_ms_; }  // time say() took so far

 private:
  void deliver(const speecht5::SpeechPiece& p) {
    tts_ms_ += p.tts_ms;
    vocoder_ms_ += p.vocoder_ms;
    stats_.steps += p.steps;
    stats_.frames += p.mel.dim(0);
    stats_.stops.emplace_back(speecht5::stop_reason_name(p.stop));
    const double elapsed = ms_between(d_.start, Clock::now());
    if (pieces_ == 0 && d_.first_audio_ms) *d_.first_audio_ms = elapsed;
    const int rate = synth_.sample_rate();
    // The pause the joined audio has before this piece, then the piece.
    const size_t pause = pieces_ > 0 ? static_cast<size_t>(synth_.pause_samples()) : 0;
    if (d_.on_audio) {
      if (pause > 0) d_.on_audio(std::vector<float>(pause, 0.f), rate);
      d_.on_audio(p.audio, rate);
    }
    if (d_.on_chunk) {
      chunk_.assign(pause, 0.f);
      chunk_.insert(chunk_.end(), p.audio.begin(), p.audio.end());
      AudioChunk c;
      c.index = pieces_;
      c.text = p.text;
      c.audio = chunk_;
      c.sample_rate = rate;
      c.start = static_cast<double>(offset_) / rate;
      c.end = static_cast<double>(offset_ + static_cast<int64_t>(chunk_.size())) / rate;
      c.elapsed_ms = elapsed;
      d_.on_chunk(c);
    }
    offset_ += static_cast<int64_t>(pause + p.audio.size());
    ++pieces_;
    report_speech(d_.control, static_cast<double>(offset_) / rate, pieces_);
  }

  speecht5::Synthesizer synth_;
  const Tensor& speaker_;
  const Delivery& d_;
  RunStats& stats_;
  speecht5::SeededMasks masks_;
  speecht5::SynthesisOptions options_;
  double tts_ms_ = 0, vocoder_ms_ = 0, busy_ms_ = 0;
  size_t pieces_ = 0;
  int64_t offset_ = 0;  // samples delivered so far
  std::vector<float> chunk_;
  std::vector<float> audio_;
};

// One long-form window's text (its segments' joined, trimmed) as a caller sees it.
AsrResult window_result(const whisper::LongformLanguage& language, std::span<const Segment> segments, double seconds) {
  std::string text;
  for (const Segment& s : segments) text += s.text;
  AsrResult window;
  window.language = language.code;
  window.language_name = language.name;
  window.text = trimmed(text);
  window.segments.assign(segments.begin(), segments.end());
  window.duration_s = seconds;
  return window;
}

AsrResult asr_result(Recognition&& r, double duration_s) {
  AsrResult out;
  out.language = std::move(r.language);
  out.language_name = std::move(r.language_name);
  out.text = std::move(r.text);
  out.segments = std::move(r.segments);
  out.duration_s = duration_s;
  return out;
}

}  // namespace

namespace {

// The speech's words in its own language for an English target (TranslateRequest::transcribe_source).
std::string source_transcript(const Pipeline& pipeline, std::span<const float> audio16k,
                              const TranslateRequest& request, const Recognition& english, Timings& timings) {
  if (english.language == "en") return english.text;  // English speech: what Whisper heard
  AsrRequest asr = asr_request_of(request, AsrTask::Transcribe);
  asr.language = english.language;  // as detected for the translation: one answer, one language
  asr.on_segment = nullptr;         // on_segment shows the English text as it forms
  RunStats ignored;
  const AsrResult heard = pipeline.speech_to_text(audio16k, asr, ignored);
  double ms = 0;
  for (const auto& [stage, t] : heard.timings) ms += t;
  timings.emplace_back("asr_source", ms);
  return heard.text;
}

}  // namespace

TranslateResult Pipeline::translate(std::span<const float> audio16k, const TranslateRequest& request,
                                    const Tensor& speaker, RunStats& stats) const {
  if (const text::Language* target = other_target(request.target_language))
    return translate_to(audio16k, request, *target, stats);
  const auto start = Clock::now();
  check_speaker(speaker);
  // audio -> features -> tokens -> English text: Whisper, task translate, greedy (the course demo).
  const AsrRequest asr = asr_request_of(request, AsrTask::Translate);

  TranslateResult out;
  out.sample_rate = vocoder_->sample_rate();
  const Delivery delivery = delivery_of(request, start, &out.first_audio_ms);
  Speaker voice(tts_, vocoder_, speaker, delivery, stats);
  const double seconds = static_cast<double>(audio16k.size()) / whisper_->mel().config().sample_rate;
  // Streaming long audio: each window's English text is shown and spoken as soon as it is decoded.
  const bool by_window = (request.on_audio || request.on_chunk) && needs_long_form(*whisper_, audio16k, asr);
  WindowText on_window;
  if (by_window)
    on_window = [&](const whisper::LongformLanguage& language, std::span<const Segment> segments) {
      const AsrResult window = window_result(language, segments, seconds);
      if (request.on_recognized) request.on_recognized(window);
      if (speakable(*tts_, window.text)) voice.say(window.text);
    };
  StageClock clock(out.timings);
  Recognition english =
      recognise(*whisper_, audio16k, asr, options_.max_new_tokens, on_window, clock, stats, voice.busy_ms());
  if (!by_window) {
    // English text -> sentences -> mel -> wave: SpeechT5 + HiFi-GAN. Nothing to speak: no audio.
    if (request.on_recognized) request.on_recognized(asr_result(Recognition(english), seconds));
    if (speakable(*tts_, english.text)) voice.say(english.text);
  }
  if (stats.spoken) voice.report(clock);
  if (request.transcribe_source) out.source_text = source_transcript(*this, audio16k, request, english, out.timings);
  out.audio = voice.take_audio();
  out.language = std::move(english.language);
  out.language_name = std::move(english.language_name);
  out.text = std::move(english.text);
  out.segments = std::move(english.segments);
  out.duration_s = seconds;
  out.target_language = "en";
  return out;
}

AsrResult Pipeline::speech_to_text(std::span<const float> audio16k, const AsrRequest& request,
                                   RunStats& stats) const {
  const double no_pause = 0;
  return hear(audio16k, request, nullptr, no_pause, stats);
}

AsrResult Pipeline::hear(std::span<const float> audio16k, const AsrRequest& request,
                         const std::function<void(const AsrResult&)>& on_window, const double& paused_ms,
                         RunStats& stats) const {
  Timings timings;
  StageClock clock(timings);
  const double seconds = static_cast<double>(audio16k.size()) / whisper_->mel().config().sample_rate;
  WindowText each_window;
  if (on_window)
    each_window = [&](const whisper::LongformLanguage& language, std::span<const Segment> segments) {
      on_window(window_result(language, segments, seconds));
    };
  AsrResult out = asr_result(
      recognise(*whisper_, audio16k, request, options_.max_new_tokens, each_window, clock, stats, paused_ms), seconds);
  out.timings = std::move(timings);
  return out;
}

namespace {

// TtsRequest::speed: OpenAI's range; what the voice then makes of it is its own (VITS divides its
// durations by it).
void check_speed(const std::optional<double>& speed) {
  if (speed && !(*speed >= 0.25 && *speed <= 4.0))
    invalid_argument("speed must lie between 0.25 and 4 (1 = the voice's own rate)");
}

}  // namespace

TtsResult Pipeline::text_to_speech(const TtsRequest& request, const Tensor& speaker, RunStats& stats) const {
  check_speed(request.speed);
  if (const text::Language* language = other_target(request.language)) return speak_in(request, *language, stats);
  if (request.speed && *request.speed != 1.0)
    invalid_argument("the English voice (SpeechT5) cannot change its speaking rate: leave speed out or at 1");
  check_speaker(speaker);
  const auto start = Clock::now();
  TtsResult out;
  StageClock clock(out.timings);
  const Delivery delivery = delivery_of(request, start, &out.first_audio_ms);
  Speaker voice(tts_, vocoder_, speaker, delivery, stats);
  // Text with nothing to speak is refused here (Error(BadInput)): the caller asked for speech.
  voice.say(request.text);
  voice.report(clock);
  out.audio = voice.take_audio();
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
  check_speed(request.speed);
  if (const text::Language* language = other_target(request.language)) return speak_in(request, *language, stats);
  return std::as_const(*this).text_to_speech(request, named_voice(request.voice), stats);
}

TranslateResult Pipeline::translate(std::span<const float> audio16k, const TranslateRequest& request) {
  RunStats stats;
  if (const text::Language* target = other_target(request.target_language)) {
    if (!request.voice.empty())
      invalid_argument("the voices (" + request.voice + ") are English; leave the voice out for " +
                       text::describe(*target));
    return translate_to(audio16k, request, *target, stats);
  }
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

void Pipeline::require_english_speech() const {
  if (!tts_) invalid_argument("this pipeline was loaded without the English voice (SpeechT5)");
}

const Tensor& Pipeline::named_voice(const std::string& name) const {
  require_english_speech();
  const std::string wanted = name.empty() ? default_voice() : name;
  for (const auto& v : voices_)
    if (v.first == wanted) return v.second;
  std::string list;
  for (const auto& v : voices_) list += (list.empty() ? "" : ", ") + v.first;
  invalid_argument("unknown voice '" + wanted + "'; choose one of: " + list);
}

void Pipeline::check_speaker(const Tensor& speaker) const {
  require_english_speech();
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

int Pipeline::sample_rate() const {
  require_english_speech();
  return vocoder_->sample_rate();
}

int64_t Pipeline::samples_per_step() const {
  require_english_speech();
  return tts_->config().reduction_factor * vocoder_->shape().hop_length();
}

int threads_per_worker(int total, int workers) {
  if (total <= 0) total = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, total / std::max(1, workers));
}

}  // namespace parley::pipeline
