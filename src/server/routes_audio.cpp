// OpenAI-compatible audio routes: POST /v1/audio/transcriptions, /v1/audio/translations and
// /v1/audio/speech, with OpenAI's request fields and response shapes, so OpenAI's client libraries
// work with only their base URL changed.
#include <algorithm>

#include "server/api_error.h"
#include "server/routes.h"
#include "server/transcript_format.h"

namespace parley::server {

namespace {

using httplib::Request;
using httplib::Response;

// transcriptions (task transcribe) and translations (task translate into English).
void speech_to_text(Context& ctx, AsrTask task, const Request& req, const RequestBody& body, Response& res) {
  auto start = std::chrono::steady_clock::now();
  const char* route = task == AsrTask::Translate ? "/v1/audio/translations" : "/v1/audio/transcriptions";
  if (!body.multipart) {
    throw ApiError(415, "unsupported_media_type", "send the audio as multipart/form-data with a 'file' field");
  }
  const FormPart* file = body.part("file");
  if (!file) throw ApiError(400, "missing_file", "the form has no 'file' field with the audio", "file");
  if (option(req, body, "stream") == "true") {
    throw ApiError(400, "invalid_parameter", "streaming transcription is not supported yet", "stream");
  }
  std::string format = option(req, body, "response_format");
  if (format.empty()) format = "json";
  if (!is_transcript_format(format)) {
    throw ApiError(400, "invalid_parameter", "'response_format' must be one of json, text, srt, vtt, verbose_json",
                   "response_format");
  }
  // "model" is accepted and ignored: the server runs the models it was started with.
  AsrRequest request;
  request.task = task;
  request.language = language_option(option(req, body, "language"));
  request.prompt = option(req, body, "prompt");
  request.temperature = number_option(option(req, body, "temperature"), "temperature", 0, 1).value_or(0);
  request.timestamps = format == "srt" || format == "vtt" || format == "verbose_json";

  Timings timings;
  AsrResult result = run_on_worker(ctx, timings, [&] {
    std::vector<float> audio = decode_upload(ctx, file->data, file->filename, timings);
    ctx.metrics.add_audio(route, "input", static_cast<double>(audio.size()) / 16000.0);
    return ctx.service.speech_to_text(audio, request);
  });
  timings.insert(timings.end(), result.timings.begin(), result.timings.end());
  timings_json(ctx, timings, ms_since(start));  // records the stages in the metrics

  Transcript t{task == AsrTask::Translate ? "translate" : "transcribe", result.language_name, result.duration_s,
               result.text, result.segments};
  FormattedTranscript out = format_transcript(t, format);
  res.set_content(out.body, out.content_type.c_str());
}

// OpenAI's voice names (alloy, nova, ...) and anything else unknown fall back to the default voice,
// so OpenAI clients work unchanged.
std::string pick_voice(Context& ctx, const nlohmann::json& voice) {
  std::string name;
  if (voice.is_string()) name = voice.get<std::string>();
  else if (voice.is_object() && voice.contains("id") && voice["id"].is_string()) name = voice["id"].get<std::string>();
  auto voices = ctx.service.voices();
  if (std::find(voices.begin(), voices.end(), name) != voices.end()) return name;
  return ctx.service.default_voice();
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) throw ApiError(400, "invalid_parameter", std::string("'") + key + "' must be a string", key);
  return j[key].get<std::string>();
}

void text_to_speech(Context& ctx, const Request& req, const RequestBody& body, Response& res) {
  auto start = std::chrono::steady_clock::now();
  if (body.multipart || req.get_header_value("Content-Type").find("json") == std::string::npos) {
    throw ApiError(415, "unsupported_media_type", "send a JSON body (Content-Type: application/json)");
  }
  nlohmann::json j = nlohmann::json::parse(body.raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError(400, "invalid_json", "the body is not a JSON object");

  TtsRequest request;
  request.text = json_string(j, "input");
  if (request.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ApiError(400, "invalid_parameter", "'input' must be non-empty text", "input");
  }
  if (request.text.size() > ctx.options.max_text_chars) {
    throw ApiError(413, "input_too_long",
                   "'input' is longer than " + std::to_string(ctx.options.max_text_chars) + " characters", "input");
  }
  request.voice = pick_voice(ctx, j.value("voice", nlohmann::json()));
  // OpenAI's default is mp3; this server uses it when it has an mp3 encoder, else wav.
  const auto& formats = ctx.codec.formats;
  bool has_mp3 = std::find(formats.begin(), formats.end(), "mp3") != formats.end();
  std::string format = json_string(j, "response_format", has_mp3 ? "mp3" : "wav");
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    std::string list;
    for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
    throw ApiError(400, "invalid_parameter", "'response_format' must be one of: " + list, "response_format");
  }
  // SpeechT5 has no speaking-rate control, and resampling would change the pitch: only 1.0.
  if (j.contains("speed") && !j["speed"].is_null()) {
    if (!j["speed"].is_number() || j["speed"].get<double>() != 1.0) {
      throw ApiError(400, "invalid_parameter", "'speed' other than 1.0 is not supported by SpeechT5", "speed");
    }
  }
  if (j.contains("seed") && j["seed"].is_number_unsigned()) request.seed = j["seed"].get<uint64_t>();

  Timings timings;
  int sample_rate = 0;
  std::string audio = run_on_worker(ctx, timings, [&] {
    TtsResult result = ctx.service.text_to_speech(request);
    timings.insert(timings.end(), result.timings.begin(), result.timings.end());
    ctx.metrics.add_audio("/v1/audio/speech", "output",
                          static_cast<double>(result.audio.size()) / std::max(1, result.sample_rate));
    ctx.metrics.observe_time_to_first_audio("/v1/audio/speech", ms_since(start) / 1000);
    auto encode_start = std::chrono::steady_clock::now();
    std::string bytes = ctx.codec.encode(result.audio, result.sample_rate, format);
    timings.emplace_back("encode", ms_since(encode_start));
    sample_rate = result.sample_rate;
    return bytes;
  });
  timings_json(ctx, timings, ms_since(start));
  if (format == "pcm") res.set_header("X-Sample-Rate", std::to_string(sample_rate));
  res.set_content(std::move(audio), audio_mime_type(format).c_str());
}

}  // namespace

void add_audio_routes(httplib::Server& http, Context& ctx) {
  http.Post("/v1/audio/transcriptions", with_body(ctx, [&ctx](const Request& req, const RequestBody& body, Response& res) {
              speech_to_text(ctx, AsrTask::Transcribe, req, body, res);
            }));
  http.Post("/v1/audio/translations", with_body(ctx, [&ctx](const Request& req, const RequestBody& body, Response& res) {
              speech_to_text(ctx, AsrTask::Translate, req, body, res);
            }));
  http.Post("/v1/audio/speech", with_body(ctx, [&ctx](const Request& req, const RequestBody& body, Response& res) {
              text_to_speech(ctx, req, body, res);
            }));
}

}  // namespace parley::server
