// POST /v1/speech-translation/stream: the main job, streamed. The same input and options as
// /v1/speech-translation (multipart `file` or a raw audio body; language, to, voice, seed, prompt,
// temperature_fallback); the answer
// is `text/event-stream` (server-sent events) over chunked HTTP, one event per step as it happens:
//
//   event: language  data: {"language": "es", "language_name": "spanish", "duration": 4.2,
//                           "target_language": "fr"}
//   event: text      data: {"text": "...", "source_text": "...", "segments": [{"start", "end", "text"}]}
//   ... audio longer than 30 s is recognised window by window: one text event per window with text
//   (its segments timed from the start of the recording), each followed by that text's audio events
//   (other targets: the window's finished sentences; one that goes on into the next window is spoken
//   after it)
//   event: audio     data: {"index": 0, "text": "Hello there.", "start": 0, "end": 1.3,
//                           "sample_rate": 16000, "format": "wav", "audio": "<base64 WAV>"}
//   ... one audio event per sentence, in order; each is a complete small WAV, and their samples
//   joined are the whole speech (from the second on, each begins with the pause between sentences)
//   event: progress  data: {"stage": "asr", "done": 30, "total": 45.2, "unit": "s", "detail": "window 1 of 2",
//                           "elapsed_ms": 812.4}
//   ... between the others, as the work goes on (core/run_control.h): "asr" counts the seconds of
//   audio recognised of the total, "mt" the sentences translated, "tts" the seconds of speech made
//   (total 0: not known ahead)
//   event: done      data: {"language", "text", "source_text", "target_language", "voice", "chunks",
//                           "sample_rate", "duration", "time_to_first_audio_ms", "timings": {...}}
//
// Every event but done carries "elapsed_ms": the server's time since the request arrived, when the
// event was sent.
//
// The text event reports what TranslateRequest::on_recognized hands over. For English targets that is
// Whisper's English text: `text` is it, `source_text` is "" (Whisper translates directly). For other
// targets it is Whisper's transcript in the spoken language: `source_text` is it and `text` is "",
// because the translation is made sentence by sentence as it is spoken: each audio event's `text` is
// one translated sentence, and the done event has the whole translation.
//
// Errors found before the work starts (bad options, unreadable or too long audio, a full queue)
// are the usual JSON errors with their status; errors after the stream has started are an
// `event: error` with the same JSON body ({"error": {...}, "status": N}), and the stream ends
// (e.g. 404 for a target whose speech model is not on disk).
// The speech is made one sentence at a time (TranslateRequest::sentence_by_sentence), so the first
// sentence can play while the rest is made; for text of several sentences its samples therefore
// differ from /v1/speech-translation's (which synthesizes sentences together when they fit the
// model), while the same request always gives the same samples.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "server/api_error.h"
#include "server/routes.h"

