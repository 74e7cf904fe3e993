// The server under abuse (issue 6): slow or endless request heads, audio that decodes to hours,
// NaN samples, nested JSON, huge text, truncated forms, a request that runs out of memory, many
// clients at once, and uploads far over the limit. Each gets an answer or a JSON error, the others
// keep being served, /health answers throughout, and memory stays bounded. All bounded in time.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <future>
#include <thread>

#include "audio/wav.h"
#include "http_test_util.h"

namespace parley::test {
namespace {

using Clock = std::chrono::steady_clock;

// Connections that send a request head one byte at a time and never finish it (slowloris), until
// destroyed. Each byte comes `pause_ms` after the last.
class SlowHeads {
 public:
  SlowHeads(int port, int count, int pause_ms) {
    for (int i = 0; i < count; ++i) {
      int fd = connect_loopback(port);
      if (fd >= 0) fds_.push_back(fd);
    }
    thread_ = std::thread([this, pause_ms] {
      const std::string head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
      for (size_t i = 0; !stop_; ++i) {
        for (int fd : fds_) {
          char c = i < head.size() ? head[i] : 'a';
          if (::send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++sent_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      }
    });
  }
  ~SlowHeads() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) ::close(fd);
  }
  size_t connections() const { return fds_.size(); }
  // Connections the server has closed (a read returns 0 or fails).
  int closed_by_server() const {
    int closed = 0;
    for (int fd : fds_) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      while (n > 0) n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      closed += n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    return closed;
  }

