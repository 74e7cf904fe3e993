// Parley's HTTP server: the JSON/OpenAI-compatible API, the web page, /health and /metrics, in front
// of one shared SpeechService.
//
// Requests are read and answered by connection threads (httplib); model work runs on a fixed pool
// of `workers` threads behind a queue of `queue` places (WorkQueue), so the models are loaded once,
// a burst of requests gets 503 + Retry-After instead of exhausting memory, and /health and /metrics
// answer while every worker is busy.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "pipeline/service.h"
#include "server/access.h"
#include "server/audio_io.h"

namespace parley::server {

enum class LogFormat { Text, Json };  // the server's log lines: for people, or one JSON object each

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0 = any free port (see Server::port())
  int workers = 1;                  // requests processed at once (each uses the models' threads)
  int queue = 8;                    // requests that may wait for a worker; beyond: 503
  size_t max_upload_bytes = 25u << 20;  // request body limit (OpenAI's is 25 MB): 413 beyond
  double max_audio_seconds = 600;   // decoded input audio limit: 413 beyond
  size_t max_text_chars = 4096;     // text-to-speech input limit (OpenAI's): 413 beyond
  int read_timeout_s = 10;          // a client silent this long mid-request is dropped
  int body_timeout_s = 120;         // the whole body must arrive within this (slow senders: 408)
  int head_timeout_s = 10;          // the request line and headers must arrive within this
  // A body must average this many bytes/s once body_grace_s has passed (408 beyond), and a connection
  // below it is evicted first when connections run out.
  double min_body_bytes_per_s = 8192;
  int body_grace_s = 5;
  // Connections served at once, each on its own thread; when all are taken, the one waiting longest for
  // a request head is closed to make room (see connections.h). 0 = max(64, workers + queue + 16).
  int connection_threads = 0;
  // More connections kept for one /health or /metrics request each, when all the others are busy.
  int reserved_connections = 4;
  bool log_requests = true;         // one line per request on stderr
  LogFormat log_format = LogFormat::Text;
  AccessOptions access;             // API keys, allowed Host names, CORS origins (server/access.h)
};

class Server {
 public:
  Server(std::shared_ptr<SpeechService> service, ServerOptions options, AudioCodec codec = default_audio_codec());
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the address and serves on a background thread; returns the bound port. Throws
  // Error(InvalidArgument) when the address cannot be bound.
  int start();
  // Stops accepting connections, lets every request already received finish and be answered, then
  // stops the workers. Idempotent; safe to call from any thread except a request handler.
  void stop();

  int port() const;
  std::string url() const;  // "http://HOST:PORT"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `parley serve`: blocks SIGINT/SIGTERM, builds the service with `factory` (models load once),
// starts the server, prints its URL on stdout, and on the first SIGINT/SIGTERM stops accepting,
// drains the requests in flight and returns 0.
int serve_until_signal(const SpeechServiceFactory& factory, const ServerOptions& options,
                       AudioCodec codec = default_audio_codec());

}  // namespace parley::server
