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
  TtsRequest tts;      // text, voice (one of `voices`), seed
  std::string format;  // one of `formats`
};

// What the server offers: the limit on `input`, its audio formats, its voices and the default one.
struct SpeechChoices {
  size_t max_text_chars = 4096;
  std::vector<std::string> formats;
  std::vector<std::string> voices;
  std::string default_voice;
};

// Reads `body`. Throws ApiError naming the field: 400 for a body that is not a JSON object, empty or
// non-string `input`, an unknown `response_format`, a `speed` other than 1; 413 for `input` longer than
// max_text_chars. Unknown voice names (OpenAI's alloy, nova, ...) mean the default voice.
SpeechRequest parse_speech_request(std::string_view body, const SpeechChoices& choices);

}  // namespace parley::server
