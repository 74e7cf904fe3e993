#include "server/server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <thread>

#include "core/printable.h"
#include "server/api_error.h"
#include "server/connections.h"
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

// One access-log line: UTC time, client address, method, path (control bytes escaped, so a decoded
// %0a cannot forge a line), status, body bytes, duration.
void log_request(const httplib::Request& req, const httplib::Response& res, double seconds) {
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  const size_t bytes = res.body.empty() ? res.content_length_ : res.body.size();
  std::fprintf(stderr, "parley: %s %s %s %s %d %zu %.1f ms\n", when, printable(req.remote_addr, 64).c_str(),
               printable(req.method, 16).c_str(), printable(req.path, 200).c_str(), res.status, bytes, seconds * 1000);
}

// Set by the pre-routing handler, read by the logger: both run on the connection's thread.
thread_local std::chrono::steady_clock::time_point request_start;

}  // namespace

struct Server::Impl {
  std::shared_ptr<SpeechService> service;
  ServerOptions options;
  AudioCodec codec;
  WorkQueue queue;
  Metrics metrics;
  Context ctx;
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
        ctx{*service, options, codec, queue, metrics, {}} {
    ctx.limits.max_bytes = options.max_upload_bytes;
    ctx.limits.deadline = std::chrono::seconds(options.body_timeout_s);
    ctx.limits.read_timeout = std::chrono::seconds(options.read_timeout_s);
    configure();
  }

  void configure();
  void reject_misrouted();
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
  // Runs just before the response is written, so a client that has its answer sees it counted.
  http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // No start time: httplib rejected the request before routing (a malformed request line).
    bool started = request_start != std::chrono::steady_clock::time_point{};
    double seconds = started ? std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count() : 0;
    request_start = {};
    metrics.observe_request(route_label(req.path), req.method, res.status, seconds);
    if (options.log_requests) log_request(req, res, seconds);
  });

  add_audio_routes(http, ctx);
  add_translate_route(http, ctx);
  add_stream_route(http, ctx);
  add_info_routes(http, ctx);
  reject_misrouted();
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
  std::printf("parley: listening on %s (web page and API; Ctrl-C to stop)\n", server.url().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "parley: %s received: finishing requests in flight, then exiting\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  std::fprintf(stderr, "parley: stopped\n");
  return 0;
}

}  // namespace parley::server
