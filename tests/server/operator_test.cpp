// The server as an operator puts it on a network (issue 19): cheap attacks on its connections and
// its memory, access control, and honest logs. Real server on loopback, real sockets, the fake
// service behind it; every test bounded to a few seconds.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "core/files.h"
#include "http_test_util.h"

namespace parley::test {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Connections that send a complete request head declaring a large body, then the body one byte every
// `pause_ms` (a slow-body attack), until destroyed.
class SlowBodies {
 public:
  SlowBodies(int port, int count, int pause_ms) {
    const std::string head = "POST /v1/speech-translation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                             "Content-Length: 100000\r\n\r\n";
    for (int i = 0; i < count; ++i) {
      int fd = connect_loopback(port);
      if (fd < 0) continue;
      fds_.push_back(fd);
      ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    }
    thread_ = std::thread([this, pause_ms] {
      while (!stop_) {
        for (int fd : fds_) ::send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      }
    });
  }
  ~SlowBodies() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) ::close(fd);
  }
  size_t connections() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST(OperatorTest, AbsurdOrMalformedContentLengthIsRefusedAtOnce) {
  TestServer srv(test_options());  // 25 MB limit; a 10 s read timeout the old answer waited for
  const std::string head = "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n";
  auto start = Clock::now();
  RawResponse r = raw_request(srv.port(), {head + "Content-Length: 10000000000\r\n\r\n"}, 0, 5000);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(error_code(r.body), "file_too_large");
  EXPECT_TRUE(r.closed);
  for (const char* bad : {"-1", "12abc", "99999999999999999999999", "1e9"}) {
    r = raw_request(srv.port(), {head + "Content-Length: " + bad + "\r\n\r\n"}, 0, 5000);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(error_code(r.body), "invalid_body") << bad;
  }
  // Both framings at once: what a proxy and the server read as the body could differ (smuggling).
  r = raw_request(srv.port(), {head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}, 0, 5000);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_LT(seconds_since(start), 4.0) << "each answer must come at once, not after a read timeout";
  EXPECT_EQ(srv.fake->calls(), 0);
}

TEST(OperatorTest, ABodyBelowTheMinimumRateGets408) {
  auto o = test_options();
  o.body_timeout_s = 120;  // only the rate can end it
  o.body_grace_s = 1;
  o.min_body_bytes_per_s = 4096;
  TestServer srv(o);
  const std::string head = "POST /v1/speech-translation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                           "Content-Length: 100000\r\n\r\n";
  std::vector<std::string> pieces = {head};
  for (int i = 0; i < 40; ++i) pieces.push_back(std::string(100, 'x'));  // 100 bytes every 100 ms: 1 KB/s
  auto start = Clock::now();
  RawResponse r = raw_request(srv.port(), pieces, 100, 8000);
  EXPECT_EQ(r.status, 408) << r.body;
  EXPECT_EQ(error_code(r.body), "request_timeout");
  EXPECT_LT(seconds_since(start), 6.0);
  EXPECT_GE(metric(srv.port(), "parley_connections_slow_bodies"), 1);
}

