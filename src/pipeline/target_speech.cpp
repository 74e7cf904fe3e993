// Speech in a language other than English (pipeline.h, TranslateRequest::target_language):
//
//   Whisper "transcribe" -> sentences (text/sentences.h) -> MT, one sentence at a time (skipped when
//   the spoken language already is the target) -> the target's VITS voice, sentence by sentence.
//
// Each sentence is translated exactly as `parley translate-text` translates it (mt::translate_text
// on the sentence; the texts joined as it joins them), and spoken exactly as `parley synthesize
// --stream` speaks the joined text (one VITS call per sentence, one noise source for the whole run),
// so the first sentence's audio reaches the callbacks after the first sentence is translated.
#include <chrono>
#include <functional>
#include <map>

#include "core/error.h"
#include "hf/hub.h"
#include "mt/text_translation.h"
#include "pipeline/sentence_feed.h"
#include "pipeline/target_models.h"
#include "pipeline/vits_engine.h"
#include "text/sentences.h"
#include "vits/noise.h"

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {


bool is_english(const text::Language& l) { return l.iso1 == "en"; }

std::string language_name(const text::Language& l) { return std::string(l.name); }

}  // namespace

// --- Which model, where ------------------------------------------------------------------------

const text::Language* other_target(const std::string& code) {
  if (sentences::trim(code).empty()) return nullptr;
  const text::Language& l = text::resolve_language(code);
  return is_english(l) ? nullptr : &l;
}

std::string tts_model_for(const PipelineOptions& options, const text::Language& language) {
  for (const auto& [code, name] : options.tts_models)
    if (&text::resolve_language(code) == &language) return name;
  return text::mms_tts_model(language);
}

fs::path resolve_target_model(const std::string& name, const std::string& what) {
  hub::HubOptions hub = hub::hub_options_from_env();
  hub::HubOptions offline = hub;
  offline.offline = true;
  try {
    return hub::resolve_model(name, offline);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound || hub.offline) throw;
    try {
      hub::parse_model_ref(name);
    } catch (const Error&) {
      throw e;  // a folder that is not there: nothing to download
    }
  }
  // One quick try: a machine without network should not wait through the download's retries.
  hub.max_retries = 1;
  hub.retry_delay_ms = 250;
  try {
    return hub::resolve_model(name, hub);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Network) throw;
    fail(ErrorKind::NotFound, what + " " + name + " is not on disk and the Hub cannot be reached (" + e.what() +
                                  "); on a connected machine run 'parley models download " + name +
                                  "' and copy its Hugging Face cache here, or name a local folder");
  }
}

