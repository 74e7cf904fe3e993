#include "text/subtitles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "text/pretokenizer.h"

namespace parley::subtitles {

namespace {

// One line of cue text: stripped, newlines inside kept (both formats allow multi-line cues) but
// blank lines removed (a blank line ends a cue), and "-->" defused.
std::string cue_text(std::string_view raw) {
  std::string s(strip_python(raw));
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "-->") == 0) {
      out += "->";
      i += 2;
    } else if (s[i] == '\r') {
      continue;
    } else if (s[i] == '\n' && (out.empty() || out.back() == '\n')) {
      continue;
    } else {
      out += s[i];
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Timed {
  double start, end;
  std::string text;
};

// The cues worth showing, with times inside the audio and never going backwards.
std::vector<Timed> timed_cues(const Transcript& t) {
  std::vector<Timed> out;
  double floor = 0;
  for (const Cue& c : t.cues) {
    std::string text = cue_text(c.text);
    if (text.empty()) continue;
    double start = std::isfinite(c.start) ? std::max(c.start, floor) : floor;
    double end = std::isfinite(c.end) ? c.end : start;
    if (t.duration > 0) start = std::min(start, t.duration), end = std::min(end, t.duration);
    end = std::max(end, start);
    floor = start;
    out.push_back({start, end, std::move(text)});
  }
  return out;
}

}  // namespace

Format parse_format(std::string_view name) {
  if (name == "txt") return Format::Txt;
  if (name == "json") return Format::Json;
  if (name == "srt") return Format::Srt;
  if (name == "vtt") return Format::Vtt;
  invalid_argument("unknown output format '" + std::string(name) + "' (choose txt, json, srt or vtt)");
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Txt: return "txt";
    case Format::Json: return "json";
    case Format::Srt: return "srt";
    case Format::Vtt: return "vtt";
  }
  return "txt";
}

std::string timestamp(double seconds, char decimal_marker) {
  const long long ms = std::isfinite(seconds) && seconds > 0 ? std::llround(seconds * 1000.0) : 0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                decimal_marker, ms % 1000);
  return buf;
}

Cue segment_cue(const Segment& s, bool with_words) {
  Cue c{s.start, s.end, s.text, {{"seek", s.seek}, {"tokens", s.tokens}, {"temperature", s.temperature}}};
  if (s.avg_logprob) c.extra["avg_logprob"] = *s.avg_logprob;
  if (s.compression_ratio) c.extra["compression_ratio"] = *s.compression_ratio;
  if (s.no_speech_prob) c.extra["no_speech_prob"] = *s.no_speech_prob;
  if (with_words || !s.words.empty()) {
    nlohmann::json words = nlohmann::json::array();
    for (const Word& w : s.words)
      words.push_back({{"word", w.word}, {"start", w.start}, {"end", w.end}, {"probability", w.probability}});
    c.extra["words"] = std::move(words);
  }
  return c;
}