 private:
  std::vector<int> fds_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> sent_{0};
};

TEST(AbuseTest, SlowRequestHeadsCannotStarveTheServer) {
  auto o = test_options();
  o.connection_threads = 8;
  o.head_timeout_s = 30;  // the attackers would stay for 30 s: only eviction makes room
  TestServer srv(o);
  SlowHeads attack(srv.port(), 24, 200);  // three times as many connections as the server serves
  ASSERT_EQ(attack.connections(), 24u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // every attacker has started its head
  for (int i = 0; i < 5; ++i) EXPECT_EQ(health_status(srv.port()), 200) << "attempt " << i;
  auto r = srv.client().Post("/v1/speech-translation", form(fixture("audio/es.wav"), "es.wav"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GT(metric(srv.port(), "parley_connections_evicted"), 0);
  EXPECT_LE(metric(srv.port(), "parley_connections_open"), 8 + o.reserved_connections);  // + the /health reserve
}

TEST(AbuseTest, RequestHeadsHaveADeadlineAndASizeLimit) {
  auto o = test_options();
  o.head_timeout_s = 1;
  TestServer srv(o);
  {
    SlowHeads attack(srv.port(), 3, 100);
    auto start = Clock::now();
    while (attack.closed_by_server() < 3 && Clock::now() - start < std::chrono::seconds(8))
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(attack.closed_by_server(), 3) << "a head still open after its deadline";
  }
  // One header line that never ends, and a head of twenty thousand headers: refused long before the
  // server has buffered them (64 KB).
  std::string endless = "GET /health HTTP/1.1\r\nX-Long: " + std::string(4u << 20, 'a');
  RawResponse raw = raw_request(srv.port(), {endless}, 0, 5000);
  EXPECT_TRUE(raw.status == 0 || raw.status == 400) << raw.status;
  std::string many = "GET /health HTTP/1.1\r\n";
  for (int i = 0; i < 20000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  raw = raw_request(srv.port(), {many + "\r\n"}, 0, 5000);
  EXPECT_TRUE(raw.status == 0 || raw.status == 400) << raw.status;
  EXPECT_GE(metric(srv.port(), "parley_connections_head_timeouts"), 5);
  EXPECT_EQ(health_status(srv.port()), 200);
}

TEST(AbuseTest, AudioThatDecodesToHoursStopsAtTheLimit) {
  TestServer srv(test_options());  // 600 s limit
  auto c = srv.client();
  // 22 KB each, ten hours of audio: one declares it, the other must be stopped while decoding.
  for (const char* file : {"audio/abuse/hours_declared.flac", "audio/abuse/hours_streamed.flac"}) {
    auto r = c.Post("/v1/audio/transcriptions", form(fixture(file), "long.flac"));
    ASSERT_TRUE(r) << file;
    EXPECT_EQ(r->status, 413) << file << ": " << r->body;
    EXPECT_EQ(error_code(r->body), "audio_too_long") << file;
  }
  EXPECT_EQ(srv.fake->calls(), 0);
  EXPECT_EQ(health_status(srv.port()), 200);
}

TEST(AbuseTest, NanAndInfinitySamplesBecomeSilence) {
  TestServer srv(test_options());
  std::vector<float> x(16000, 0.25f);
  for (size_t i = 0; i < x.size(); i += 7) x[i] = std::nanf("");
  for (size_t i = 3; i < x.size(); i += 11) x[i] = (i % 2 ? 1 : -1) * INFINITY;
  std::string wav = audio::encode_wav(x, 16000, audio::SampleFormat::F32);
  auto r = srv.client().Post("/v1/audio/transcriptions", form(wav, "nan.wav"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string text = json_of(r)["text"];
  // The fake service prints the audio's loudness: finite, since NaN and infinity were replaced by 0.
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
  EXPECT_EQ(text.find("inf"), std::string::npos) << text;
}

TEST(AbuseTest, HostileJsonAndHugeTextGetJsonErrors) {
  TestServer srv(test_options());
  auto c = srv.client();
  // 400,000 nested arrays (just under the 1 MB JSON body limit): refused before the parser sees them.
  auto r = c.Post("/v1/audio/speech", std::string(400000, '[') + std::string(400000, ']'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_code(r->body), "invalid_json");
  r = c.Post("/v1/audio/speech", R"({"input":")" + std::string(200000, 'a') + R"("})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(r->body), "input_too_long");
  r = c.Post("/v1/audio/speech", R"({"input":"hello","voice":{"id":[1,{"x":null}]},"speed":1e999})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = c.Post("/v1/audio/speech", std::string("{\"input\":\"\xff\xfe\"}"), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // not UTF-8: not JSON
  EXPECT_EQ(srv.fake->calls(), 0);
  EXPECT_EQ(health_status(srv.port()), 200);
}

TEST(AbuseTest, TruncatedFormsGet400) {
  TestServer srv(test_options());
  const std::string es = fixture("audio/es.wav");
  const std::string b = "parleyboundary";
  const std::string whole = "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"es.wav\"\r\n" +
                            "Content-Type: audio/wav\r\n\r\n" + es + "\r\n--" + b + "--\r\n";
  for (size_t cut : {size_t(10), size_t(60), whole.size() / 2, whole.size() - 5}) {
    auto r = srv.client().Post("/v1/audio/transcriptions", whole.substr(0, cut), "multipart/form-data; boundary=" + b);
    ASSERT_TRUE(r) << cut;
    EXPECT_EQ(r->status, 400) << cut;
    EXPECT_EQ(error_code(r->body), "invalid_body") << cut;
  }
  auto r = srv.client().Post("/v1/audio/transcriptions", whole, "multipart/form-data; boundary=" + b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(AbuseTest, ARequestThatRunsOutOfMemoryFailsAlone) {
  auto o = test_options();
  o.workers = 2;
  TestServer srv(o);
  srv.fake->set_delay_ms(100);
  auto good = std::async(std::launch::async, [&] {
    return srv.client().Post("/v1/audio/speech", R"({"input":"fine","response_format":"wav"})", "application/json");
  });
  auto r = srv.client().Post("/v1/audio/speech", R"({"input":"error: out of memory"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(error_code(r->body), "out_of_memory");
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  auto g = good.get();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 200);
  EXPECT_EQ(health_status(srv.port()), 200);
}

TEST(AbuseTest, ManyClientsAtOnceAllGetAnAnswerAndHealthStaysUp) {
  auto o = test_options();
  o.workers = 2;
  o.queue = 6;
  TestServer srv(o);
  srv.fake->set_delay_ms(15);
  const std::string es = fixture("audio/es.wav");
  std::atomic<bool> done{false};
  std::atomic<int> health_failures{0}, health_checks{0};
  std::thread monitor([&] {
    while (!done) {
      health_failures += health_status(srv.port()) != 200;
      ++health_checks;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::vector<std::future<std::vector<std::pair<int, std::string>>>> clients;
  for (int i = 0; i < 32; ++i) {
    clients.push_back(std::async(std::launch::async, [&, i] {
      std::vector<std::pair<int, std::string>> out;
      httplib::Client c("127.0.0.1", srv.port());
      c.set_read_timeout(60, 0);
      for (int k = 0; k < 3; ++k) {
        httplib::Result r = (i + k) % 2 ? c.Post("/v1/audio/transcriptions", form(es, "es.wav"))
                                         : c.Post("/v1/audio/speech", R"({"input":"hello there","response_format":"wav"})",
                                                  "application/json");
        out.emplace_back(r ? r->status : 0, r ? error_code(r->body) : "no answer");
      }
      return out;
    }));
  }
  int ok = 0, busy = 0;
  for (auto& f : clients) {
    for (auto& [status, code] : f.get()) {
      EXPECT_TRUE(status == 200 || (status == 503 && code == "server_busy")) << status << " " << code;
      ok += status == 200;
      busy += status == 503;
    }
  }
  done = true;
  monitor.join();
  EXPECT_GT(ok, 0);
  EXPECT_EQ(ok + busy, 96);
  EXPECT_GT(health_checks, 0);
  EXPECT_EQ(health_failures, 0);
}

// The real server program (the fake service behind it) with uploads far over its 1 MB limit from
// eight clients at once: it answers 413, drops what it does not keep, and its memory stays bounded.
TEST(AbuseTest, OversizedUploadsKeepTheServersMemoryBounded) {
  Child server({PARLEY_FAKE_SERVER, "--port", "0", "--quiet", "--max-upload-mb", "1"});
  ASSERT_GT(server.pid, 0);
  int port = server.read_port();
  ASSERT_GT(port, 0);
  const double before = server.rss_mb();
  const std::string chunk(1u << 20, 'x');
  std::vector<std::future<int>> uploads;
  for (int i = 0; i < 8; ++i) {
    uploads.push_back(std::async(std::launch::async, [&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30, 0);
      c.set_write_timeout(30, 0);
      // 40 MB, chunked: no Content-Length for the server to refuse up front.
      auto r = c.Post("/v1/audio/transcriptions",
                      [&](size_t offset, httplib::DataSink& sink) {
                        if (offset < (40u << 20)) sink.write(chunk.data(), chunk.size());
                        else sink.done();
                        return true;
                      },
                      "audio/wav");
      return r ? r->status : 0;
    }));
  }
  for (auto& u : uploads) {
    int status = u.get();
    EXPECT_TRUE(status == 413 || status == 0) << status;  // 0: closed while still sending, after the 413
  }
  EXPECT_EQ(health_status(port), 200);
  const double peak = server.peak_rss_mb();
  std::printf("server resident memory: %.0f MB before, peak %.0f MB after 8 x 40 MB uploads\n", before, peak);
  // Each request keeps at most its 1 MB; 320 MB were sent.
  EXPECT_LT(peak - before, 100);
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

// fuzz_request: a form field whose name holds a line break and whose value is over the field limit
// was refused with the raw name in the message (two lines in logs and in the JSON message).
TEST(AbuseTest, FieldNamesInErrorsStayOnOneLine) {
  TestServer srv(test_options());
  const std::string b = "parleyboundary";
  const std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"a\nb\"\r\n\r\n" +
                           std::string(100u << 10, 'x') + "\r\n--" + b + "--\r\n";
  auto r = srv.client().Post("/v1/audio/transcriptions", body, "multipart/form-data; boundary=" + b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  std::string message = json_of(r)["error"]["message"];
  EXPECT_EQ(message.find_first_of("\r\n"), std::string::npos) << message;
  EXPECT_EQ(json_of(r)["error"]["param"], "a\nb");  // the name itself, JSON-escaped, is kept
}

}  // namespace
}  // namespace parley::test
