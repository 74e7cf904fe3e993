// POST /v1/speech-translation: Parley's main job over HTTP. Speech in any language in, text and
// speech in the target language (`to`, English by default) out.
//
// Input: multipart/form-data with the audio in `file` (and optional fields), or the raw audio as the
// body (Content-Type audio/* or application/octet-stream) with the options in the query string.
// Options: language (spoken; any code form or "auto"), to (target; any code form, default en), voice
// (one of GET /v1/voices; English targets only), seed, prompt, temperature_fallback.
// Output: JSON {language, language_name, text, source_text, target_language, segments, duration,
// audio (base64 WAV), audio_format, sample_rate, voice, timings}, or the WAV itself when the client
// sends `Accept: audio/wav`, with the languages and the percent-encoded texts in X-Parley-* headers.
#include <algorithm>

#include "server/api_error.h"
#include "server/routes.h"
#include "server/speech_request.h"

namespace parley::server {

namespace {

using httplib::Request;
using httplib::Response;

constexpr const char* kRoute = "/v1/speech-translation";

bool is_audio_type(const std::string& content_type) {
  return content_type.rfind("audio/", 0) == 0 || content_type.rfind("video/", 0) == 0 ||
         content_type.rfind("application/octet-stream", 0) == 0 || content_type.rfind("application/ogg", 0) == 0;
}

}  // namespace

// Shared with the streaming route (routes.h).
std::string_view uploaded_audio(const Request& req, const RequestBody& body, std::string& filename) {
  if (body.multipart) {
    const FormPart* file = body.part("file");
    if (!file) throw ApiError(400, "missing_file", "the form has no 'file' field with the audio", "file");
    filename = file->filename;
    return file->data;
  } else if (is_audio_type(req.get_header_value("Content-Type"))) {
    return body.raw;
  } else {
    throw ApiError(415, "unsupported_media_type",
                   "send the audio as multipart/form-data ('file' field) or as the raw body with an audio/* Content-Type");
  }
}

namespace {

bool wants_wav(const Request& req) {
  std::string accept = req.get_header_value("Accept");
  return accept.find("audio/wav") != std::string::npos || accept.find("audio/x-wav") != std::string::npos;
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ' ') {
      out += c == ' ' ? std::string("%20") : std::string(1, static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string check_voice(Context& ctx, const std::string& voice) {
  if (voice.empty()) return ctx.service.default_voice();
  auto voices = ctx.service.voices();
  if (std::find(voices.begin(), voices.end(), voice) != voices.end()) return voice;
  std::string list;
  for (const auto& v : voices) list += (list.empty() ? "" : ", ") + v;
  throw ApiError(400, "invalid_parameter", "unknown voice '" + voice + "'; choose one of: " + list, "voice");
}

TranslateRequest translate_options(Context& ctx, const Request& req, const RequestBody& body) {
  TranslateRequest request;
  request.language = language_option(option(req, body, "language"));
  request.target_language = table_language(option(req, body, "to"), "to");
  if (request.target_language.empty()) request.target_language = "en";
  request.voice = check_voice(ctx, option(req, body, "voice"));
  if (!english_target(request)) request.voice.clear();
  request.seed = seed_option(option(req, body, "seed"));
  request.prompt = option(req, body, "prompt");
  request.temperature_fallback = flag_option(option(req, body, "temperature_fallback"), "temperature_fallback", true);
  request.transcribe_source = flag_option(option(req, body, "transcribe_source"), "transcribe_source", false);
  return request;
}

namespace {

void speech_translation(Context& ctx, const Request& req, const RequestBody& body, Response& res) {
  auto start = std::chrono::steady_clock::now();
  std::string filename;
  std::string_view audio_bytes = uploaded_audio(req, body, filename);
  if (audio_bytes.empty()) throw ApiError(400, "empty_file", "no audio was sent", "file");
  TranslateRequest request = translate_options(ctx, req, body);
  RunControl control;
  request.control = &control;

  Timings timings;
  std::string wav;
  TranslateResult result = run_on_worker(ctx, timings, control, [&] {
    std::vector<float> audio = decode_upload(ctx, audio_bytes, filename, timings);
    ctx.metrics.add_audio(kRoute, "input", static_cast<double>(audio.size()) / 16000.0);
    TranslateResult r = ctx.service.translate(audio, request);
    timings.insert(timings.end(), r.timings.begin(), r.timings.end());
    ctx.metrics.add_audio(kRoute, "output", static_cast<double>(r.audio.size()) / std::max(1, r.sample_rate));
    ctx.metrics.observe_time_to_first_audio(kRoute, ms_since(start) / 1000);
    auto encode_start = std::chrono::steady_clock::now();
    wav = ctx.codec.encode(r.audio, r.sample_rate, "wav");
    timings.emplace_back("encode", ms_since(encode_start));
    return r;
  });
  nlohmann::ordered_json timing = timings_json(ctx, timings, ms_since(start));
  const std::string target = result.target_language.empty() ? request.target_language : result.target_language;

  if (wants_wav(req)) {
    res.set_header("X-Parley-Language", result.language);
    res.set_header("X-Parley-Target-Language", target);
    res.set_header("X-Parley-Text", percent_encode(result.text));
    res.set_header("X-Parley-Source-Text", percent_encode(result.source_text));
    res.set_header("X-Parley-Timings", timing.dump());
    res.set_content(std::move(wav), "audio/wav");
    return;
  }
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  for (const auto& s : result.segments) segments.push_back({{"start", s.start}, {"end", s.end}, {"text", s.text}});
  nlohmann::ordered_json j = {{"language", result.language},
                              {"language_name", result.language_name},
                              {"text", result.text},
                              {"source_text", result.source_text},
                              {"target_language", target},
                              {"segments", segments},
                              {"duration", result.duration_s},
                              {"voice", request.voice},
                              {"audio_format", "wav"},
                              {"sample_rate", result.sample_rate},
                              {"audio", base64(wav)},
                              {"timings", timing}};
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

}  // namespace

void add_translate_route(httplib::Server& http, Context& ctx) {
  http.Post(kRoute, with_body(ctx, [&ctx](const Request& req, const RequestBody& body, Response& res) {
              speech_translation(ctx, req, body, res);
            }));
}

}  // namespace parley::server
