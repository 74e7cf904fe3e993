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

// Per connection thread: what the HTTP layer above asks about the connection it is serving.
thread_local bool tl_reserved = false;
thread_local bool tl_body_too_slow = false;
thread_local int tl_client_fd = -1;  // the socket of the connection being served

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
    tl_body_too_slow = false;
    head_bytes_ = 0;
    head_deadline_ = Clock::now() + limits_.head_timeout;
  }
  void end_head() {
    in_head_ = false;
    body_bytes_ = 0;
    body_start_ = Clock::now().time_since_epoch().count();
  }
  bool head_failed() const { return head_failed_; }

  // For choosing which connection to evict (read by the accept thread): waiting for more of a request
  // body, and the body's average rate so far, in bytes/s.
  bool awaiting_body() const { return awaiting_body_; }
  double body_rate() const {
    double seconds = std::chrono::duration<double>(Clock::now() - body_start()).count();
    return seconds > 0 ? static_cast<double>(body_bytes_) / seconds : 0.0;
  }

  bool is_readable() const override { return pos_ < len_ || wait_for(fd_, POLLIN, timeout()) > 0; }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, limits_.write_timeout) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == len_ && !fill()) return -1;
    if (pos_ == len_) return 0;  // the client closed its side
    size_t n = std::min(size, len_ - pos_);
    if (in_head_) {
      head_bytes_ += n;
      if (head_bytes_ > limits_.max_head_bytes) return fail_head();
    } else {
      body_bytes_ += n;
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
  Clock::time_point body_start() const { return Clock::time_point(Clock::duration(body_start_.load())); }

  // The read's wait: the silence limit, or less when the head's deadline or the body's minimum rate
  // comes first (a body may take body_grace plus its size at min_body_rate).
  Clock::duration timeout() const {
    Clock::time_point deadline;
    if (in_head_) {
      deadline = head_deadline_;
    } else {
      auto allowed = std::chrono::duration<double>(static_cast<double>(body_bytes_) / limits_.min_body_rate);
      deadline = body_start() + limits_.body_grace + std::chrono::duration_cast<Clock::duration>(allowed);
    }
    return std::min<Clock::duration>(limits_.read_timeout, std::max<Clock::duration>(deadline - Clock::now(), {}));
  }

  ssize_t fail_head() {
    head_failed_ = true;
    return -1;
  }

  // Refills the empty buffer; false on a timeout, a head past its deadline, or a socket error.
  bool fill() {
    const Clock::duration wait = timeout();
    awaiting_body_ = !in_head_;
    const int ready = wait_for(fd_, POLLIN, wait);
    awaiting_body_ = false;
    if (ready <= 0) {
      // A deadline, not silence: the head's, or the body's minimum rate.
      if (in_head_ && wait < limits_.read_timeout) fail_head();
      if (!in_head_ && wait < limits_.read_timeout) tl_body_too_slow = true;
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
  std::atomic<size_t> body_bytes_{0};
  std::atomic<Clock::rep> body_start_{0};
  std::atomic<bool> awaiting_body_{false};
};

// What a connection is doing, for choosing which one to close when all are taken.
enum class Phase { Free, Waiting, Head, Request };

struct Slot {
  int fd = -1;
  Phase phase = Phase::Free;
  Clock::time_point since;
  bool evicted = false;
  bool reserved = false;                    // admitted to a reserved slot (one always-open request)
  const ConnectionStream* stream = nullptr;  // while serve() runs
};

struct Pending {
  int fd;
  bool reserved;
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
  std::deque<Pending> pending;  // accepted, waiting for a worker
  std::vector<Slot> slots;     // one per worker
  bool stopping = false;
  ConnectionStats stats;

  Impl(HttpEngine& h, ConnectionLimits l) : http(h), limits(l) {}

  void accept_loop();
  void admit(int fd);
  bool has_room(bool reserved) const;
  Slot* slowest(bool reserved);
  void evict(Slot& victim);
  void worker_loop(size_t index);
  bool serve(size_t index, int fd);
  void linger(size_t index, int fd);
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

bool ConnectionServer::Impl::has_room(bool reserved) const {
  size_t taken = 0;
  for (const Pending& p : pending) taken += p.reserved == reserved;
  for (const Slot& s : slots) taken += s.fd >= 0 && !s.evicted && s.reserved == reserved;
  const int capacity = reserved ? limits.reserved_connections : limits.max_connections;
  return taken < static_cast<size_t>(std::max(0, capacity));
}

// The slowest client of its class: the one waiting longest for a request head, else the one sending
// its body slowest while below the minimum rate; null when every connection is busy with a request.
Slot* ConnectionServer::Impl::slowest(bool reserved) {
  Slot* victim = nullptr;
  double victim_rate = 0;
  for (Slot& s : slots) {
    if (s.fd < 0 || s.evicted || s.reserved != reserved) continue;
    double rate;
    if (s.phase == Phase::Waiting || s.phase == Phase::Head) {
      rate = -1;  // no request yet: before any slow body
    } else if (s.phase == Phase::Request && s.stream && s.stream->awaiting_body() &&
               s.stream->body_rate() < limits.min_body_rate) {
      rate = s.stream->body_rate();
    } else {
      continue;
    }
    if (!victim || rate < victim_rate || (rate == victim_rate && s.since < victim->since)) {
      victim = &s;
      victim_rate = rate;
    }
  }
  return victim;
}

void ConnectionServer::Impl::evict(Slot& victim) {
  victim.evicted = true;
  ::shutdown(victim.fd, SHUT_RDWR);  // its worker's next read or poll returns at once
  ++stats.evicted;
  if (victim.phase == Phase::Request) ++stats.slow_bodies;
}

// Queues a new connection for a worker, making room by evicting the slowest client, else in a reserved
// slot (one always-open request), or answers 503 when every connection is busy with a request.
void ConnectionServer::Impl::admit(int fd) {
  {
    std::lock_guard lock(mutex);
    ++stats.accepted;
    bool reserved = false;
    bool admitted = has_room(false);
    if (!admitted) {
      if (Slot* victim = slowest(false)) {
        evict(*victim);
        admitted = true;
      } else if (has_room(true)) {
        admitted = reserved = true;
      } else if (Slot* reserved_victim = slowest(true)) {
        evict(*reserved_victim);
        admitted = reserved = true;
      }
    }
    if (admitted) {
      stats.reserved += reserved;
      pending.push_back({fd, reserved});
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
    bool reserved;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !pending.empty() || stopping; });
      if (pending.empty()) return;
      fd = pending.front().fd;
      reserved = pending.front().reserved;
      pending.pop_front();
      if (stopping) {  // accepted but never started: closed like httplib's own stop() does
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
        continue;
      }
      slots[index] = Slot{fd, Phase::Waiting, Clock::now(), false, reserved, nullptr};
    }
    tl_reserved = reserved;
    tl_client_fd = fd;
    if (serve(index, fd)) linger(index, fd);
    tl_reserved = false;
    tl_client_fd = -1;
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
// server stops. httplib parses each request, runs its handler and writes the answer. Returns true
// when the connection ends with input perhaps unread (an answer that closes it, a failed head).
bool ConnectionServer::Impl::serve(size_t index, int fd) {
  ConnectionStream stream(fd, limits);
  {
    std::lock_guard lock(mutex);
    slots[index].stream = &stream;
  }
  struct Detach {  // the accept thread reads the stream through the slot: unhooked before it is gone
    Impl& m;
    size_t index;
    ~Detach() {
      std::lock_guard lock(m.mutex);
      m.slots[index].stream = nullptr;
    }
  } detach{*this, index};
  const size_t requests = tl_reserved ? 1 : limits.max_requests_per_connection;
  for (size_t n = 0; n < requests; ++n) {
    if (n > 0) set_phase(index, Phase::Waiting);
    if (is_stopping() || !stream.wait_for_request(limits.keep_alive_timeout)) return false;
    set_phase(index, Phase::Head);
    stream.begin_head();
    const bool last = n + 1 == requests || is_stopping();
    bool client_closes = false;
    bool head_read = false;
    bool ok = http.process_request(stream, last, client_closes, [&](httplib::Request&) {
      head_read = true;
      stream.end_head();  // the head is complete: from here on the request's own limits apply
      set_phase(index, Phase::Request);
    });
    if (stream.head_failed() || tl_body_too_slow) {
      std::lock_guard lock(mutex);
      ++(stream.head_failed() ? stats.head_timeouts : stats.slow_bodies);
      return true;
    }
    // A head httplib could not parse was answered 400; what follows it cannot be trusted to start a
    // request (the rest of that head would be read as the next one), so the connection ends here.
    if (!ok || !head_read) return true;
    if (client_closes || last) return false;
  }
  return false;
}

// A lingering close: the answer is sent, the client may still be sending what the server did not read
// (a body refused up front). Closing now would reset the connection and could destroy the answer in
// the client's buffers, so its input is read and dropped for a moment first (a Waiting phase: it
// is the first to go when the slot is needed).
void ConnectionServer::Impl::linger(size_t index, int fd) {
  set_phase(index, Phase::Waiting);
  ::shutdown(fd, SHUT_WR);
  const auto end = Clock::now() + limits.linger;
  char buffer[16384];
  for (size_t total = 0; total < (8u << 20) && Clock::now() < end;) {
    if (wait_for(fd, POLLIN, end - Clock::now()) <= 0) return;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    total += static_cast<size_t>(n);
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
  const size_t n = static_cast<size_t>(std::max(1, m.limits.max_connections) + std::max(0, m.limits.reserved_connections));
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

bool serving_reserved_connection() { return tl_reserved; }
bool request_body_too_slow() { return tl_body_too_slow; }

bool client_still_connected() {
  if (tl_client_fd < 0) return true;
  pollfd p{tl_client_fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return true;
  if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return false;
  // Readable: either the next pipelined request (still there) or the end of the stream (gone).
  char byte;
  return ::recv(tl_client_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
}

ConnectionStats ConnectionServer::stats() const {
  std::lock_guard lock(impl_->mutex);
  ConnectionStats s = impl_->stats;
  for (const Slot& slot : impl_->slots) s.open += slot.fd >= 0;
  return s;
}

}  // namespace parley::server
