#include "server/connections.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "server/api_error.h"

namespace parley::server {

namespace {

using Clock = std::chrono::steady_clock;

// Rounded up: a poll() that returns early would end a wait before the deadline it stands for.
int to_ms(Clock::duration d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

// poll() for one event, restarted after signals with the time that is left; > 0 ready, 0 timed out.
int wait_for(int fd, short events, Clock::duration timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, to_ms(end - Clock::now()));
    if (r >= 0 || errno != EINTR) return r;
  }
}

void address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// One client connection as httplib reads and writes it. Reads are buffered (httplib reads the request
// head a byte at a time) and the buffer lasts for the whole connection, so pipelined requests are kept.
// While the request head is read, every read also answers to the head's deadline and size limit.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, const ConnectionLimits& limits) : fd_(fd), limits_(limits) {}

  // Waits up to `timeout` for the next request's first byte; false when none came or the client left.
  bool wait_for_request(Clock::duration timeout) { return pos_ < len_ || wait_for(fd_, POLLIN, timeout) > 0; }

  void begin_head() {
    in_head_ = true;
    head_failed_ = false;
    head_bytes_ = 0;
    head_deadline_ = Clock::now() + limits_.head_timeout;
  }
  void end_head() { in_head_ = false; }
  bool head_failed() const { return head_failed_; }

  bool is_readable() const override { return pos_ < len_ || wait_for(fd_, POLLIN, timeout()) > 0; }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, limits_.write_timeout) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == len_ && !fill()) return -1;
    if (pos_ == len_) return 0;  // the client closed its side
    size_t n = std::min(size, len_ - pos_);
    if (in_head_) {
      head_bytes_ += n;
      if (head_bytes_ > limits_.max_head_bytes) return fail_head();
    }
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (wait_for(fd_, POLLOUT, limits_.write_timeout) <= 0) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  Clock::duration timeout() const {
    if (!in_head_) return limits_.read_timeout;
    return std::min<Clock::duration>(limits_.read_timeout, std::max<Clock::duration>(head_deadline_ - Clock::now(), {}));
  }

  ssize_t fail_head() {
    head_failed_ = true;
    return -1;
  }

  // Refills the empty buffer; false on a timeout, a head past its deadline, or a socket error.
  bool fill() {
    const Clock::duration wait = timeout();
    if (wait_for(fd_, POLLIN, wait) <= 0) {
      if (in_head_ && wait < limits_.read_timeout) fail_head();  // the head's deadline, not silence
      return false;
    }
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_, sizeof buffer_, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    pos_ = 0;
    len_ = static_cast<size_t>(n);
    return true;
  }

  int fd_;
  const ConnectionLimits& limits_;
  char buffer_[16384];
  size_t pos_ = 0, len_ = 0;
  bool in_head_ = false;
  bool head_failed_ = false;
  size_t head_bytes_ = 0;
  Clock::time_point head_deadline_;
};

// What a connection is doing, for choosing which one to close when all are taken.
enum class Phase { Free, Waiting, Head, Request };

struct Slot {
  int fd = -1;
  Phase phase = Phase::Free;
  Clock::time_point since;
  bool evicted = false;
};

// Binds and listens like httplib's bind_to_port: the first address `host` resolves to that binds.
int listen_on(const std::string& host, int port, int& bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1, no = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (a->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 256) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  std::string ip;
  bound_port = 0;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) address_of(a, ip, bound_port);
  return fd;
}

}  // namespace

struct ConnectionServer::Impl {
  HttpEngine& http;
  ConnectionLimits limits;
  int listen_fd = -1;
  int wake[2] = {-1, -1};  // a byte written here ends the accept loop
  std::thread acceptor;
  std::vector<std::thread> workers;

  mutable std::mutex mutex;  // guards everything below, and every close() of a client socket
  std::condition_variable ready;
  std::deque<int> pending;  // accepted, waiting for a worker
  std::vector<Slot> slots;  // one per worker
  bool stopping = false;
  ConnectionStats stats;

  Impl(HttpEngine& h, ConnectionLimits l) : http(h), limits(l) {}

  void accept_loop();
  void admit(int fd);
  void worker_loop(size_t index);
  void serve(size_t index, int fd);
  void set_phase(size_t index, Phase phase);
  bool is_stopping() {
    std::lock_guard lock(mutex);
    return stopping;
  }
};

void ConnectionServer::Impl::accept_loop() {
  for (;;) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors or memory: the kernel keeps the connection queued; try again shortly.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    admit(fd);
  }
}

