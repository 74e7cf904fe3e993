#include "server/server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "server/access.h"
#include "server/api_error.h"
#include "server/connections.h"
#include "server/request_log.h"
#include "server/routes.h"

namespace parley::server {

namespace {

const std::vector<std::string> kPostRoutes = {"/v1/audio/transcriptions", "/v1/audio/translations", "/v1/audio/speech",
                                              "/v1/speech-translation", "/v1/speech-translation/stream"};
const std::vector<std::string> kGetRoutes = {"/health", "/metrics", "/v1/models", "/v1/voices", "/v1/languages"};
// Served even on a connection kept in reserve when every other one is busy (see connections.h).
const std::vector<std::string> kAlwaysOpen = {"/health", "/metrics"};

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The route label for metrics: a known route, the web page, or "other" (bounded label values).
std::string route_label(const std::string& path) {
  if (contains(kPostRoutes, path) || contains(kGetRoutes, path)) return path;
  return path.rfind("/v1/", 0) == 0 ? "other" : "web";
}

// Set by the pre-routing handler, read by the logger: both run on the connection's thread.
thread_local std::chrono::steady_clock::time_point request_start;
// A streamed answer's final status, noted by its content provider on the same thread (0: none yet).
thread_local int stream_status = 0;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void note_stream_status(int status) { stream_status = status; }

struct Server::Impl {
  std::shared_ptr<SpeechService> service;
  ServerOptions options;
  AudioCodec codec;
  WorkQueue queue;
  Metrics metrics;
  Context ctx;
  AccessControl access;
  HttpEngine http;
  std::unique_ptr<ConnectionServer> connections;  // owns the sockets; httplib parses and routes
  int port = 0;
  std::mutex stop_mutex;

  Impl(std::shared_ptr<SpeechService> s, ServerOptions o, AudioCodec c)
      : service(std::move(s)),
        options(std::move(o)),
        codec(std::move(c)),
        queue(options.workers, options.queue),
        metrics({{"parley_queue_depth", "Requests waiting for a worker.", [this] { return double(queue.waiting()); }},
                 {"parley_queue_capacity", "Places in the queue.", [this] { return double(queue.capacity()); }},
                 {"parley_requests_in_flight", "Requests being processed by a worker.", [this] { return double(queue.running()); }},
                 {"parley_workers", "Worker threads running the models.", [this] { return double(queue.workers()); }},
                 {"parley_connections_open", "Client connections being served.", [this] { return connection_stat(&ConnectionStats::open); }},
                 {"parley_connections_evicted", "Connections closed to make room while they waited for a request head (since start).",
                  [this] { return connection_stat(&ConnectionStats::evicted); }},
                 {"parley_connections_rejected", "Connections answered 503 at once: every connection busy (since start).",
                  [this] { return connection_stat(&ConnectionStats::rejected); }},
                 {"parley_connections_head_timeouts", "Connections closed for a request head too slow or too large (since start).",
                  [this] { return connection_stat(&ConnectionStats::head_timeouts); }},
                 {"parley_connections_slow_bodies", "Request bodies below the minimum transfer rate: 408 or evicted (since start).",
                  [this] { return connection_stat(&ConnectionStats::slow_bodies); }},
                 {"parley_connections_reserved", "Connections admitted to a slot kept for /health and /metrics (since start).",
                  [this] { return connection_stat(&ConnectionStats::reserved); }}}),
        ctx{*service, options, codec, queue, metrics, {}},
        access(options.access, options.host) {
    ctx.limits.max_bytes = options.max_upload_bytes;
    ctx.limits.deadline = std::chrono::seconds(options.body_timeout_s);
    ctx.limits.read_timeout = std::chrono::seconds(options.read_timeout_s);
    configure();
  }

