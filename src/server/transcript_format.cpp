#include "server/transcript_format.h"

#include <nlohmann/json.hpp>

#include "text/pretokenizer.h"

namespace parley::server {

bool is_transcript_format(const std::string& f) {
  return f == "json" || f == "text" || f == "srt" || f == "vtt" || f == "verbose_json";
}

FormattedTranscript format_transcript(const subtitles::Transcript& t, const std::string& format) {
  // OpenAI's `text` is the whole text on one line, not one line per segment as a .txt file has it.
  if (format == "text") return {t.text + "\n", "text/plain; charset=utf-8"};
  if (format == "srt") return {subtitles::to_srt(t), "application/x-subrip; charset=utf-8"};
  if (format == "vtt") return {subtitles::to_vtt(t), "text/vtt; charset=utf-8"};
  if (format == "verbose_json") return {subtitles::to_json(t), "application/json"};
  nlohmann::ordered_json j = {{"text", t.text}};
  return {j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json"};
}

void add_words(subtitles::Transcript& t, const std::vector<Segment>& segments) {
  nlohmann::json words = nlohmann::json::array();
  for (const Segment& s : segments)
    for (const Word& w : s.words)
      words.push_back({{"word", std::string(strip_python(w.word))}, {"start", w.start}, {"end", w.end}});
  for (subtitles::Cue& c : t.cues) c.extra.erase("words");
  t.extra["words"] = std::move(words);
}

}  // namespace parley::server
