#include "server/transcript_format.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace parley::server {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A subtitle cue must not contain a blank line (it would end the cue) nor, in VTT, "-->".
std::string cue_text(const std::string& s) {
  std::string out;
  for (char c : trim(s)) out += (c == '\n' || c == '\r') ? ' ' : c;
  size_t pos;
  while ((pos = out.find("-->")) != std::string::npos) out.replace(pos, 3, "->");
  return out;
}

// OpenAI's text is the trimmed text; segments with nothing in them are left out of subtitles.
std::string subtitles(const Transcript& t, bool vtt) {
  std::string out = vtt ? "WEBVTT\n\n" : "";
  int index = 1;
  for (const auto& s : t.segments) {
    std::string text = cue_text(s.text);
    if (text.empty()) continue;
    if (!vtt) out += std::to_string(index++) + "\n";
    out += subtitle_time(s.start, vtt ? '.' : ',') + " --> " + subtitle_time(std::max(s.end, s.start), vtt ? '.' : ',') + "\n";
    out += text + "\n\n";
  }
  return out;
}

std::string verbose_json(const Transcript& t) {
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  int id = 0;
  for (const auto& s : t.segments) {
    segments.push_back({{"id", id++},
                        {"seek", s.seek},
                        {"start", s.start},
                        {"end", s.end},
                        {"text", s.text},
                        {"tokens", s.tokens},
                        {"temperature", s.temperature},
                        {"avg_logprob", s.avg_logprob},
                        {"compression_ratio", s.compression_ratio},
                        {"no_speech_prob", s.no_speech_prob}});
  }
  nlohmann::ordered_json j = {{"task", t.task},
                              {"language", t.language_name},
                              {"duration", t.duration_s},
                              {"text", t.text},
                              {"segments", segments}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool is_transcript_format(const std::string& f) {
  return f == "json" || f == "text" || f == "srt" || f == "vtt" || f == "verbose_json";
}

std::string subtitle_time(double seconds, char decimal_mark) {
  if (!(seconds > 0)) seconds = 0;
  auto total_ms = static_cast<long long>(std::llround(seconds * 1000));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", total_ms / 3600000, total_ms / 60000 % 60,
                total_ms / 1000 % 60, decimal_mark, total_ms % 1000);
  return buf;
}

FormattedTranscript format_transcript(const Transcript& t, const std::string& format) {
  if (format == "text") return {t.text + "\n", "text/plain; charset=utf-8"};
  if (format == "srt") return {subtitles(t, false), "application/x-subrip; charset=utf-8"};
  if (format == "vtt") return {subtitles(t, true), "text/vtt; charset=utf-8"};
  if (format == "verbose_json") return {verbose_json(t), "application/json"};
  nlohmann::ordered_json j = {{"text", t.text}};
  return {j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json"};
}

}  // namespace parley::server
