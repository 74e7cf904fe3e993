// OpenAI-compatible audio routes: POST /v1/audio/transcriptions, /v1/audio/translations and
// /v1/audio/speech, with OpenAI's request fields and response shapes, so OpenAI's client libraries
// work with only their base URL changed.
#include <algorithm>

#include "audio/encode.h"

#include "server/api_error.h"
#include "server/routes.h"
#include "server/speech_request.h"
#include "server/transcript_format.h"

namespace parley::server {

namespace {

using httplib::Request;
using httplib::Response;

constexpr int kOpenAIPcmRate = 24000;  // what OpenAI's clients assume for response_format "pcm"

// OpenAI's timestamp_granularities[] (a repeated form field, or a query parameter): "segment" and/or
// "word"; true when words are asked for. OpenAI gives them only in verbose_json: anything else is a 400.
bool wants_words(const Request& req, const RequestBody& body, const std::string& format) {
  std::vector<std::string> values;
  for (const char* name : {"timestamp_granularities[]", "timestamp_granularities"}) {
    for (const FormPart& p : body.parts)
      if (p.filename.empty() && p.name == name) values.push_back(p.data);
    for (size_t i = 0; i < req.get_param_value_count(name); ++i) values.push_back(req.get_param_value(name, i));
  }
  bool words = false;
  for (const std::string& v : values) {
    if (v != "word" && v != "segment")
      throw ApiError(400, "invalid_parameter", "'timestamp_granularities[]' takes word and segment, not '" + v + "'",
                     "timestamp_granularities");
    words = words || v == "word";
  }
  if (!values.empty() && format != "verbose_json")
    throw ApiError(400, "invalid_parameter", "'timestamp_granularities[]' needs response_format verbose_json",
                   "timestamp_granularities");
  return words;
}

// transcriptions (task transcribe) and translations (task translate into English).
void speech_to_text(Context& ctx, AsrTask task, const Request& req, const RequestBody& body, Response& res) {
  auto start = std::chrono::steady_clock::now();
  const char* route = task == AsrTask::Translate ? "/v1/audio/translations" : "/v1/audio/transcriptions";
  if (!body.multipart) {
    throw ApiError(415, "unsupported_media_type", "send the audio as multipart/form-data with a 'file' field");
  }
  const FormPart* file = body.part("file");
  if (!file) throw ApiError(400, "missing_file", "the form has no 'file' field with the audio", "file");
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
  // Every format is derived from one timed decode, so the text never depends on the format asked for.
  request.timestamps = true;
  request.word_timestamps = wants_words(req, body, format);
  // Audio over 30 s is decoded in windows (openai's transcribe()); Parley's own field turns off the
  // retries at higher temperatures there.
  request.temperature_fallback = flag_option(option(req, body, "temperature_fallback"), "temperature_fallback", true);

  if (flag_option(option(req, body, "stream"), "stream", false)) {
    if (format != "json" && format != "text")
      throw ApiError(400, "invalid_parameter", "'stream' gives the text only: use response_format json or text",
                     "response_format");
    stream_transcript(ctx, route, std::move(request), file->data, file->filename, res);
    return;
  }
  Timings timings;
  RunControl control;
  request.control = &control;
  AsrResult result = run_on_worker(ctx, timings, control, [&] {
    std::vector<float> audio = decode_upload(ctx, file->data, file->filename, timings);
    ctx.metrics.add_audio(route, "input", static_cast<double>(audio.size()) / 16000.0);
    return ctx.service.speech_to_text(audio, request);
  });
  timings.insert(timings.end(), result.timings.begin(), result.timings.end());
  timings_json(ctx, timings, ms_since(start));  // records the stages in the metrics

  subtitles::Transcript t = subtitles::transcript_of(task == AsrTask::Translate ? "translate" : "transcribe",
                                                           result.language_name, result.duration_s, result.text,
                                                           result.segments);
  if (request.word_timestamps) add_words(t, result.segments);
  FormattedTranscript out = format_transcript(t, format);
  res.set_content(out.body, out.content_type.c_str());
}

void text_to_speech(Context& ctx, const Request& req, const RequestBody& body, Response& res) {
  auto start = std::chrono::steady_clock::now();
  if (body.multipart || req.get_header_value("Content-Type").find("json") == std::string::npos) {
    throw ApiError(415, "unsupported_media_type", "send a JSON body (Content-Type: application/json)");
  }
  SpeechRequest parsed = parse_speech_request(
      body.raw, {ctx.options.max_text_chars, ctx.codec.formats, ctx.service.voices(), ctx.service.default_voice()});
  RunControl control;
  parsed.tts.control = &control;
  const TtsRequest& request = parsed.tts;
  const std::string& format = parsed.format;

  Timings timings;
  int sample_rate = 0;
  std::string audio = run_on_worker(ctx, timings, control, [&] {
    TtsResult result = ctx.service.text_to_speech(request);
    timings.insert(timings.end(), result.timings.begin(), result.timings.end());
    ctx.metrics.add_audio("/v1/audio/speech", "output",
                          static_cast<double>(result.audio.size()) / std::max(1, result.sample_rate));
    ctx.metrics.observe_time_to_first_audio("/v1/audio/speech", ms_since(start) / 1000);
    auto encode_start = std::chrono::steady_clock::now();
    // OpenAI's headerless pcm is 24 kHz: resampled (libswresample) so its clients play it right.
    sample_rate = format == "pcm" ? kOpenAIPcmRate : result.sample_rate;
    std::string bytes = ctx.codec.encode(audio::resample(result.audio, result.sample_rate, sample_rate), sample_rate, format);
    timings.emplace_back("encode", ms_since(encode_start));
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
