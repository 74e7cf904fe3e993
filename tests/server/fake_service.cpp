#include "fake_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "core/error.h"

namespace parley::test {

namespace {

constexpr double kPi = 3.14159265358979323846;

double rms(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += double(v) * v;
  return x.empty() ? 0 : std::sqrt(sum / double(x.size()));
}

}  // namespace

void FakeSpeechService::enter(const RunControl* control) {
  ++calls_;
  ++active_;
  // Checked every 10 ms, as the real models' loops check it, while delayed or held.
  auto cancelled = [&] {
    if (!control || !control->cancelled()) return false;
    leave();
    return true;
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms_.load());
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::unique_lock lock(mutex_);
  while (!released_.wait_for(lock, std::chrono::milliseconds(10), [this] { return !held_; })) {
    if (cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
  }
}

void FakeSpeechService::hold() {
  std::lock_guard lock(mutex_);
  held_ = true;
}

void FakeSpeechService::release() {
  {
    std::lock_guard lock(mutex_);
    held_ = false;
  }
  released_.notify_all();
}

// Word timestamps: the text's words (with their leading spaces) evenly over the segment.
void add_fake_words(Segment& s) {
  std::vector<std::string> words;
  for (char c : s.text) {
    if (c == ' ' || words.empty()) words.emplace_back();
    words.back() += c;
  }
  const double each = (s.end - s.start) / static_cast<double>(words.size());
  for (size_t i = 0; i < words.size(); ++i)
    s.words.push_back({words[i], s.start + each * static_cast<double>(i), s.start + each * static_cast<double>(i + 1), 0.5});
}

// One segment per 4 seconds, its text naming its number and loudness, so the output depends on the
// audio the server decoded.
AsrResult FakeSpeechService::speech_to_text(std::span<const float> audio, const AsrRequest& request) {
  {
    std::lock_guard lock(mutex_);
    asr_requests_.push_back(request);
  }
  enter(request.control);
  AsrResult r;
  r.language = request.language.empty() ? "es" : request.language;
  r.language_name = r.language == "es" ? "spanish" : r.language == "en" ? "english" : "language " + r.language;
  r.duration_s = double(audio.size()) / 16000.0;
  size_t per = static_cast<size_t>(kSegmentSeconds * 16000);
  for (size_t at = 0, i = 0; at < audio.size(); at += per, ++i) {
    size_t n = std::min(per, audio.size() - at);
    char text[96];
    std::snprintf(text, sizeof text, " %s part %zu, loudness %.4f.",
                  request.task == AsrTask::Translate ? "English" : "Spoken", i + 1, rms(audio.subspan(at, n)));
    Segment s;
    s.start = double(at) / 16000.0;
    s.end = double(at + n) / 16000.0;
    s.text = text;
    s.seek = static_cast<int64_t>(at / 160);
    s.tokens = {50364, int32_t(1000 + i), 50414};
    s.temperature = request.temperature;
    s.avg_logprob = -0.25;
    s.compression_ratio = 1.5;
    s.no_speech_prob = 0.01;
    if (request.word_timestamps) add_fake_words(s);
    if (request.on_segment) request.on_segment(s);
    r.segments.push_back(std::move(s));
  }
  for (const auto& s : r.segments) r.text += s.text;
  if (!r.text.empty()) r.text.erase(0, 1);
  r.timings = {{"asr", 1.5}};
  leave();
  return r;
}

// A tone: 20 ms per character / speed, its pitch set by the voice or the language, its phase by the seed.
TtsResult FakeSpeechService::text_to_speech(const TtsRequest& request) {
  {
    std::lock_guard lock(mutex_);
    tts_requests_.push_back(request);
  }
  enter(request.control);
  if (request.text == "error: bad input") {
    leave();
    bad_input("the fake service refuses this text");
  }
  if (request.text == "error: crash") {
    leave();
    throw std::runtime_error("fake crash");
  }
  if (request.text == "error: out of memory") {
    leave();
    throw std::bad_alloc();
  }
  const bool english = request.language.empty() || request.language == "en";
  if (english && request.speed.value_or(1.0) != 1.0) {
    leave();
    invalid_argument("the fake SpeechT5 cannot change its speaking rate");
  }
  if (request.language == kMissingTtsLanguage) {
    leave();
    fail(ErrorKind::NotFound, "the fake speech model for de is not on disk; run `parley models download facebook/mms-tts-deu`");
  }
  auto names = voices();
  std::string voice = request.voice.empty() ? default_voice() : request.voice;
  auto index = std::find(names.begin(), names.end(), voice) - names.begin();
  double freq = english ? 200.0 + 20.0 * double(index) : 500.0 + double(request.language.size() * 37 + request.language[0]);
  double phase = double(request.seed.value_or(0) % 360) * kPi / 180.0;
  TtsResult r;
  r.sample_rate = 16000;
  r.audio.resize(static_cast<size_t>(double(std::max<size_t>(1600, request.text.size() * 320)) / request.speed.value_or(1.0)));
  for (size_t i = 0; i < r.audio.size(); ++i) {
    r.audio[i] = static_cast<float>(0.3 * std::sin(2 * kPi * freq * double(i) / 16000.0 + phase));
  }
  if (request.on_audio) request.on_audio(r.audio, r.sample_rate);
  r.timings = {{"tts", 2.0}, {"vocoder", 0.5}};
  leave();
  return r;
}

TranslateResult FakeSpeechService::translate(std::span<const float> audio, const TranslateRequest& request) {
  {
    std::lock_guard lock(mutex_);
    translate_requests_.push_back(request);
  }
  const bool english = request.target_language.empty() || request.target_language == "en";
  AsrRequest asr;
  asr.task = english ? AsrTask::Translate : AsrTask::Transcribe;
  asr.language = request.language;
  asr.control = request.control;
  AsrResult heard = speech_to_text(audio, asr);
  if (request.on_recognized) request.on_recognized(heard);
  TranslateResult r;
  r.language = heard.language;
  r.language_name = heard.language_name;
  r.target_language = english ? "en" : request.target_language;
  r.segments = heard.segments;
  r.duration_s = heard.duration_s;
  r.timings = heard.timings;
  // The text to speak, one piece per segment: the English text as it is, or the "translation".
  std::vector<std::string> pieces;
  for (const auto& s : heard.segments) pieces.push_back(english ? s.text.substr(1) : "[" + request.target_language + "]" + s.text);
  if (english) {
    r.text = heard.text;
  } else {
    r.source_text = heard.text;
    for (const auto& p : pieces) r.text += (r.text.empty() ? "" : " ") + p;
  }
  TtsRequest tts;
  tts.language = english ? "" : request.target_language;
  tts.voice = request.voice;
  tts.seed = request.seed;
  if (!request.on_chunk) pieces = {r.text};  // spoken whole
  for (size_t i = 0; i < pieces.size(); ++i) {
    tts.text = pieces[i];
    TtsResult speech = text_to_speech(tts);
    const double start = double(r.audio.size()) / speech.sample_rate;
    r.audio.insert(r.audio.end(), speech.audio.begin(), speech.audio.end());
    r.sample_rate = speech.sample_rate;
    if (i == 0) r.timings.insert(r.timings.end(), speech.timings.begin(), speech.timings.end());
    if (request.on_chunk)
      request.on_chunk({i, pieces[i], speech.audio, speech.sample_rate, start, double(r.audio.size()) / speech.sample_rate, 0.0});
  }
  return r;
}

std::vector<std::string> FakeSpeechService::voices() const { return {"awb", "bdl", "clb", "ksp", "rms", "slt"}; }

std::vector<LanguageSupport> FakeSpeechService::languages() const {
  if (!lists_languages_) return SpeechService::languages();
  const std::string nllb = "facebook/nllb-200-distilled-600M";
  return {{"en", "English", true, true, "fake-speecht5", true, "", false},
          {"fr", "French", true, true, "facebook/mms-tts-fra", true, nllb, true},
          {"de", "German", true, true, "facebook/mms-tts-deu", false, nllb, true},
          {"ace", "Acehnese", false, true, "facebook/mms-tts-ace", true, nllb, false}};
}

std::vector<AsrRequest> FakeSpeechService::asr_requests() const {
  std::lock_guard lock(mutex_);
  return asr_requests_;
}

std::vector<TtsRequest> FakeSpeechService::tts_requests() const {
  std::lock_guard lock(mutex_);
  return tts_requests_;
}

std::vector<TranslateRequest> FakeSpeechService::translate_requests() const {
  std::lock_guard lock(mutex_);
  return translate_requests_;
}

}  // namespace parley::test