namespace {

size_t characters(std::string_view s) {  // Python's len(): code points
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// openai's iterate_subtitles, building one cue's words at a time.
class WordCueBuilder {
 public:
  WordCueBuilder(const WordCueOptions& o, double first_start)
      : o_(o), preserve_segments_(!o.max_line_count || !o.max_line_width),
        width_(static_cast<size_t>(o.max_line_width.value_or(1000))), last_(first_start) {}

  void add(Word w, bool first_of_segment) {
    const bool long_pause = !preserve_segments_ && w.start - last_ > 3.0;
    const bool has_room = line_len_ + characters(w.word) <= width_;
    const bool seg_break = first_of_segment && !words_.empty() && preserve_segments_;
    if (line_len_ > 0 && has_room && !long_pause && !seg_break) {
      line_len_ += characters(w.word);  // the line goes on
    } else {
      w.word = std::string(strip_python(w.word));
      if ((!words_.empty() && o_.max_line_count && (long_pause || line_count_ >= *o_.max_line_count)) || seg_break) {
        flush();  // a new cue
      } else if (line_len_ > 0) {
        ++line_count_;  // a new line
        w.word = "\n" + w.word;
      }
      line_len_ = characters(strip_python(w.word));
    }
    last_ = w.start;
    words_.push_back(std::move(w));
  }

  std::vector<Cue> finish() {
    if (!words_.empty()) flush();
    return std::move(cues_);
  }

 private:
  void flush() {
    Cue c{words_.front().start, words_.back().end, ""};
    for (const Word& w : words_) c.text += w.word;
    cues_.push_back(std::move(c));
    words_.clear();
    line_count_ = 1;
  }

  const WordCueOptions& o_;
  bool preserve_segments_;
  size_t width_;
  double last_;
  size_t line_len_ = 0;
  int line_count_ = 1;
  std::vector<Word> words_;
  std::vector<Cue> cues_;
};

}  // namespace

std::vector<Cue> word_cues(const std::vector<Segment>& segments, const WordCueOptions& options) {
  double first_start = segments.empty() ? 0.0 : segments.front().start;  // openai's get_start
  for (const Segment& s : segments)
    if (!s.words.empty()) {
      first_start = s.words.front().start;
      break;
    }
  WordCueBuilder b(options, first_start);
  for (const Segment& s : segments)
    for (size_t i = 0; i < s.words.size(); ++i) b.add(s.words[i], i == 0);
  return b.finish();
}

Transcript transcript_of(const std::string& task, const std::string& language_name, double duration,
                         const std::string& text, const std::vector<Segment>& segments) {
  Transcript t;
  t.task = task;
  t.language = language_name;
  t.duration = duration;
  t.text = text;
  // Word timestamps were asked for when any segment has words: then every segment lists its own.
  const bool words = std::any_of(segments.begin(), segments.end(), [](const Segment& s) { return !s.words.empty(); });
  for (const Segment& s : segments) t.cues.push_back(segment_cue(s, words));
  return t;
}

std::string to_txt(const Transcript& t) {
  std::string out;
  for (const Cue& c : t.cues) {
    std::string_view s = strip_python(c.text);
    if (s.empty()) continue;
    out.append(s);
    out += '\n';
  }
  return out;
}

std::string to_json(const Transcript& t) {
  // Insertion order, as OpenAI writes verbose_json (task, language, duration, text, segments).
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!t.task.empty()) j["task"] = t.task;
  j["language"] = t.language;
  j["duration"] = t.duration;
  j["text"] = t.text;
  nlohmann::ordered_json segs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < t.cues.size(); ++i) {
    const Cue& c = t.cues[i];
    nlohmann::ordered_json s = {{"id", i}, {"start", c.start}, {"end", c.end}, {"text", c.text}};
    if (c.extra.is_object())
      for (const auto& [k, v] : c.extra.items())
        if (!s.contains(k)) s[k] = v;
    segs.push_back(std::move(s));
  }
  j["segments"] = std::move(segs);
  if (t.extra.is_object())
    for (const auto& [k, v] : t.extra.items())
      if (!j.contains(k)) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string to_srt(const Transcript& t) {
  std::string out;
  int index = 0;
  for (const Timed& c : timed_cues(t)) {
    out += std::to_string(++index) + "\n";
    out += timestamp(c.start, ',') + " --> " + timestamp(c.end, ',') + "\n";
    out += c.text + "\n\n";
  }
  return out;
}

std::string to_vtt(const Transcript& t) {
  std::string out = "WEBVTT\n\n";
  for (const Timed& c : timed_cues(t)) {
    out += timestamp(c.start, '.') + " --> " + timestamp(c.end, '.') + "\n";
    out += c.text + "\n\n";
  }
  return out;
}

std::string render(const Transcript& t, Format f) {
  switch (f) {
    case Format::Txt: return to_txt(t);
    case Format::Json: return to_json(t);
    case Format::Srt: return to_srt(t);
    case Format::Vtt: return to_vtt(t);
  }
  return to_txt(t);
}

std::string render(const Transcript& t, Format f, const std::vector<Segment>& segments, const WordCueOptions& o) {
  const bool words = std::any_of(segments.begin(), segments.end(), [](const Segment& s) { return !s.words.empty(); });
  if (!words || (f != Format::Srt && f != Format::Vtt)) return render(t, f);
  Transcript by_words = t;
  by_words.cues = word_cues(segments, o);
  return render(by_words, f);
}

}  // namespace parley::subtitles
