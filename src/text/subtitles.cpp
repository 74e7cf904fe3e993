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

Cue segment_cue(const Segment& s) {
  Cue c{s.start, s.end, s.text, {{"seek", s.seek}, {"tokens", s.tokens}, {"temperature", s.temperature}}};
  if (s.avg_logprob) c.extra["avg_logprob"] = *s.avg_logprob;
  if (s.compression_ratio) c.extra["compression_ratio"] = *s.compression_ratio;
  if (s.no_speech_prob) c.extra["no_speech_prob"] = *s.no_speech_prob;
  return c;
}

Transcript transcript_of(const std::string& task, const std::string& language_name, double duration,
                         const std::string& text, const std::vector<Segment>& segments) {
  Transcript t;
  t.task = task;
  t.language = language_name;
  t.duration = duration;
  t.text = text;
  for (const Segment& s : segments) t.cues.push_back(segment_cue(s));
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

}  // namespace parley::subtitles
