// Raw bytes of one client connection, through the server's own connection layer (server/connections.h:
// the request head read under its size limit and deadline, keep-alive, lingering close) and httplib's
// parsing, to two small routes, over a real loopback socket. The input is sent, the client's side shut
// down (so every wait of the server ends at EOF, never at a timeout), and the answer read to its end.
// Properties: the server closes the connection (within 30 s: every wait of the server ends at EOF or
// at its 2 s limits, so only a hang takes longer); whatever it answered starts with an HTTP/1.1 status
// line; and it keeps serving: GET /health after every 64th input is 200.
// Every system call of the client side retries on EINTR: libFuzzer's -timeout runs on SIGALRM every
// few seconds, and poll() is never restarted after a signal. Two 1,000,000-run attempts stopped on
// that interrupted poll (in 0 s, reported as "not closed within 30 s"), not on the server.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "common.h"
#include "server/connections.h"

namespace {

using namespace std::chrono_literals;

// The server, started once per process: limits small enough that short inputs reach them.
int server_port() {
  static parley::server::HttpEngine http;
  static const int port = [] {
    http.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    http.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()) + " bytes", "text/plain");
    });
    parley::server::ConnectionLimits limits;
    limits.max_head_bytes = 1024;
    limits.head_timeout = 2s;
    limits.read_timeout = 2s;
    limits.keep_alive_timeout = 1s;
    limits.linger = 20ms;
    static parley::server::ConnectionServer server(http, limits);
    return server.start("127.0.0.1", 0);
  }();
  return port;
}

// poll() for one descriptor until `deadline`, resumed after signals: > 0 ready, 0 timed out, < 0 failed.
int wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r >= 0 || errno != EINTR) return r;
  }
}

// Sends `request` on a fresh connection, shuts down the sending side, returns everything the server
// wrote until it closed; FUZZ_CHECKs that it closed within 30 s.
std::string exchange(std::string_view request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    // Interrupted, the connection goes on being made: it is done when the socket is writable.
    FUZZ_CHECK(errno == EINTR && wait_for(fd, POLLOUT, std::chrono::steady_clock::now() + 30s) > 0);
    int error = 0;
    socklen_t len = sizeof error;
    FUZZ_CHECK(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0);
  }
  // The server may answer and close before reading everything (a refused head): a failed send is fine.
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  char buffer[4096];
  for (;;) {
    const int ready = wait_for(fd, POLLIN, deadline);
    FUZZ_CHECK(ready >= 0);  // poll itself failed
    FUZZ_CHECK(ready > 0);   // the server did not close within 30 s
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // closed (or reset after a refused head)
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static size_t inputs = 0;
  const std::string answer = exchange(parley::fuzz::as_text(data, size));
  FUZZ_CHECK(answer.empty() || answer.rfind("HTTP/1.1 ", 0) == 0);
  if (++inputs % 64 == 0) {
    const std::string health = exchange("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    FUZZ_CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
  }
  return 0;
}
