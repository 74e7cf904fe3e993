#include "server/speech_request.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/request_body.h"
#include "text/languages.h"
#include "text/sentences.h"

namespace parley::server {

namespace {

// OpenAI's voice names (alloy, nova, ...) and anything else unknown fall back to the default voice,
// so OpenAI clients work unchanged.
std::string pick_voice(const SpeechChoices& choices, const nlohmann::json& voice) {
  std::string name;
  if (voice.is_string()) name = voice.get<std::string>();
  else if (voice.is_object() && voice.contains("id") && voice["id"].is_string()) name = voice["id"].get<std::string>();
  if (std::find(choices.voices.begin(), choices.voices.end(), name) != choices.voices.end()) return name;
  return choices.default_voice;
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) throw ApiError(400, "invalid_parameter", std::string("'") + key + "' must be a string", key);
  return j[key].get<std::string>();
}

// `speed`: OpenAI's range. SpeechT5 (English) has no rate control (and resampling would change the
// pitch), so there only 1; the service refuses what its model cannot do too (TtsRequest::speed).
std::optional<double> speed_field(const nlohmann::json& j, const std::string& language) {
  if (!j.contains("speed") || j["speed"].is_null()) return std::nullopt;
  const nlohmann::json& speed = j["speed"];
  if (!speed.is_number() || speed.get<double>() < kMinSpeed || speed.get<double>() > kMaxSpeed) {
    throw ApiError(400, "invalid_parameter", "'speed' must be a number from 0.25 to 4.0", "speed");
  }
  if ((language.empty() || language == "en") && speed.get<double>() != 1.0) {
    throw ApiError(400, "invalid_parameter",
                   "'speed' other than 1.0 is not supported by SpeechT5 (English); the voices of other languages take 0.25 to 4.0",
                   "speed");
  }
  return speed.get<double>();
}

}  // namespace

std::string table_language(std::string_view value, const std::string& param) {
  const std::string_view v = sentences::trim(value);
  if (v.empty()) return "";
  try {
    return std::string(text::short_code(text::resolve_language(v)));
  } catch (const Error& e) {  // unknown: the did-you-mean line
    throw ApiError(400, "invalid_parameter", "'" + param + "': " + std::string(e.what()), param);
  }
}

SpeechRequest parse_speech_request(std::string_view body, const SpeechChoices& choices) {
  check_json_depth(body);  // before the parser builds a tree of it
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError(400, "invalid_json", "the body is not a JSON object");

  SpeechRequest request;
  request.tts.text = json_string(j, "input");
  if (request.tts.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ApiError(400, "invalid_parameter", "'input' must be non-empty text", "input");
  }
  if (request.tts.text.size() > choices.max_text_chars) {
    throw ApiError(413, "input_too_long",
                   "'input' is longer than " + std::to_string(choices.max_text_chars) + " characters", "input");
  }
  request.tts.language = table_language(json_string(j, "language"), "language");
  const bool english = request.tts.language.empty() || request.tts.language == "en";
  // Other languages have one voice each: OpenAI's clients always send a voice, so it is ignored there.
  if (english) request.tts.voice = pick_voice(choices, j.value("voice", nlohmann::json()));
  // OpenAI's default is mp3; this server uses it when it has an mp3 encoder, else wav.
  const auto& formats = choices.formats;
  bool has_mp3 = std::find(formats.begin(), formats.end(), "mp3") != formats.end();
  request.format = json_string(j, "response_format", has_mp3 ? "mp3" : "wav");
  if (std::find(formats.begin(), formats.end(), request.format) == formats.end()) {
    std::string list;
    for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
    throw ApiError(400, "invalid_parameter", "'response_format' must be one of: " + list, "response_format");
  }
  request.tts.speed = speed_field(j, request.tts.language);
  if (j.contains("seed") && j["seed"].is_number_unsigned()) request.tts.seed = j["seed"].get<uint64_t>();
  return request;
}

}  // namespace parley::server
