// `stream: true` on POST /v1/audio/transcriptions and /v1/audio/translations: the text as OpenAI's
// server-sent events, so `client.audio.transcriptions.create({stream: true})` of OpenAI's clients
// reads it unchanged:
//
//   data: {"type": "transcript.text.delta", "delta": " Hello there."}   one per recognised segment,
//                                                                       as soon as it is decoded
//   data: {"type": "transcript.text.done", "text": "Hello there. ..."}  the whole text, once
//
// The deltas joined are the text (leading and trailing spaces aside, as in the other formats).
// OpenAI's events carry no `event:` line, and an error after the stream started is an event
// {"error": {...}} that OpenAI's clients raise as an API error.
#include <utility>

#include "server/api_error.h"
#include "server/routes.h"
#include "text/sentences.h"

namespace parley::server {

namespace {

using nlohmann::ordered_json;

std::string sse_data(const ordered_json& data) {
  // JSON never contains a raw newline, so the data is one `data:` line.
  return "data: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

struct ClientGone {};  // the client hung up: the recognition stops at the next segment

struct TranscriptJob {
  const char* route;
  AsrRequest request;
  std::vector<float> audio;
  Timings timings;
  std::chrono::steady_clock::time_point start;
  WorkQueue::Reservation place;  // the worker queue's place, held from before the headers are sent
  RunControl control;            // cancelled when the client leaves (request.control points here)
};

bool run(Context& ctx, TranscriptJob& job, httplib::DataSink& sink) {
  auto send = [&sink](const std::string& event) {
    if (!sink.write(event.data(), event.size())) throw ClientGone{};
  };
  std::string joined, sent;  // the segments' text so far, and the part of it already sent (trimmed)
  auto send_delta_upto = [&](std::string_view text) {
    if (text.size() <= sent.size() || text.compare(0, sent.size(), sent) != 0) return;
    send(sse_data({{"type", "transcript.text.delta"}, {"delta", std::string(text.substr(sent.size()))}}));
    sent = text;
  };
  try {
    job.request.on_segment = [&](const Segment& s) {
      joined += s.text;
      send_delta_upto(sentences::trim(joined));
    };
    AsrResult r = run_on_worker(
        ctx, job.timings, job.control, [&] { return ctx.service.speech_to_text(job.audio, job.request); }, &job.place);
    send_delta_upto(r.text);  // what the segments' text lacked of the whole text, if anything
    job.timings.insert(job.timings.end(), r.timings.begin(), r.timings.end());
    timings_json(ctx, job.timings, ms_since(job.start));  // records the stages in the metrics
    send(sse_data({{"type", "transcript.text.done"}, {"text", r.text}}));
  } catch (const ClientGone&) {
    note_stream_status(499);
    return false;
  } catch (...) {
    const ApiError error = to_api_error(std::current_exception());
    note_stream_status(error.status());
    const std::string event = sse_data(ordered_json::parse(error.json()));
    if (!sink.write(event.data(), event.size())) return false;
    sink.done();
    return true;
  }
  note_stream_status(200);
  sink.done();
  return true;
}

}  // namespace

void stream_transcript(Context& ctx, const char* route, AsrRequest request, std::string_view upload,
                       const std::string& filename, httplib::Response& res) {
  auto job = std::make_shared<TranscriptJob>();
  job->start = std::chrono::steady_clock::now();
  job->route = route;
  job->request = std::move(request);
  job->request.control = &job->control;
  // Decided before the stream starts, so these come back as plain JSON errors with their status: a
  // full queue is a 503 with Retry-After, and the place taken here is the one the job runs in.
  job->place = ctx.queue.reserve();
  job->audio = decode_upload(ctx, upload, filename, job->timings);
  ctx.metrics.add_audio(route, "input", static_cast<double>(job->audio.size()) / 16000.0);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // proxies such as nginx: pass each event on at once
  res.set_chunked_content_provider("text/event-stream", [&ctx, job](size_t, httplib::DataSink& sink) {
    return run(ctx, *job, sink);
  });
}

}  // namespace parley::server
