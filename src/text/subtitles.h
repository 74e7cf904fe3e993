// Timed text -> the output formats users ask for: plain text, OpenAI's verbose_json, SubRip (.srt)
// and WebVTT (.vtt). Independent of Whisper: `parley transcribe` feeds it Whisper's segments, and
// `parley translate` / the server can feed it the English text with the source's timings.
//
//   txt   every segment's text, stripped, one per line (openai/whisper's WriteTXT)
//   json  {"task", "language", "duration", "text", "segments": [{"id", "start", "end", "text", ...}]},
//         times in seconds, shaped like OpenAI's verbose_json (a cue's `extra` fields, e.g. tokens
//         and avg_logprob, are added to its segment)
//   srt   "1\n00:00:01,000 --> 00:00:04,500\ntext\n\n" per cue, numbered from 1
//   vtt   "WEBVTT\n\n" then "00:00:01.000 --> 00:00:04.500\ntext\n\n" per cue
// In srt and vtt, cues with no text are left out, times are clamped to [0, duration] and made
// monotonic (a cue never starts before the previous one, never ends before it starts), and "-->" in
// the text is written "->" so it cannot end a cue's timing line early.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/segment.h"

namespace parley::subtitles {

struct Cue {
  double start = 0, end = 0;  // seconds
  std::string text;
  nlohmann::json extra = nlohmann::json::object();  // more fields for this segment in json output
};

struct Transcript {
  std::string task;       // "transcribe" / "translate" ("" leaves it out of json)
  std::string language;   // as verbose_json has it: the language's English name ("italian")
  double duration = 0;    // seconds of audio (0: unknown, no clamping to it)
  std::string text;       // the whole text
  std::vector<Cue> cues;
  nlohmann::json extra = nlohmann::json::object();  // more top-level fields in json output (e.g. words)
};

// The cue of one recognised segment, carrying openai's per-segment fields (seek, tokens,
// temperature, the decoding statistics that are known, and `words` [{word, start, end,
// probability}] with word timestamps: `with_words`, even when empty, as openai's result has them) into
// the json output.
Cue segment_cue(const Segment& s, bool with_words = false);

// A recording's timed text: one cue per segment. `task`: "transcribe" or "translate";
// `language_name` as verbose_json has it ("italian"). The one way every command and route turns
// recognised segments into the formats below.
Transcript transcript_of(const std::string& task, const std::string& language_name, double duration,
                         const std::string& text, const std::vector<Segment>& segments);

// Word-level cues (openai/whisper's SubtitlesWriter.iterate_result over segments with words): without
// both limits, one cue per segment, its words' times; with max_line_width (characters) and
// max_line_count, lines filled with words up to the width and a cue of up to that many lines, a new
// cue after a pause of over 3 s. Segments without words give no cue.
struct WordCueOptions {
  std::optional<int> max_line_width;
  std::optional<int> max_line_count;
};
std::vector<Cue> word_cues(const std::vector<Segment>& segments, const WordCueOptions& options);

enum class Format { Txt, Json, Srt, Vtt };

// "txt", "json", "srt" or "vtt"; anything else is Error(InvalidArgument).
Format parse_format(std::string_view name);
const char* format_name(Format f);

// HH:MM:SS,mmm (srt) or HH:MM:SS.mmm (vtt); milliseconds rounded to nearest, negative times as 0.
std::string timestamp(double seconds, char decimal_marker);

std::string to_txt(const Transcript& t);
std::string to_json(const Transcript& t);
std::string to_srt(const Transcript& t);
std::string to_vtt(const Transcript& t);
std::string render(const Transcript& t, Format f);
// The same, but srt and vtt cut from the words when the segments have them (word timestamps), as
// openai/whisper's writers do.
std::string render(const Transcript& t, Format f, const std::vector<Segment>& segments, const WordCueOptions& o);

}  // namespace parley::subtitles