bool model_on_disk(const std::string& name) {
  hub::HubOptions offline = hub::hub_options_from_env();
  offline.offline = true;
  try {
    hub::resolve_model(name, offline);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string display_name(const std::string& name) {
  std::error_code ec;
  if (!fs::is_directory(name, ec)) return name;
  fs::path p = fs::path(name).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

namespace {

std::shared_ptr<const vits::VitsModel> voice_of(const PipelineOptions& o, Pipeline::TargetModels& t,
                                                const text::Language& l) {
  const std::string name = tts_model_for(o, l);
  if (name.empty())
    invalid_argument("no text-to-speech model is known for " + text::describe(l) + "; name one with --tts-model " +
                     std::string(text::short_code(l)) + "=NAME|DIR");
  return t.voices.get(name, [&] {
    const fs::path folder = resolve_target_model(name, "the " + language_name(l) + " text-to-speech model");
    if (tts_model_type(folder) != "vits")
      invalid_argument("the " + language_name(l) + " text-to-speech model " + display_name(name) +
                       " is not a VITS (MMS-TTS) model; SpeechT5 speaks English only");
    return vits::VitsModel::load(folder);
  });
}

std::shared_ptr<const mt::Translator> translator_of(const PipelineOptions& o, Pipeline::TargetModels& t) {
  return t.translators.get(o.mt_model, [&] {
    const fs::path folder = resolve_target_model(o.mt_model, "the translation model");
    return std::make_shared<const mt::Translator>(mt::Translator::load(folder));
  });
}

// A VITS voice speaking piece after piece into one recording, handing each piece to the caller's
// callbacks as soon as it is made (AudioChunk: no pause between pieces, VITS leaves its own).
class VoiceOut {
 public:
  template <class Request>
  VoiceOut(std::shared_ptr<const vits::VitsModel> model, vits::VitsOptions options, const Request& callbacks,
           Clock::time_point start, double* first_audio_ms)
      : model_(std::move(model)),
        engine_(model_, options, std::make_unique<vits::SeededNoise>(callbacks.seed.value_or(vits::kDefaultSeed))),
        on_audio_(callbacks.on_audio),
        on_chunk_(callbacks.on_chunk),
        control_(callbacks.control),
        start_(start),
        first_audio_ms_(first_audio_ms) {}

  // Speaks `text`, one piece per sentence when `by_sentence`. Throws Error(BadInput) when the voice
  // has nothing to say for it.
  void say(std::string_view text, bool by_sentence) {
    const std::vector<float> audio = engine_.speak(text, by_sentence, [this](const TtsPiece& p) { deliver(p); });
    audio_.insert(audio_.end(), audio.begin(), audio.end());
  }
  // Whether the voice has anything to say for `text` (letters of its alphabet).
  bool can_say(std::string_view text) const {
    return !sentences::trim(text).empty() && !model().tokenizer().prepare(text).empty();
  }

  const vits::VitsModel& model() const { return *model_; }
  int sample_rate() const { return engine_.sample_rate(); }
  size_t pieces() const { return pieces_; }
  double ms() const { return ms_; }
  std::vector<float> take_audio() { return std::move(audio_); }

 private:
  void deliver(const TtsPiece& p) {
    ms_ += p.ms;
    const double elapsed = ms_between(start_, Clock::now());
    if (pieces_ == 0 && first_audio_ms_) *first_audio_ms_ = elapsed;
    const int rate = sample_rate();
    if (on_audio_) on_audio_(p.audio, rate);
    if (on_chunk_) {
      AudioChunk c;
      c.index = pieces_;
      c.text = p.text;
      c.audio = p.audio;
      c.sample_rate = rate;
      c.start = static_cast<double>(offset_) / rate;
      c.end = static_cast<double>(offset_ + p.audio.size()) / rate;
      c.elapsed_ms = elapsed;
      on_chunk_(c);
    }
    offset_ += p.audio.size();
    ++pieces_;
    report_speech(control_, static_cast<double>(offset_) / rate, pieces_);
  }

  std::shared_ptr<const vits::VitsModel> model_;
  VitsEngine engine_;
  std::function<void(std::span<const float>, int)> on_audio_;
  std::function<void(const AudioChunk&)> on_chunk_;
  const RunControl* control_;
  Clock::time_point start_;
  double* first_audio_ms_;
  double ms_ = 0;
  size_t pieces_ = 0, offset_ = 0;
  std::vector<float> audio_;
};

}  // namespace

// --- Speech -> the target's speech ----------------------------------------------------------

namespace {

// Sentences of the transcript in, the target's speech out: each translated as `parley translate-text`
// translates it (skipped when the speech already is in the target language), its text and cue added
// to the result, then spoken. The one path for a whole transcript and for a window's sentences.
class SentenceSpeaker {
 public:
  SentenceSpeaker(const PipelineOptions& options, Pipeline::TargetModels& models, VoiceOut& voice,
                  TranslateResult& out, const RunControl* control)
      : options_(options), models_(models), voice_(voice), out_(out), control_(control),
        separator_(mt::sentence_separator(out.target_language)) {}

  // `from`: the spoken language's code; `same_language`: it already is the target.
  void speak(std::vector<TimedSentence>&& sentences, const std::string& from, bool same_language) {
    for (TimedSentence& s : sentences) {
      check(control_);
      const std::string said = same_language ? std::move(s.text) : translate(s.text, from);
      if (said.empty()) continue;
      out_.text += (out_.text.empty() ? "" : separator_) + said;
      Segment cue;
      cue.id = static_cast<int>(out_.segments.size());
      cue.start = s.start;
      cue.end = s.end;
      cue.text = separator_ + said;
      out_.segments.push_back(std::move(cue));
      if (voice_.can_say(said)) voice_.say(said, true);
    }
  }

  double load_ms = 0, mt_ms = 0;

 private:
  std::string translate(const std::string& sentence, const std::string& from) {
    auto t0 = Clock::now();
    if (!translator_) {
      translator_ = translator_of(options_, models_);
      load_ms += ms_between(t0, Clock::now());
      t0 = Clock::now();
    }
    mt::TextRequest request;
    request.text = sentence;
    request.from = from;
    request.to = out_.target_language;
    request.generate.control = control_;
    std::string said = mt::translate_text(*translator_, request).text;
    mt_ms += ms_between(t0, Clock::now());
    ++translated_;
    report(control_, {"mt", static_cast<double>(translated_), 0, "sentence", "sentence " + std::to_string(translated_)});
    return said;
  }

  const PipelineOptions& options_;
  Pipeline::TargetModels& models_;
  VoiceOut& voice_;
  TranslateResult& out_;
  const RunControl* control_;
  const std::string separator_;
  std::shared_ptr<const mt::Translator> translator_;
  size_t translated_ = 0;
};

}  // namespace

TranslateResult Pipeline::translate_to(std::span<const float> audio16k, const TranslateRequest& request,
                                       const text::Language& target, RunStats& stats) const {
  const auto start = Clock::now();
  TranslateResult out;
  out.target_language = std::string(text::short_code(target));
  // The voice first: a target that cannot be spoken fails before any recognition.
  VoiceOut voice(voice_of(options_, *targets_, target), {}, request, start, &out.first_audio_ms);
  SentenceSpeaker speaker(options_, *targets_, voice, out, request.control);
  speaker.load_ms = ms_between(start, Clock::now());
  auto is_target = [&](const std::string& spoken) { return text::find_language(spoken) == &target; };

  // Streaming long audio: each window's settled sentences are translated and spoken as soon as the
  // window is decoded (SentenceFeed holds a sentence that may go on in the next window).
  SentenceFeed feed;
  bool by_window = false;
  double paused_ms = 0;  // the windows' translation and speech, not recognition
  std::function<void(const AsrResult&)> on_window;
  if (request.on_audio || request.on_chunk)
    on_window = [&](const AsrResult& window) {
      const auto t0 = Clock::now();
      by_window = true;
      if (request.on_recognized) request.on_recognized(window);
      speaker.speak(feed.add(window.segments), window.language, is_target(window.language));
      paused_ms += ms_between(t0, Clock::now());
    };
  const AsrRequest asr = asr_request_of(request, AsrTask::Transcribe);
  AsrResult heard = hear(audio16k, asr, on_window, paused_ms, stats);
  out.timings = std::move(heard.timings);
  const bool same_language = is_target(heard.language);
  if (by_window) {
    speaker.speak(feed.finish(), heard.language, same_language);
  } else {
    if (request.on_recognized) request.on_recognized(heard);  // the source's text, before any speech
    speaker.speak(timed_sentences(heard.text, heard.segments), heard.language, same_language);
  }
  if (same_language) out.text = heard.text;  // as heard, spacing included
  out.timings.emplace_back("model_load", speaker.load_ms);
  out.timings.emplace_back("mt", speaker.mt_ms);
  out.timings.emplace_back("tts", voice.ms());
  stats.pieces = voice.pieces();
  stats.spoken = voice.pieces() > 0;
  out.audio = voice.take_audio();
  out.sample_rate = voice.sample_rate();
  out.language = std::move(heard.language);
  out.language_name = std::move(heard.language_name);
  out.source_text = std::move(heard.text);
  out.duration_s = heard.duration_s;
  return out;
}

// --- Text -> speech in another language ----------------------------------------------------

TtsResult Pipeline::speak_in(const TtsRequest& request, const text::Language& language, RunStats& stats) const {
  const auto start = Clock::now();
  if (!request.voice.empty())
    invalid_argument("the voices (" + request.voice + ") are English; leave the voice out for " +
                     text::describe(language));
  TtsResult out;
  vits::VitsOptions options;
  options.speaking_rate = request.speed;
  VoiceOut voice(voice_of(options_, *targets_, language), options, request, start, &out.first_audio_ms);
  const double load_ms = ms_between(start, Clock::now());
  // Text with nothing to speak is refused here (Error(BadInput)): the caller asked for speech.
  voice.say(request.text, request.sentence_by_sentence || request.on_audio || request.on_chunk);
  out.timings = {{"model_load", load_ms}, {"tts", voice.ms()}};
  stats.pieces = voice.pieces();
  stats.spoken = true;
  out.audio = voice.take_audio();
  out.sample_rate = voice.sample_rate();
  return out;
}

int Pipeline::prepare_target(const std::string& target, const std::string& source) const {
  const text::Language* t = other_target(target);
  if (!t) {
    require_english_speech();
    return sample_rate();
  }
  const int rate = voice_of(options_, *targets_, *t)->sample_rate();
  const text::Language* s = source.empty() ? nullptr : text::find_language(source);
  if (s != t) translator_of(options_, *targets_);
  return rate;
}

// --- What this pipeline can hear and speak --------------------------------------------------

std::vector<LanguageSupport> Pipeline::languages() const {
  std::map<std::string, bool> on_disk;  // model name -> loadable offline, each looked up once
  auto cached = [&](const std::string& name) {
    auto it = on_disk.find(name);
    if (it == on_disk.end()) it = on_disk.emplace(name, model_on_disk(name)).first;
    return it->second;
  };
  // Which rows the translation model reaches, from its kind as its name tells (NLLB-200: the
  // FLORES-200 codes; M2M100: its 100 codes; other models, e.g. opus-mt pairs: not known here).
  const std::string mt = options_.mt_model;
  const bool nllb = mt.find("nllb") != std::string::npos, m2m = mt.find("m2m100") != std::string::npos;
  std::vector<LanguageSupport> out;
  for (const text::Language& l : text::all_languages()) {
    LanguageSupport s;
    s.code = std::string(text::short_code(l));
    s.name = std::string(l.name);
    s.hear = !l.whisper.empty();
    if (is_english(l)) {
      s.speak = options_.english_speech;
      s.tts_model = display_name(options_.tts_model);
      s.tts_on_disk = options_.english_speech;  // loaded with the pipeline
    } else {
      const std::string tts = tts_model_for(options_, l);
      s.speak = !tts.empty();
      s.tts_model = display_name(tts);
      s.tts_on_disk = s.speak && cached(tts);
      if ((nllb && !l.flores.empty()) || (m2m && !l.m2m100.empty()) || (!nllb && !m2m)) {
        s.mt_model = display_name(mt);
        s.mt_on_disk = cached(mt);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace parley::pipeline
