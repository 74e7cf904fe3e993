// Access control and honest records (issue 19, items 3 and 4): API keys, the Host allow-list, the
// Origin check and CORS, security headers, streams admitted before their headers and logged with
// their real status and duration, JSON log lines. Real server on loopback, the fake service behind it.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "core/embedded.h"
#include "core/files.h"
#include "http_test_util.h"
#include "server/access.h"

namespace parley::test {
namespace {

std::string jfk() { return fixture("audio/jfk.wav"); }

// A GET with extra headers over a raw socket (to send any Host).
RawResponse get(int port, const std::string& path, const std::string& headers) {
  return raw_request(port, {"GET " + path + " HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n"});
}

TEST(AccessTest, KeysAreSplitAndComparedExactly) {
  EXPECT_EQ(server::split_api_keys(" a1, b2 ,,c3 "), (std::vector<std::string>{"a1", "b2", "c3"}));
  EXPECT_TRUE(server::split_api_keys(" , ").empty());
  EXPECT_TRUE(server::constant_time_equal("secret-key", "secret-key"));
  EXPECT_FALSE(server::constant_time_equal("secret-kez", "secret-key"));
  EXPECT_FALSE(server::constant_time_equal("secret", "secret-key"));
  EXPECT_FALSE(server::constant_time_equal("secret-keysecret-key", "secret-key"));
  EXPECT_FALSE(server::constant_time_equal("", "secret-key"));
}

TEST(AccessTest, ApiKeyIsRequiredAsBearerExceptForHealthAndThePage) {
  auto o = test_options();
  o.access.api_keys = {"key-one", "key-two"};
  TestServer srv(o);
  auto c = srv.client();
  auto none = c.Get("/v1/models");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(error_code(none->body), "missing_api_key");
  EXPECT_EQ(json_of(none)["error"]["type"], "invalid_request_error");

  auto wrong = c.Get("/v1/models", {{"Authorization", "Bearer key-three"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(error_code(wrong->body), "invalid_api_key");
  EXPECT_EQ(wrong->body.find("key-three"), std::string::npos) << "the key must not be echoed";
  auto basic = c.Get("/v1/models", {{"Authorization", "Basic key-one"}});
  EXPECT_EQ(basic->status, 401);
  for (const char* key : {"key-one", "key-two"}) {
    auto ok = c.Get("/v1/models", {{"Authorization", std::string("Bearer ") + key}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << key;
  }
  // A POST with a body and a wrong key is refused before the work.
  auto post = c.Post("/v1/speech-translation", {{"Authorization", "Bearer nope"}}, form(jfk(), "jfk.wav"));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  EXPECT_EQ(srv.fake->calls(), 0);
  auto posted = c.Post("/v1/speech-translation", {{"Authorization", "Bearer key-two"}}, form(jfk(), "jfk.wav"));
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200) << posted->body;

  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/")->status, 200);
  EXPECT_EQ(c.Get("/app.js")->status, 200);
  EXPECT_EQ(c.Get("/metrics")->status, 401);
  EXPECT_EQ(c.Get("/metrics", {{"Authorization", "Bearer key-one"}})->status, 200);
}

// PARLEY_API_KEY, several keys comma-separated, read by the server program at start. (Its "listening
// on" line is a JSON object here, --log-format json, and still names the URL.)
TEST(AccessTest, ApiKeysComeFromTheEnvironment) {
  ::setenv("PARLEY_API_KEY", "env-a, env-b", 1);
  Child server({PARLEY_FAKE_SERVER, "--port", "0", "--quiet", "--json-log"});
  ::unsetenv("PARLEY_API_KEY");
  std::string first_line;
  for (char ch = 0; ch != '\n' && ::read(server.out, &ch, 1) == 1;) first_line += ch;
  const nlohmann::json listening = nlohmann::json::parse(first_line, nullptr, false);
  ASSERT_TRUE(listening.is_object()) << first_line;
  EXPECT_EQ(listening.value("level", ""), "info");
  const std::string message = listening.value("message", "");
  ASSERT_EQ(message.rfind("listening on http://127.0.0.1:", 0), 0u) << message;
  const int port = std::atoi(message.c_str() + std::string("listening on http://127.0.0.1:").size());
  ASSERT_GT(port, 0);
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/v1/voices")->status, 401);
  EXPECT_EQ(c.Get("/v1/voices", {{"Authorization", "Bearer env-b"}})->status, 200);
  EXPECT_EQ(c.Get("/v1/voices", {{"Authorization", "Bearer env-a, env-b"}})->status, 401);
  EXPECT_EQ(c.Get("/health")->status, 200);
}

TEST(AccessTest, ForeignHostIsRefused) {
  TestServer srv(test_options());
  const std::string port = std::to_string(srv.port());
  for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.1"}) {
    EXPECT_EQ(get(srv.port(), "/v1/models", "Host: " + host + "\r\n").status, 200) << host;
  }
  for (const std::string& host : std::vector<std::string>{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example", "localhost.evil"}) {
    RawResponse r = get(srv.port(), "/v1/models", "Host: " + host + "\r\n");
    EXPECT_EQ(r.status, 403) << host;
    EXPECT_EQ(error_code(r.body), "host_not_allowed") << host;
  }
  // Even /health: a rebound name must not learn anything from the server.
  EXPECT_EQ(get(srv.port(), "/health", "Host: evil.example\r\n").status, 403);

  auto o = test_options();
  o.access.allowed_hosts = {"parley.example"};
  TestServer named(o);
  EXPECT_EQ(get(named.port(), "/v1/models", "Host: parley.example:8443\r\n").status, 200);
  EXPECT_EQ(get(named.port(), "/v1/models", "Host: other.example\r\n").status, 403);
  o.access.allowed_hosts = {"*"};
  TestServer any(o);
  EXPECT_EQ(get(any.port(), "/v1/models", "Host: other.example\r\n").status, 200);
}

TEST(AccessTest, ForeignOriginCannotPost) {
  TestServer srv(test_options());
  auto c = srv.client();
  const std::string own = "http://127.0.0.1:" + std::to_string(srv.port());
  auto foreign = c.Post("/v1/speech-translation", {{"Origin", "http://evil.example"}}, form(jfk(), "jfk.wav"));
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_EQ(error_code(foreign->body), "origin_not_allowed");
  EXPECT_EQ(c.Post("/v1/speech-translation", {{"Origin", "null"}}, form(jfk(), "jfk.wav"))->status, 403);
  EXPECT_EQ(srv.fake->calls(), 0);
  auto same = c.Post("/v1/speech-translation", {{"Origin", own}}, form(jfk(), "jfk.wav"));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200) << same->body;
  EXPECT_FALSE(same->has_header("Access-Control-Allow-Origin")) << "no CORS unless configured";
  auto no_origin = c.Post("/v1/speech-translation", form(jfk(), "jfk.wav"));
  ASSERT_TRUE(no_origin);
  EXPECT_EQ(no_origin->status, 200);
  // Reads are not state-changing; the browser keeps their answers from a foreign page (no CORS).
  auto read = c.Get("/v1/voices", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(read->status, 200);
  EXPECT_FALSE(read->has_header("Access-Control-Allow-Origin"));
}

TEST(AccessTest, CorsOnlyForConfiguredOrigins) {
  auto o = test_options();
  o.access.cors_origins = {"https://app.example"};
  o.access.api_keys = {"k"};
  TestServer srv(o);
  const int port = srv.port();
  // A preflight carries no key; it is answered for the configured origin only.
  RawResponse pre = raw_request(port, {"OPTIONS /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"
                                       "Access-Control-Request-Headers: authorization, content-type\r\n"
                                       "Connection: close\r\n\r\n"});
  EXPECT_EQ(pre.status, 204) << pre.body;
  EXPECT_NE(pre.headers["access-control-allow-methods"].find("POST"), std::string::npos);
  EXPECT_NE(pre.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
  EXPECT_EQ(pre.headers["access-control-allow-origin"], "https://app.example");
  RawResponse other = raw_request(port, {"OPTIONS /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
                                         "Connection: close\r\n\r\n"});
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);

  auto c = srv.client();
  nlohmann::json speech = {{"input", "Hello."}};
  auto r = c.Post("/v1/audio/speech", {{"Origin", "https://app.example"}, {"Authorization", "Bearer k"}}, speech.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  auto refused = c.Post("/v1/audio/speech", {{"Origin", "https://app.example"}}, speech.dump(), "application/json");
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->get_header_value("Access-Control-Allow-Origin"), "https://app.example")
      << "the page must be able to read the 401";
}

TEST(AccessTest, PageHasSecurityHeaders) {
  TestServer srv(test_options());
  for (const char* path : {"/", "/app.js", "/style.css", "/v1/models"}) {
    auto r = srv.client().Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    const std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path << ": " << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("media-src 'self' blob:"), std::string::npos) << csp;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(r->get_header_value_count("X-Content-Type-Options"), 1u) << path;
  }
}

// The page satisfies its policy: no inline script, no inline style or event-handler attribute, no
// eval (the browser test runs the page under the policy too).
TEST(AccessTest, PageNeedsNothingTheCspForbids) {
  const std::regex inline_script(R"(<script(?![^>]*\ssrc=)[^>]*>)");
  const std::regex inline_attribute(R"(<[^>]*\s(style|on[a-z]+)\s*=)");
  int files = 0;
  for (const auto& file : embedded::web_files()) {
    const std::string text(file.data);
    const std::string name(file.name);
    if (name.ends_with(".html") || name.ends_with(".js")) {
      ++files;
      EXPECT_FALSE(std::regex_search(text, inline_script)) << name;
      EXPECT_FALSE(std::regex_search(text, inline_attribute)) << name;
      EXPECT_EQ(text.find("eval("), std::string::npos) << name;
      EXPECT_EQ(text.find("new Function"), std::string::npos) << name;
    }
  }
  EXPECT_GE(files, 2);
}

// Stdout/stderr of this process into a file for the scope, for the log tests.
class CapturedStderr {
 public:
  CapturedStderr() {
    fd_ = ::mkstemp(path_);
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fd_, 2);
  }
  std::string text() {
    std::fflush(stderr);
    return read_file(path_);
  }
  ~CapturedStderr() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    ::close(fd_);
    ::unlink(path_);
  }

 private:
  char path_[64] = "/tmp/parley_access_log_XXXXXX";
  int fd_ = -1;
  int saved_ = -1;
};

// The JSON log lines whose path is `path`.
std::vector<nlohmann::json> json_log_lines(const std::string& log, const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("path", "") == path) out.push_back(j);
  }
  return out;
}

TEST(AccessTest, FullQueueOnAStreamIs503BeforeAnyEvent) {
  auto o = test_options();
  o.workers = 1;
  o.queue = 0;
  TestServer srv(o);
  srv.fake->hold();
  auto busy = std::async(std::launch::async, [&] { return srv.client().Post("/v1/speech-translation", form(jfk(), "jfk.wav")); });
  for (int i = 0; i < 500 && srv.fake->active() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(srv.fake->active(), 1);
  auto c = srv.client();
  auto stream = c.Post("/v1/speech-translation/stream", form(jfk(), "jfk.wav"));
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 503) << stream->body;
  EXPECT_EQ(stream->get_header_value("Retry-After"), "1");
  EXPECT_EQ(stream->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(error_code(stream->body), "server_busy");
  auto transcript = c.Post("/v1/audio/transcriptions", form(jfk(), "jfk.wav", {{"stream", "true"}}));
  ASSERT_TRUE(transcript);
  EXPECT_EQ(transcript->status, 503) << transcript->body;
  EXPECT_EQ(transcript->get_header_value("Retry-After"), "1");
  srv.fake->release();
  EXPECT_EQ(busy.get()->status, 200);
}

// A stream is logged (and counted) when it ends, with its whole duration and bytes, and the status it
// ended with; --log-format json writes one parseable object per request.
TEST(AccessTest, StreamIsLoggedWithItsRealStatusAndDuration) {
  auto o = test_options();
  o.log_requests = true;
  o.log_format = server::LogFormat::Json;
  CapturedStderr log;
  std::string body;
  {
    TestServer srv(o);
    srv.fake->set_delay_ms(400);
    auto r = srv.client().Post("/v1/speech-translation/stream", form(jfk(), "jfk.wav"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    body = r->body;
    // A target whose speech model is missing: the stream starts (200), then ends with a 404 event.
    auto missing = srv.client().Post("/v1/speech-translation/stream", form(jfk(), "jfk.wav", {{"to", "de"}}));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 200);
    EXPECT_NE(missing->body.find("event: error"), std::string::npos) << missing->body;
    srv.client().Get("/health");
  }  // stopped: every line written
  const std::string text = log.text();
  auto streams = json_log_lines(text, "/v1/speech-translation/stream");
  ASSERT_EQ(streams.size(), 2u) << text;
  EXPECT_EQ(streams[0]["status"], 200);
  EXPECT_GE(streams[0]["duration_ms"].get<double>(), 400) << streams[0];
  EXPECT_EQ(streams[0]["bytes"].get<size_t>(), body.size());
  EXPECT_EQ(streams[0]["method"], "POST");
  EXPECT_EQ(streams[0]["client"], "127.0.0.1");
  EXPECT_FALSE(streams[0]["time"].get<std::string>().empty());
  EXPECT_EQ(streams[1]["status"], 404) << streams[1];
  auto health = json_log_lines(text, "/health");
  ASSERT_EQ(health.size(), 1u) << text;
  EXPECT_EQ(health[0]["status"], 200);
}

// The metrics count a stream under its final status, when it ends.
TEST(AccessTest, StreamIsCountedWithItsFinalStatus) {
  TestServer srv(test_options());
  auto missing = srv.client().Post("/v1/speech-translation/stream", form(jfk(), "jfk.wav", {{"to", "de"}}));
  ASSERT_TRUE(missing);
  const std::string line = "parley_http_requests_total{route=\"/v1/speech-translation/stream\",method=\"POST\",status=\"404\"}";
  double counted = -1;
  for (int i = 0; i < 100 && counted < 1; ++i) {  // recorded just after the last byte went out
    counted = metric(srv.port(), line);
    if (counted < 1) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(counted, 1);
  EXPECT_EQ(metric(srv.port(), "parley_http_requests_total{route=\"/v1/speech-translation/stream\",method=\"POST\",status=\"200\"}"), -1);
}

}  // namespace
}  // namespace parley::test