TEST(OperatorTest, SlowBodiesCannotStarveHealthOrOtherClients) {
  auto o = test_options();
  o.connection_threads = 8;
  o.body_timeout_s = 120;
  o.body_grace_s = 30;  // the attackers would stay for 30 s: only eviction or the reserve makes room
  TestServer srv(o);
  SlowBodies attack(srv.port(), 24, 300);  // three times as many connections as the server serves
  ASSERT_EQ(attack.connections(), 24u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // every attacker is in its body
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    EXPECT_EQ(health_status(srv.port()), 200) << "attempt " << i;
    EXPECT_LT(seconds_since(start), 1.0) << "attempt " << i;
  }
  EXPECT_LE(metric(srv.port(), "parley_connections_open"), 8 + o.reserved_connections);
  auto r = srv.client().Post("/v1/speech-translation", form(fixture("audio/es.wav"), "es.wav"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_GT(metric(srv.port(), "parley_connections_slow_bodies"), 0);
}

// With every connection busy with real work, /health and /metrics still get in on the reserve, and
// nothing else does.
TEST(OperatorTest, HealthAndMetricsHaveAWayInWhenEveryConnectionIsBusy) {
  auto o = test_options();
  o.connection_threads = 2;
  o.workers = 2;
  TestServer srv(o);
  srv.fake->hold();
  const std::string es = fixture("audio/es.wav");
  std::vector<std::future<int>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::async(std::launch::async, [&] {
      auto r = srv.client().Post("/v1/speech-translation", form(es, "es.wav"));
      return r ? r->status : 0;
    }));
  }
  auto start = Clock::now();
  while (srv.fake->active() < 2 && seconds_since(start) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(srv.fake->active(), 2);
  EXPECT_EQ(health_status(srv.port()), 200);
  EXPECT_GE(metric(srv.port(), "parley_connections_reserved"), 2);
  auto other = srv.client().Get("/v1/models");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 503);
  EXPECT_EQ(other->get_header_value("Retry-After"), "1");
  srv.fake->release();
  for (auto& b : busy) EXPECT_EQ(b.get(), 200);
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

// The access log escapes the decoded path: "%0a" in a URL cannot start a forged log line.
TEST(OperatorTest, AccessLogLinesCannotBeForged) {
  auto o = test_options();
  o.log_requests = true;
  char path[] = "/tmp/parley_access_log_XXXXXX";
  int log_fd = ::mkstemp(path);
  ASSERT_GE(log_fd, 0);
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(log_fd, 2);
  {
    TestServer srv(o);
    srv.client().Get("/x%0aparley:%20forged%20200");
    std::fflush(stderr);
  }
  ::dup2(saved, 2);
  ::close(saved);
  ::close(log_fd);
  std::string log = read_file(path);
  ::unlink(path);
  EXPECT_EQ(log.find("\nparley: forged"), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1 GET /x\\x0aparley: forged 200 404"), std::string::npos) << log;
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

// A client that closes its connection while its request runs frees the worker within a second: the
// request's RunControl is cancelled, the models stop at their next check, and the metrics count a 499.
TEST(OperatorTest, AClientThatLeavesFreesItsWorkerWithinASecond) {
  auto o = test_options();
  o.workers = 1;
  TestServer srv(o);
  srv.fake->set_delay_ms(20000);  // a long job: only cancellation ends it early
  const std::string wav = fixture("audio/es.wav");
  for (const std::string route : {"/v1/speech-translation", "/v1/speech-translation/stream", "/v1/audio/transcriptions?stream=true"}) {
    const std::string path = route.substr(0, route.find('?'));
    const std::string request = "POST " + route + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                                (path == "/v1/audio/transcriptions" ? "multipart/form-data; boundary=B" : "audio/wav") +
                                "\r\nContent-Length: ";
    std::string body = wav;
    if (path == "/v1/audio/transcriptions")
      body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"es.wav\"\r\nContent-Type: audio/wav\r\n\r\n" +
             wav + "\r\n--B--\r\n";
    const std::string all = request + std::to_string(body.size()) + "\r\n\r\n" + body;
    int fd = connect_loopback(srv.port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, all.data(), all.size(), MSG_NOSIGNAL), static_cast<ssize_t>(all.size()));
    auto start = Clock::now();
    while (srv.fake->active() < 1 && seconds_since(start) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(srv.fake->active(), 1) << route;
    ::close(fd);
    auto left = Clock::now();
    while ((srv.fake->active() > 0 || metric(srv.port(), "parley_requests_in_flight") != 0) && seconds_since(left) < 3)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_LT(seconds_since(left), 1.0) << route << ": the worker must be free within a second";
    const std::string cancelled = "parley_http_requests_total{route=\"" + path + "\",method=\"POST\",status=\"499\"}";
    double counted = 0;
    for (int i = 0; i < 50 && counted < 1; ++i) {
      counted = metric(srv.port(), cancelled);
      if (counted < 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(counted, 1) << route;
  }
}

}  // namespace
}  // namespace parley::test
