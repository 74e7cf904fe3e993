// Errors and limits over real HTTP: wrong content types, oversized and slow bodies, missing or
// undecodable audio, unknown routes and methods, a full queue, concurrent requests, metrics.
#include <gtest/gtest.h>

#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "http_test_util.h"

namespace parley::test {
namespace {

class LimitsTest : public ::testing::Test {
 protected:
  std::string es = fixture("audio/es.wav");
};

// A valid WAV header for `samples` 16-bit samples at 16 kHz (zeros).
std::string wav_with_samples(size_t samples) {
  std::string pcm(samples * 2, '\0');
  std::string h = "RIFF";
  auto put32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) h += static_cast<char>((v >> (8 * i)) & 0xff); };
  auto put16 = [&](uint16_t v) { h += static_cast<char>(v & 0xff); h += static_cast<char>(v >> 8); };
  put32(static_cast<uint32_t>(36 + pcm.size()));
  h += "WAVEfmt ";
  put32(16); put16(1); put16(1); put32(16000); put32(32000); put16(2); put16(16);
  h += "data";
  put32(static_cast<uint32_t>(pcm.size()));
  return h + pcm;
}

TEST_F(LimitsTest, MissingFileWrongTypeAndBadAudio) {
  TestServer srv(test_options());
  auto c = srv.client();
  auto status_code = [](const httplib::Result& r) { return r ? std::make_pair(r->status, error_code(r->body)) : std::make_pair(0, std::string()); };
  using P = std::pair<int, std::string>;

  httplib::MultipartFormDataItems no_file = {{"model", "whisper-1", "", ""}};
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", no_file)), P(400, "missing_file"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", no_file)), P(400, "missing_file"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", es, "audio/wav")), P(415, "unsupported_media_type"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", "hello", "text/plain")), P(415, "unsupported_media_type"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", R"({"file":"x"})", "application/json")), P(415, "unsupported_media_type"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", form("", "empty.wav"))), P(400, "empty_file"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", form(wav_with_samples(0), "zero.wav"))), P(422, "invalid_input"));
  std::string truncated = es.substr(0, es.size() / 2);  // the header promises twice the samples
  EXPECT_EQ(status_code(c.Post("/v1/audio/translations", form(truncated, "cut.wav"))), P(422, "invalid_input"));
  std::string junk = es.substr(0, 12) + "junkjunkjunkjunk";  // RIFF/WAVE with no fmt or data chunk
  EXPECT_EQ(status_code(c.Post("/v1/audio/translations", form(junk, "bad.wav"))), P(415, "unsupported_media_type"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", form("just some text", "notes.txt"))), P(415, "unsupported_media_type"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", form(es, "es.wav", {{"response_format", "xml"}}))), P(400, "invalid_parameter"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", form(es, "es.wav", {{"temperature", "hot"}}))), P(400, "invalid_parameter"));
  EXPECT_EQ(status_code(c.Post("/v1/audio/transcriptions", form(es, "es.wav", {{"language", "e$"}}))), P(400, "invalid_parameter"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", form(es, "es.wav", {{"voice", "alloy"}}))), P(400, "invalid_parameter"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", form(es, "es.wav", {{"seed", "-1"}}))), P(400, "invalid_parameter"));
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", "--x\r\nbroken", "multipart/form-data; boundary=y")), P(400, "invalid_body"));
  EXPECT_EQ(srv.fake->calls(), 0) << "nothing invalid may reach the models";
  // The server still works.
  EXPECT_EQ(status_code(c.Post("/v1/speech-translation", form(es, "es.wav"))).first, 200);
}

