// A transcript in the response formats of OpenAI's audio API: json, text, srt, vtt, verbose_json.
// The rendering itself is text/subtitles.h's, the same as `parley transcribe --output-format`'s:
// this file only maps OpenAI's format names to it and to their content types.
#pragma once

#include <string>
#include <vector>

#include "text/subtitles.h"

namespace parley::server {

bool is_transcript_format(const std::string& format);  // json | text | srt | vtt | verbose_json

// The response body and its Content-Type for `format` (one of the above).
struct FormattedTranscript {
  std::string body;
  std::string content_type;
};
FormattedTranscript format_transcript(const subtitles::Transcript& t, const std::string& format);

// timestamp_granularities[]=word: verbose_json's top-level `words` [{word, start, end}] as OpenAI
// writes them (the word without its leading space), in place of the segments' own word lists.
void add_words(subtitles::Transcript& t, const std::vector<Segment>& segments);

}  // namespace parley::server
