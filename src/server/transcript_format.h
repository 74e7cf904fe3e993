// A transcript in the response formats of OpenAI's audio API: json, text, srt, vtt, verbose_json.
// (Also what `parley transcribe --output-format` needs; it can move to pipeline/ when the CLI uses it.)
#pragma once

#include <string>

#include "pipeline/service.h"

namespace parley::server {

struct Transcript {
  std::string task;           // "transcribe" or "translate"
  std::string language_name;  // "spanish" (OpenAI reports the name, not the code)
  double duration_s = 0;
  std::string text;
  std::vector<Segment> segments;
};

bool is_transcript_format(const std::string& format);  // json | text | srt | vtt | verbose_json

// The response body and its Content-Type for `format` (one of the above).
struct FormattedTranscript {
  std::string body;
  std::string content_type;
};
FormattedTranscript format_transcript(const Transcript& t, const std::string& format);

// "00:01:02,345" (srt, comma) or "00:01:02.345" (vtt, dot); negative times clamp to 0.
std::string subtitle_time(double seconds, char decimal_mark);

}  // namespace parley::server