TEST_F(LimitsTest, UnknownRoutesAndMethods) {
  TestServer srv(test_options());
  auto c = srv.client();
  auto r = c.Get("/v1/audio/speech");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  EXPECT_EQ(error_code(r->body), "method_not_allowed");
  r = c.Post("/health", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(error_code(r->body), "method_not_allowed");
  r = c.Post("/v1/nothing", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code(r->body), "not_found");
  r = c.Get("/no-such-page.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code(r->body), "not_found");
  r = c.Delete("/v1/audio/speech");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  // A POST with neither Content-Length nor chunked framing, and a GET with a body.
  RawResponse raw = raw_request(srv.port(), {"POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"});
  EXPECT_EQ(raw.status, 411);
  EXPECT_EQ(error_code(raw.body), "length_required");
  raw = raw_request(srv.port(), {"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"});
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(error_code(raw.body), "unexpected_body");
  EXPECT_TRUE(raw.closed);
  raw = raw_request(srv.port(), {"NONSENSE\r\n\r\n"});
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(error_code(raw.body), "bad_request");
}

TEST_F(LimitsTest, OversizedBodiesGet413) {
  auto o = test_options();
  o.max_upload_bytes = 200000;  // es.wav is 354 kB
  TestServer srv(o);
  auto c = srv.client();
  auto r = c.Post("/v1/speech-translation", form(es, "es.wav"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(r->body), "file_too_large");
  r = c.Post("/v1/speech-translation", es, "audio/wav");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Chunked: no Content-Length to check up front; counted as it arrives.
  r = c.Post("/v1/speech-translation",
             [&](size_t offset, httplib::DataSink& sink) {
               if (offset < es.size()) sink.write(es.data() + offset, std::min<size_t>(8192, es.size() - offset));
               else sink.done();
               return true;
             },
             "audio/wav");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(r->body), "file_too_large");
  // A body far beyond the limit (and what the server drains) ends with the connection closed.
  std::string head = "POST /v1/speech-translation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: 1000000000\r\n\r\n";
  RawResponse raw = raw_request(srv.port(), {head, std::string(20u << 20, 'x')});
  EXPECT_EQ(raw.status, 413);
  EXPECT_TRUE(raw.closed);
  EXPECT_EQ(srv.fake->calls(), 0);
}

TEST_F(LimitsTest, AudioLongerThanTheLimitGets413) {
  auto o = test_options();
  o.max_audio_seconds = 5;  // es.wav is 5.5 s
  TestServer srv(o);
  auto r = srv.client().Post("/v1/audio/transcriptions", form(es, "es.wav"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(r->body), "audio_too_long");
  EXPECT_EQ(srv.fake->calls(), 0);
}

TEST_F(LimitsTest, SlowSendersTimeOut) {
  auto o = test_options();
  o.body_timeout_s = 1;
  o.read_timeout_s = 1;
  TestServer srv(o);
  std::string head = "POST /v1/speech-translation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: " +
                     std::to_string(es.size()) + "\r\n\r\n";
  // Trickles a byte every 300 ms: never silent for the read timeout, but too slow overall.
  std::vector<std::string> pieces = {head};
  for (int i = 0; i < 8; ++i) pieces.push_back(es.substr(static_cast<size_t>(i), 1));
  auto t0 = std::chrono::steady_clock::now();
  RawResponse trickle = raw_request(srv.port(), pieces, 300);
  EXPECT_EQ(trickle.status, 408);
  EXPECT_EQ(error_code(trickle.body), "request_timeout");
  EXPECT_TRUE(trickle.closed);
  // Sends part of the body, then goes silent.
  RawResponse silent = raw_request(srv.port(), {head + es.substr(0, 1000)});
  EXPECT_EQ(silent.status, 408);
  EXPECT_TRUE(silent.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(9));
  EXPECT_EQ(srv.fake->calls(), 0);
}

TEST_F(LimitsTest, FullQueueGets503AndHealthStillAnswers) {
  auto o = test_options();
  o.workers = 1;
  o.queue = 1;
  TestServer srv(o);
  srv.fake->hold();
  auto send = [&] { return srv.client().Post("/v1/speech-translation", form(es, "es.wav")); };
  auto first = std::async(std::launch::async, send);
  auto second = std::async(std::launch::async, send);
  // Wait until one request is inside the service and one waits in line.
  auto health = [&] { return json_of(srv.client().Get("/health")); };
  for (int i = 0; i < 500 && !(srv.fake->active() == 1 && health()["queue"]["waiting"] == 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(srv.fake->active(), 1);
  auto h = health();
  EXPECT_EQ(h["in_flight"], 1);
  EXPECT_EQ(h["queue"]["waiting"], 1);

  auto third = send();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 503);
  EXPECT_EQ(error_code(third->body), "server_busy");
  EXPECT_EQ(third->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json_of(third)["error"]["type"], "server_error");
  auto metrics = srv.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nparley_queue_depth 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("\nparley_requests_in_flight 1\n"), std::string::npos);

  srv.fake->release();
  auto a = first.get(), b = second.get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 200);
}

TEST_F(LimitsTest, ConcurrentRequestsEachGetTheirOwnAnswer) {
  auto o = test_options();
  o.workers = 3;
  o.queue = 32;
  TestServer srv(o);
  srv.fake->set_delay_ms(20);
  // Different audio per request: es.wav cut to different lengths.
  std::vector<std::future<std::pair<std::string, std::string>>> answers;
  std::vector<std::string> inputs;
  for (int i = 0; i < 12; ++i) {
    size_t samples = 16000 + 4000 * static_cast<size_t>(i);
    std::vector<float> x = decode_wav(es);
    x.resize(std::min(samples, x.size()));
    std::string wav = server::default_audio_codec().encode(x, 16000, "wav");
    inputs.push_back(wav);
  }
  for (int i = 0; i < 12; ++i) {
    answers.push_back(std::async(std::launch::async, [&, i] {
      auto r = srv.client().Post(i % 2 ? "/v1/audio/transcriptions" : "/v1/speech-translation", form(inputs[i], "in.wav"));
      return r && r->status == 200 ? std::make_pair(json_of(r)["text"].get<std::string>(), std::string())
                                   : std::make_pair(std::string(), r ? r->body : std::string("no response"));
    }));
  }
  for (int i = 0; i < 12; ++i) {
    auto [text, error] = answers[i].get();
    FakeSpeechService direct;
    AsrRequest req;
    req.task = i % 2 ? AsrTask::Transcribe : AsrTask::Translate;
    EXPECT_EQ(text, direct.speech_to_text(decode_wav(inputs[i]), req).text) << "request " << i << ": " << error;
  }
}

TEST_F(LimitsTest, MetricsInPrometheusTextFormat) {
  TestServer srv(test_options());
  auto c = srv.client();
  ASSERT_TRUE(c.Get("/health"));
  ASSERT_TRUE(c.Post("/v1/audio/transcriptions", form(es, "es.wav")));
  ASSERT_TRUE(c.Post("/v1/audio/speech", R"({"input":"x"})", "text/plain"));
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r->body;
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.back(), '\n');
  // Every line is a comment (# HELP / # TYPE) or `name{labels} value`.
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$)");
  std::regex comment(R"(^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$)");
  std::istringstream lines(m);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    bool ok = std::regex_match(line, line[0] == '#' ? comment : sample);
    EXPECT_TRUE(ok) << "bad line: " << line;
    samples += line[0] != '#';
  }
  EXPECT_GT(samples, 20);
  EXPECT_NE(m.find("parley_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("parley_http_requests_total{route=\"/v1/audio/transcriptions\",method=\"POST\",status=\"200\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("parley_http_requests_total{route=\"/v1/audio/speech\",method=\"POST\",status=\"415\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("parley_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("parley_http_request_duration_seconds_count{route=\"/health\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("parley_stage_duration_seconds_count{stage=\"asr\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("parley_audio_seconds_total{route=\"/v1/audio/transcriptions\",direction=\"input\"} 5.52"), std::string::npos);
  EXPECT_NE(m.find("# TYPE parley_time_to_first_audio_seconds histogram\n"), std::string::npos);
  EXPECT_NE(m.find("\nparley_workers 2\n"), std::string::npos);
  EXPECT_NE(m.find("\nparley_queue_depth 0\n"), std::string::npos);
  // Histogram buckets are cumulative: never decreasing, ending at the count.
  std::regex bucket(R"(parley_http_request_duration_seconds_bucket\{route="/v1/audio/transcriptions",le="[^"]+"\} (\d+))");
  long previous = 0;
  int buckets = 0;
  for (std::sregex_iterator it(m.begin(), m.end(), bucket), end; it != end; ++it, ++buckets) {
    long v = std::stol((*it)[1]);
    EXPECT_GE(v, previous);
    previous = v;
  }
  EXPECT_GT(buckets, 5);
  EXPECT_EQ(previous, 1);
}

}  // namespace
}  // namespace parley::test
