// Internal to the server: what every route handler shares, and the route groups. Not a public API.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "pipeline/service.h"
#include "core/run_control.h"
#include "server/audio_io.h"
#include "server/connections.h"
#include "server/metrics.h"
#include "server/request_body.h"
#include "server/server.h"
#include "server/work_queue.h"

namespace parley::server {

struct Context {
  SpeechService& service;
  const ServerOptions& options;
  const AudioCodec& codec;
  WorkQueue& queue;
  Metrics& metrics;
  BodyLimits limits;
};

// Route groups, each registering its handlers on `http`.
void add_audio_routes(httplib::Server& http, Context& ctx);      // /v1/audio/{transcriptions,translations,speech}
void add_translate_route(httplib::Server& http, Context& ctx);   // /v1/speech-translation
void add_info_routes(httplib::Server& http, Context& ctx);       // /health, /metrics, /v1/models, /v1/voices, /v1/languages, web page
void add_stream_route(httplib::Server& http, Context& ctx);      // /v1/speech-translation/stream (routes_stream.cpp)

// From transcript_stream.cpp: `stream: true` on /v1/audio/transcriptions and translations, the text
// as OpenAI's transcript.text.delta / transcript.text.done server-sent events. Decodes `upload`
// first, so bad audio is a plain JSON error; then sets `res` to stream the recognition.
void stream_transcript(Context& ctx, const char* route, AsrRequest request, std::string_view upload,
                       const std::string& filename, httplib::Response& res);

// From routes_translate.cpp, shared with the streaming route.
// The uploaded audio: the multipart `file` field (its filename into `filename`) or a raw audio/*
// body; ApiError 400 (no file field) or 415 (neither).
std::string_view uploaded_audio(const httplib::Request& req, const RequestBody& body, std::string& filename);
// A voice name checked against the service's (empty: the default); ApiError(400) naming the choices.
std::string check_voice(Context& ctx, const std::string& voice);
// The options of /v1/speech-translation and its /stream (language, to, voice, seed, prompt,
// temperature_fallback), checked before any audio work: ApiError 400 naming the field. `to` (default
// en) in any form of the language table becomes target_language as the table's shortest code ("fr");
// for a target other than English the voice is left empty (that language's model has one voice).
TranslateRequest translate_options(Context& ctx, const httplib::Request& req, const RequestBody& body);
// Whether the request keeps today's English path (Whisper translate -> SpeechT5).
inline bool english_target(const TranslateRequest& request) {
  return request.target_language.empty() || request.target_language == "en";
}

// Every POST handler's frame: reads the body within limits, runs `handle`, and turns any exception
// into a JSON error (closing the connection when the body was not read to its end).
using BodyHandler = std::function<void(const httplib::Request&, const RequestBody&, httplib::Response&)>;
httplib::Server::HandlerWithContentReader with_body(Context& ctx, BodyHandler handle);
// The same frame for handlers without a body.
httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> handle);

// Sets `res` to a JSON error.
void set_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// Milliseconds since `start`.
double ms_since(std::chrono::steady_clock::time_point start);

// Decodes an upload into 16 kHz mono and checks it against the limits (422 empty, 413 too long);
// adds a "decode" timing.
std::vector<float> decode_upload(Context& ctx, std::string_view bytes, const std::string& filename, Timings& timings);

// Runs `job` on a worker, timing the wait in line as "queue"; in the place `place` holds, if given.
// `control` (the request's RunControl) is cancelled when the client closes its connection meanwhile,
// so the models stop within a second (Error(Cancelled), 499) and the worker is free.
template <class F>
auto run_on_worker(Context& ctx, Timings& timings, RunControl& control, F&& job, WorkQueue::Reservation* place = nullptr) {
  auto queued = std::chrono::steady_clock::now();
  return ctx.queue.run(
      [&] {
        double wait = ms_since(queued);
        timings.emplace_back("queue", wait);
        control.check();  // the client left while the job waited in line
        return job();
      },
      place, [&control] {
        if (!client_still_connected()) control.cancel();
      });
}

// A streamed answer's final status, for the access log and the metrics (which record a stream when
// it ends, not when its headers go out): the stream's content provider notes it on the connection's
// thread (200 done, the error event's status, 499 when the client left); server.cpp reads it.
void note_stream_status(int status);

// Records each timing in the metrics and renders them as {"<stage>_ms": ms, ..., "total_ms": ms}.
nlohmann::ordered_json timings_json(Context& ctx, const Timings& timings, double total_ms);

// Request options, from a multipart field or else the query string; empty when absent.
std::string option(const httplib::Request& req, const RequestBody& body, const std::string& name);
// Typed readers that throw ApiError(400) naming the parameter.
std::optional<double> number_option(const std::string& value, const std::string& name, double lo, double hi);
std::optional<uint64_t> seed_option(const std::string& value);
// "true"/"1" or "false"/"0"; `absent` when empty.
bool flag_option(const std::string& value, const std::string& name, bool absent);
// Whisper's code of a language in any form the language table takes ("fr", "French", "fra_Latn");
// "" / "auto" -> "" (detect). An unknown language or one Whisper lacks: 400 with a one-line message.
std::string language_option(const std::string& value);

std::string base64(std::string_view bytes);

}  // namespace parley::server
