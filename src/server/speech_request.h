// The JSON body of POST /v1/audio/speech (OpenAI's shape), checked field by field. A pure function of
// the body and the server's choices, so that it is unit-tested and fuzzed without a server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/service.h"

namespace parley::server {

struct SpeechRequest {
  TtsRequest tts;      // text, language, speed, voice (one of `voices`; empty for other languages), seed
  std::string format;  // one of `formats`
};

// What the server offers: the limit on `input`, its audio formats, its voices and the default one.
struct SpeechChoices {
  size_t max_text_chars = 4096;
  std::vector<std::string> formats;
  std::vector<std::string> voices;
  std::string default_voice;
};

// OpenAI's range for `speed`.
constexpr double kMinSpeed = 0.25, kMaxSpeed = 4.0;

// Reads `body`. Throws ApiError naming the field: 400 for a body that is not a JSON object, empty or
// non-string `input`, an unknown `response_format` or `language`, a `speed` outside kMinSpeed..kMaxSpeed
// or other than 1 for English (SpeechT5 has no rate control); 413 for `input` longer than
// max_text_chars. Unknown voice names (OpenAI's alloy, nova, ...) mean the default voice; with a
// `language` other than English the voice is left empty (that language's model has one voice).
SpeechRequest parse_speech_request(std::string_view body, const SpeechChoices& choices);

// A language named in the request field `param`, in any form of the language table ("fr", "fra",
// "French", "fra_Latn"), as the table's shortest code (text::short_code: "fr"); "" when `value` is
// empty. Unknown: ApiError 400 naming `param`, with the table's did-you-mean line.
std::string table_language(std::string_view value, const std::string& param);

}  // namespace parley::server
