// The server's connection layer: listening, accepting, per-connection limits and the keep-alive loop,
// in front of httplib's request parsing and routing.
//
// httplib 0.11's own listen loop gives each connection a pool thread and bounds only each single read
// (the read timeout). A client that sends its request head a byte at a time ("slowloris"), or one
// header line that never ends, keeps its thread (and a growing buffer) for as long as it likes, and a
// few dozen such clients hold every thread: the server stops answering anyone, /health included.
// Here, with httplib still parsing each request and running the handlers:
//   - a connection waits at most keep_alive_timeout for a request to start, and the request line and
//     headers must then arrive within head_timeout and fit in max_head_bytes;
//   - a request body must arrive at min_body_rate bytes/s on average once body_grace has passed (a
//     deadline proportional to its size): a slower sender gets 408 (see request_body.h);
//   - at most max_connections connections are served at once. When all are taken, a new one evicts the
//     slowest client: the connection that has waited longest without a complete request head (an idle
//     keep-alive connection or a slow sender), else the one sending its body slowest while below
//     min_body_rate; when every connection is busy with a request, the newcomer gets 503 at once;
//   - `reserved_connections` more are kept for one request each to the always-open paths (/health,
//     /metrics: see serving_reserved_connection()), so an operator's probe gets in even then;
//   - a connection closed before its request body was read (413, 408, ...) is drained briefly after
//     the answer (a lingering close), so the client reads the answer instead of a reset.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

namespace parley::server {

// httplib's Server with its per-request entry point opened up: the connection layer below reads and
// writes the sockets and hands httplib one request at a time.
class HttpEngine : public httplib::Server {
 public:
  using httplib::Server::process_request;
  // httplib streams content-provider bodies only while its listening socket looks valid (it checks for
  // shutdown between chunks); this layer owns the real socket, so it tells httplib which one it is
  // (and -1 once every connection is closed).
  void set_listening_socket(int fd) { svr_sock_ = fd; }
};

struct ConnectionLimits {
  int max_connections = 64;                        // connections served at once
  std::chrono::milliseconds keep_alive_timeout{3000};  // wait for a request to start
  std::chrono::milliseconds head_timeout{10000};       // request line + headers, from their first byte
  size_t max_head_bytes = 64u << 10;                   // request line + headers
  std::chrono::milliseconds read_timeout{10000};       // silence while a body is read
  std::chrono::milliseconds write_timeout{10000};      // a client not reading its answer
  size_t max_requests_per_connection = 100;
  double min_body_rate = 8192;                         // bytes/s a request body must average...
  std::chrono::milliseconds body_grace{5000};          // ...once this long has passed since its head
  int reserved_connections = 4;                        // for one always-open request each
  std::chrono::milliseconds linger{500};               // draining a closed connection's unread input
};

struct ConnectionStats {
  int64_t open = 0;       // connections being served now
  int64_t accepted = 0;   // since start
  int64_t evicted = 0;    // closed to make room while waiting for a request head
  int64_t rejected = 0;   // answered 503 at once: every connection busy with a request
  int64_t head_timeouts = 0;  // closed for a head slower than head_timeout or over max_head_bytes
  int64_t slow_bodies = 0;    // request bodies that fell below min_body_rate (408 or evicted)
  int64_t reserved = 0;       // connections admitted to a reserved slot (since start)
};

// True while the calling thread serves a connection admitted to a reserved slot: the request must be
// to an always-open path (/health, /metrics), anything else is to be answered 503 (server.cpp).
bool serving_reserved_connection();
// True when the calling thread's request body fell below the minimum transfer rate (for the 408's
// message; request_body.cpp).
bool request_body_too_slow();
// False once the client of the calling thread's connection has closed it or reset it (a request it
// no longer waits for can be cancelled); true on any other thread. Does not block.
bool client_still_connected();

class ConnectionServer {
 public:
  ConnectionServer(HttpEngine& http, ConnectionLimits limits);
  ~ConnectionServer();  // stop()s
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Listens on host:port (port 0: any free port) and starts serving; returns the bound port. Throws
  // Error(InvalidArgument) when the address cannot be bound.
  int start(const std::string& host, int port);
  // Stops accepting, closes connections that wait for a request, lets every request already being
  // read or processed finish and be answered, then returns. Idempotent.
  void stop();

  ConnectionStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::server