  void configure();
  void reject_misrouted();
  bool refuse_by_access(const httplib::Request& req, httplib::Response& res, bool has_body) const;
  void record(const RequestRecord& r);
  void record_when_streamed(httplib::Response& res, RequestRecord r, std::chrono::steady_clock::time_point start);
  ConnectionLimits connection_limits() const;
  double connection_stat(int64_t ConnectionStats::*field) const {
    return connections ? static_cast<double>(connections->stats().*field) : 0.0;
  }
};

ConnectionLimits Server::Impl::connection_limits() const {
  ConnectionLimits l;
  l.max_connections = options.connection_threads > 0 ? options.connection_threads
                                                     : std::max(64, options.workers + options.queue + 16);
  l.head_timeout = std::chrono::seconds(options.head_timeout_s);
  l.read_timeout = std::chrono::seconds(options.read_timeout_s);
  l.write_timeout = std::chrono::seconds(options.read_timeout_s);
  l.keep_alive_timeout = std::chrono::seconds(3);  // also bounds how long stop() waits for idle connections
  l.min_body_rate = std::max(1.0, options.min_body_bytes_per_s);
  l.body_grace = std::chrono::seconds(options.body_grace_s);
  l.reserved_connections = std::max(0, options.reserved_connections);
  return l;
}

void Server::Impl::configure() {
  // Connections, threads and socket timeouts are connections.h's; httplib parses and routes.
  // Bodies are limited by read_body() as they stream in (httplib's own limit skips chunked bodies).
  http.set_payload_max_length(std::numeric_limits<size_t>::max());
  // httplib writes these into each answer's Keep-Alive header; they must be the connection layer's
  // own, or a client keeps an idle connection for longer than the server does and its next request
  // meets a closed socket.
  const ConnectionLimits limits = connection_limits();
  http.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive_timeout).count());
  http.set_keep_alive_max_count(limits.max_requests_per_connection);

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    stream_status = 0;
    if (serving_reserved_connection() && !(req.method == "GET" && contains(kAlwaysOpen, req.path))) {
      ApiError busy(503, "server_busy", "the server has no free connection; retry shortly");
      respond_and_close(res, 503, busy.json(), "application/json");
      res.set_header("Retry-After", "1");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (auto refused = check_framing(req, ctx.limits)) {
      respond_and_close(res, refused->status(), refused->json(), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Only POST routes read bodies within limits; httplib would buffer any other body whole.
    bool has_body = req.has_header("Transfer-Encoding") ||
                    (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
    if (req.method == "POST" && !has_body && !req.has_header("Content-Length")) {
      // httplib would wait for the client to close the connection to find the body's end.
      set_error(res, 411, "length_required", "a POST request needs a Content-Length or a chunked body");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "POST" && has_body) {
      respond_and_close(res, 400, ApiError(400, "unexpected_body", req.method + " requests take no body").json(),
                        "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (refuse_by_access(req, res, has_body) || access.answer_preflight(req, res))
      return httplib::Server::HandlerResponse::Handled;
    if (req.method != "GET" && req.method != "HEAD" && req.method != "POST") {
      set_error(res, 405, "method_not_allowed", req.method + " is not supported here");
      res.set_header("Allow", contains(kPostRoutes, req.path) ? "POST" : "GET, HEAD");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "POST" && contains(kPostRoutes, req.path)) {
      set_error(res, 405, "method_not_allowed", req.path + " takes POST requests");
      res.set_header("Allow", "POST");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors that httplib itself answers (bad request line, unmatched route) get a JSON body too.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_length_ > 0) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 404 ? "no such page or API route: " + req.path : "the request could not be read";
    set_error(res, res.status, res.status == 404 ? "not_found" : "bad_request", message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    set_error(res, 500, "internal_error", "internal error");
  });
  // Runs just before the response is written, so a client that has its answer sees it counted; a
  // streamed answer is counted when it ends.
  http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    access.add_headers(req, res);
    // No start time: httplib rejected the request before routing (a malformed request line).
    const auto start = std::exchange(request_start, {});
    const bool started = start != std::chrono::steady_clock::time_point{};
    RequestRecord r{req.remote_addr, req.method, req.path, res.status,
                    res.body.empty() ? res.content_length_ : res.body.size(), started ? seconds_since(start) : 0};
    if (started && res.content_provider_) {
      record_when_streamed(res, std::move(r), start);
    } else {
      record(r);
    }
  });

  add_audio_routes(http, ctx);
  add_translate_route(http, ctx);
  add_stream_route(http, ctx);
  add_info_routes(http, ctx);
  reject_misrouted();
}

// The access checks (access.h): 403 for a foreign Host or Origin, 401 without a valid API key. A body
// not read is not waited for: the connection is closed after the answer.
bool Server::Impl::refuse_by_access(const httplib::Request& req, httplib::Response& res, bool has_body) const {
  const std::optional<ApiError> refused = access.check(req);
  if (!refused) return false;
  if (has_body) {
    respond_and_close(res, refused->status(), refused->json(), "application/json");
  } else {
    set_error(res, refused->status(), refused->code(), refused->what());
  }
  if (refused->status() == 401) res.set_header("WWW-Authenticate", "Bearer");
  return true;
}

void Server::Impl::record(const RequestRecord& r) {
  metrics.observe_request(route_label(r.path), r.method, r.status, r.seconds);
  if (options.log_requests) log_request(options.log_format, r);
}

// A streamed answer (server-sent events) is recorded when httplib is done with it, with the status
// the stream ended with (an error event's, 499 when the client left) and the bytes it sent: its
// headers (200) went out before the work was done.
void Server::Impl::record_when_streamed(httplib::Response& res, RequestRecord r,
                                        std::chrono::steady_clock::time_point start) {
  auto bytes = std::make_shared<size_t>(0);
  res.content_provider_ = [provider = std::move(res.content_provider_), bytes](size_t offset, size_t length,
                                                                               httplib::DataSink& sink) {
    httplib::DataSink counted;
    counted.write = [&sink, &bytes](const char* data, size_t n) {
      if (!sink.write(data, n)) return false;
      *bytes += n;
      return true;
    };
    counted.done = [&sink] { sink.done(); };
    counted.is_writable = [&sink] { return sink.is_writable(); };
    return provider(offset, length, counted);
  };
  // The releaser runs when the Response is destroyed; copies of it share one record.
  auto recorded = std::make_shared<bool>(false);
  res.content_provider_resource_releaser_ = [this, release = std::move(res.content_provider_resource_releaser_), bytes,
                                             recorded, r = std::move(r), start](bool success) mutable {
    if (release) release(success);
    if (std::exchange(*recorded, true)) return;
    const int noted = std::exchange(stream_status, 0);
    r.status = noted != 0 ? noted : success ? r.status : 499;
    r.bytes = *bytes;
    r.seconds = seconds_since(start);
    record(r);
  };
}

// POST to anything but the POST routes: drop the body (within limits), then 404 or 405.
void Server::Impl::reject_misrouted() {
  http.Post(".*", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    bool read_all = discard_body(req, reader, ctx.limits);
    bool known = contains(kGetRoutes, req.path);
    ApiError error = known ? ApiError(405, "method_not_allowed", req.path + " takes GET requests")
                           : ApiError(404, "not_found", "no such API route: " + req.path);
    if (read_all) {
      set_error(res, error.status(), error.code(), error.what());
    } else {
      respond_and_close(res, error.status(), error.json(), "application/json");
    }
    if (known) res.set_header("Allow", "GET, HEAD");
  });
}

Server::Server(std::shared_ptr<SpeechService> service, ServerOptions options, AudioCodec codec)
    : impl_(std::make_unique<Impl>(std::move(service), std::move(options), std::move(codec))) {}

Server::~Server() { stop(); }

int Server::start() {
  auto& o = impl_->options;
  if (impl_->connections) return impl_->port;
  if (o.port < 0 || o.port > 65535) invalid_argument("the port must be from 0 to 65535");
  auto connections = std::make_unique<ConnectionServer>(impl_->http, impl_->connection_limits());
  impl_->port = connections->start(o.host, o.port);
  impl_->connections = std::move(connections);
  return impl_->port;
}

void Server::stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->connections) impl_->connections->stop();  // every request already received is answered
  impl_->queue.shutdown();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const { return "http://" + impl_->options.host + ":" + std::to_string(impl_->port); }

int serve_until_signal(const SpeechServiceFactory& factory, const ServerOptions& options, AudioCodec codec) {
  // Block the signals before any thread exists (model loading may start some), so that every thread
  // inherits the mask and only sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  std::shared_ptr<SpeechService> service = factory();
  Server server(service, options, std::move(codec));
  server.start();
  log_message(options.log_format, "listening on " + server.url() + " (web page and API; Ctrl-C to stop)", stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  log_message(options.log_format,
              std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + " received: finishing requests in flight, then exiting");
  server.stop();
  log_message(options.log_format, "stopped");
  return 0;
}

}  // namespace parley::server