// Queues a new connection for a worker, making room by evicting the connection that has waited longest
// for a request head, or answers 503 when every connection is busy with a request.
void ConnectionServer::Impl::admit(int fd) {
  {
    std::lock_guard lock(mutex);
    ++stats.accepted;
    size_t taken = pending.size();
    for (const Slot& s : slots) taken += s.fd >= 0 && !s.evicted;
    Slot* victim = nullptr;
    if (taken >= slots.size()) {
      for (Slot& s : slots) {
        if (s.fd >= 0 && !s.evicted && (s.phase == Phase::Waiting || s.phase == Phase::Head) &&
            (!victim || s.since < victim->since))
          victim = &s;
      }
    }
    if (taken < slots.size() || victim) {
      if (victim) {
        victim->evicted = true;
        ::shutdown(victim->fd, SHUT_RDWR);  // its worker's next read or poll returns at once
        ++stats.evicted;
      }
      pending.push_back(fd);
      ready.notify_one();
      return;
    }
    ++stats.rejected;
  }
  static const std::string body =
      ApiError(503, "server_busy", "the server has no free connection; retry shortly").json();
  static const std::string response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body;
  // A fresh socket's send buffer is empty: this never blocks the accept loop.
  [[maybe_unused]] ssize_t sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

void ConnectionServer::Impl::worker_loop(size_t index) {
  for (;;) {
    int fd;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !pending.empty() || stopping; });
      if (pending.empty()) return;
      fd = pending.front();
      pending.pop_front();
      if (stopping) {  // accepted but never started: closed like httplib's own stop() does
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
        continue;
      }
      slots[index] = Slot{fd, Phase::Waiting, Clock::now(), false};
    }
    serve(index, fd);
    std::lock_guard lock(mutex);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);  // under the lock: an eviction never shuts down a reused descriptor
    slots[index] = Slot{};
  }
}

void ConnectionServer::Impl::set_phase(size_t index, Phase phase) {
  std::lock_guard lock(mutex);
  slots[index].phase = phase;
  slots[index].since = Clock::now();
}

// The keep-alive loop: one request after another until the client closes, a limit is reached or the
// server stops. httplib parses each request, runs its handler and writes the answer.
void ConnectionServer::Impl::serve(size_t index, int fd) {
  ConnectionStream stream(fd, limits);
  for (size_t n = 0; n < limits.max_requests_per_connection; ++n) {
    if (n > 0) set_phase(index, Phase::Waiting);
    if (is_stopping() || !stream.wait_for_request(limits.keep_alive_timeout)) return;
    set_phase(index, Phase::Head);
    stream.begin_head();
    const bool last = n + 1 == limits.max_requests_per_connection || is_stopping();
    bool client_closes = false;
    bool head_read = false;
    bool ok = http.process_request(stream, last, client_closes, [&](httplib::Request&) {
      head_read = true;
      stream.end_head();  // the head is complete: from here on the request's own limits apply
      set_phase(index, Phase::Request);
    });
    if (stream.head_failed()) {
      std::lock_guard lock(mutex);
      ++stats.head_timeouts;
      return;
    }
    // A head httplib could not parse was answered 400; what follows it cannot be trusted to start a
    // request (the rest of that head would be read as the next one), so the connection ends here.
    if (!ok || !head_read || client_closes || last) return;
  }
}

ConnectionServer::ConnectionServer(HttpEngine& http, ConnectionLimits limits)
    : impl_(std::make_unique<Impl>(http, limits)) {}

ConnectionServer::~ConnectionServer() { stop(); }

int ConnectionServer::start(const std::string& host, int port) {
  Impl& m = *impl_;
  if (m.listen_fd >= 0) invalid_argument("the server is already listening");
  int bound = 0;
  m.listen_fd = listen_on(host, port, bound);
  if (m.listen_fd < 0 || bound <= 0)
    invalid_argument("cannot listen on " + host + ":" + std::to_string(port) + " (address in use or not local?)");
  if (::pipe2(m.wake, O_CLOEXEC) != 0) fail(ErrorKind::Internal, "cannot create the server's wake-up pipe");
  const size_t n = static_cast<size_t>(std::max(1, m.limits.max_connections));
  m.http.set_listening_socket(m.listen_fd);
  m.slots.assign(n, Slot{});
  for (size_t i = 0; i < n; ++i) m.workers.emplace_back([&m, i] { m.worker_loop(i); });
  m.acceptor = std::thread([&m] { m.accept_loop(); });
  return bound;
}

void ConnectionServer::stop() {
  Impl& m = *impl_;
  if (!m.acceptor.joinable()) return;
  [[maybe_unused]] ssize_t w = ::write(m.wake[1], "x", 1);
  m.acceptor.join();
  ::close(m.listen_fd);
  {
    std::lock_guard lock(m.mutex);
    m.stopping = true;
    // Connections waiting for a request are closed now; requests being read or run finish first.
    for (Slot& s : m.slots)
      if (s.fd >= 0 && s.phase == Phase::Waiting) ::shutdown(s.fd, SHUT_RDWR);
  }
  m.ready.notify_all();
  for (auto& t : m.workers) t.join();
  m.workers.clear();
  m.http.set_listening_socket(-1);
  ::close(m.wake[0]);
  ::close(m.wake[1]);
  m.listen_fd = -1;
}

ConnectionStats ConnectionServer::stats() const {
  std::lock_guard lock(impl_->mutex);
  ConnectionStats s = impl_->stats;
  for (const Slot& slot : impl_->slots) s.open += slot.fd >= 0;
  return s;
}

}  // namespace parley::server
