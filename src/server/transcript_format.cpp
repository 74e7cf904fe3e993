#include "server/transcript_format.h"

#include <nlohmann/json.hpp>

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

}  // namespace parley::server