namespace parley::server {

namespace {

using httplib::Request;
using httplib::Response;
using nlohmann::ordered_json;

constexpr const char* kRoute = "/v1/speech-translation/stream";

// The client hung up: stops the translation at the next chunk.
struct ClientGone {};

double round1(double v) { return std::round(v * 10) / 10; }

std::string sse_event(const std::string& event, const ordered_json& data) {
  // JSON never contains a raw newline, so the data is one `data:` line.
  return "event: " + event + "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

ordered_json segments_json(const std::vector<Segment>& segments) {
  ordered_json out = ordered_json::array();
  for (const auto& s : segments) out.push_back({{"start", s.start}, {"end", s.end}, {"text", s.text}});
  return out;
}

// What the stream carries from the handler to the content provider (which runs after the handler
// has returned, on the connection's thread).
struct StreamJob {
  std::vector<float> audio;
  TranslateRequest request;
  Timings timings;  // decode so far
  std::chrono::steady_clock::time_point start;
  WorkQueue::Reservation place;  // the worker queue's place, held from before the headers are sent
  RunControl control;            // cancelled when the client leaves (request.control points here)
};

// The error event for what the translation threw.
std::string error_event(const ApiError& error) {
  ordered_json body = ordered_json::parse(error.json());
  body["status"] = error.status();
  return sse_event("error", body);
}

// Runs the translation on a worker, writing each event to `sink` as it happens. Returns false when
// the client hung up.
bool run_stream(Context& ctx, StreamJob& job, httplib::DataSink& sink) {
  auto send = [&sink](const std::string& event) {
    if (!sink.write(event.data(), event.size())) throw ClientGone{};
  };
  double first_audio_ms = 0;
  size_t chunks = 0;
  try {
    bool language_sent = false;
    const bool english = english_target(job.request);
    job.request.on_recognized = [&](const AsrResult& r) {  // once, or once per window of long audio
      if (!std::exchange(language_sent, true))
        send(sse_event("language", {{"language", r.language},
                                    {"language_name", r.language_name},
                                    {"duration", r.duration_s},
                                    {"target_language", job.request.target_language},
                                    {"elapsed_ms", round1(ms_since(job.start))}}));
      send(sse_event("text", {{"text", english ? r.text : std::string()},
                              {"source_text", english ? std::string() : r.text},
                              {"segments", segments_json(r.segments)},
                              {"elapsed_ms", round1(ms_since(job.start))}}));
    };
    // Progress through the job's own RunControl (job.request.control points at it), the one the
    // connection thread cancels when the client leaves.
    job.control.on_progress = [&](const Progress& p) {
      ordered_json event = {{"stage", p.stage}, {"done", p.done}, {"total", p.total}, {"unit", p.unit}};
      if (!p.detail.empty()) event["detail"] = p.detail;
      event["elapsed_ms"] = round1(ms_since(job.start));
      send(sse_event("progress", event));
    };
    job.request.on_chunk = [&](const AudioChunk& c) {
      const std::string wav = ctx.codec.encode(c.audio, c.sample_rate, "wav");
      if (chunks++ == 0) {
        first_audio_ms = ms_since(job.start);
        ctx.metrics.observe_time_to_first_audio(kRoute, first_audio_ms / 1000);
      }
      send(sse_event("audio", {{"index", c.index},
                               {"text", c.text},
                               {"start", c.start},
                               {"end", c.end},
                               {"sample_rate", c.sample_rate},
                               {"format", "wav"},
                               {"audio", base64(wav)},
                               {"elapsed_ms", round1(ms_since(job.start))}}));
    };
    TranslateResult r =
        run_on_worker(ctx, job.timings, job.control, [&] { return ctx.service.translate(job.audio, job.request); },
                      &job.place);
    job.timings.insert(job.timings.end(), r.timings.begin(), r.timings.end());
    ctx.metrics.add_audio(kRoute, "output", static_cast<double>(r.audio.size()) / std::max(1, r.sample_rate));
    ordered_json done = {{"language", r.language},
                         {"language_name", r.language_name},
                         {"text", r.text},
                         {"source_text", r.source_text},
                         {"target_language", r.target_language.empty() ? job.request.target_language : r.target_language},
                         {"voice", job.request.voice},
                         {"chunks", chunks},
                         {"sample_rate", r.sample_rate},
                         {"duration", static_cast<double>(r.audio.size()) / std::max(1, r.sample_rate)}};
    if (chunks > 0) done["time_to_first_audio_ms"] = std::round(first_audio_ms * 10) / 10;
    done["timings"] = timings_json(ctx, job.timings, ms_since(job.start));
    send(sse_event("done", done));
  } catch (const ClientGone&) {
    note_stream_status(499);
    return false;
  } catch (...) {
    const ApiError error = to_api_error(std::current_exception());
    note_stream_status(error.status());
    const std::string event = error_event(error);
    if (!sink.write(event.data(), event.size())) return false;
    sink.done();
    return true;
  }
  note_stream_status(200);
  sink.done();
  return true;
}

void stream_translation(Context& ctx, const Request& req, const RequestBody& body, Response& res) {
  auto job = std::make_shared<StreamJob>();
  job->start = std::chrono::steady_clock::now();
  std::string filename;
  std::string_view audio_bytes = uploaded_audio(req, body, filename);
  if (audio_bytes.empty()) throw ApiError(400, "empty_file", "no audio was sent", "file");
  job->request = translate_options(ctx, req, body);
  job->request.sentence_by_sentence = true;
  job->request.control = &job->control;
  // Decided before the stream starts, so these come back as plain JSON errors with their status: a
  // full queue is a 503 with Retry-After, and the place taken here is the one the job runs in.
  job->place = ctx.queue.reserve();
  job->audio = decode_upload(ctx, audio_bytes, filename, job->timings);
  ctx.metrics.add_audio(kRoute, "input", static_cast<double>(job->audio.size()) / 16000.0);

  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // proxies such as nginx: pass each event on at once
  res.set_chunked_content_provider("text/event-stream", [&ctx, job](size_t, httplib::DataSink& sink) {
    return run_stream(ctx, *job, sink);
  });
}

}  // namespace

void add_stream_route(httplib::Server& http, Context& ctx) {
  http.Post(kRoute, with_body(ctx, [&ctx](const Request& req, const RequestBody& body, Response& res) {
              stream_translation(ctx, req, body, res);
            }));
}

}  // namespace parley::server
