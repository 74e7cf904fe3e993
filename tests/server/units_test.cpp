// The server's building blocks on their own: the work queue, transcript formats, base64, the
// interim WAV codec, metrics rendering.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <thread>

#include "core/error.h"
#include "server/audio_io.h"
#include "server/api_error.h"
#include "server/metrics.h"
#include "server/multipart.h"
#include "server/routes.h"
#include "server/transcript_format.h"
#include "server/work_queue.h"

namespace parley::server {
namespace {

TEST(WorkQueue, RunsJobsAndPropagatesResultsAndErrors) {
  WorkQueue q(2, 4);
  EXPECT_EQ(q.run([] { return 6 * 7; }), 42);
  EXPECT_THROW(q.run([]() -> int { bad_input("nope"); }), Error);
  std::thread::id worker = q.run([] { return std::this_thread::get_id(); });
  EXPECT_NE(worker, std::this_thread::get_id());
}

// A reserved place (a stream's, taken before its headers) counts as waiting: others are refused, the
// holder's own job runs in it, and a reservation dropped unused gives the place back.
TEST(WorkQueue, ReservedPlacesCountAgainstTheLine) {
  WorkQueue q(1, 0);  // one worker, no line: one place in all
  WorkQueue::Reservation place = q.reserve();
  EXPECT_TRUE(place);
  EXPECT_EQ(q.waiting(), 1u);
  EXPECT_THROW(q.reserve(), Error);
  EXPECT_THROW(q.run([] { return 1; }), Error);
  EXPECT_EQ(q.run([] { return 2; }, &place), 2);
  EXPECT_FALSE(place);
  EXPECT_EQ(q.waiting(), 0u);
  while (q.running() > 0) std::this_thread::yield();  // the worker counts itself free just after
  {
    WorkQueue::Reservation dropped = q.reserve();
    EXPECT_THROW(q.run([] { return 3; }), Error);
  }
  EXPECT_EQ(q.run([] { return 4; }), 4);
}

TEST(WorkQueue, RefusesWhenTheLineIsFull) {
  WorkQueue q(1, 1);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> started{0};
  auto a = std::async(std::launch::async, [&] { return q.run([&] { ++started; open.wait(); return 1; }); });
  while (started == 0) std::this_thread::yield();
  auto b = std::async(std::launch::async, [&] { return q.run([&] { return 2; }); });
  while (q.waiting() == 0) std::this_thread::yield();
  try {
    q.run([] { return 3; });
    ADD_FAILURE() << "expected Busy";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Busy);
  }
  gate.set_value();
  EXPECT_EQ(a.get(), 1);
  EXPECT_EQ(b.get(), 2);
  q.shutdown();
  EXPECT_THROW(q.run([] { return 4; }), Error);
}

// The server's formats are text/subtitles.h's renderings (tested there); here: OpenAI's names, the
// one-line `text`, content types, and cues that stay well formed.
TEST(TranscriptFormat, CuesStayWellFormed) {
  Segment s1;
  s1.start = 0;
  s1.end = 1;
  s1.text = " first\n\nline --> x ";
  Segment blank;
  blank.start = 1;
  blank.end = 2;
  blank.text = "  ";
  Segment s2;
  s2.start = 2;
  s2.end = 1.5;  // end before start: clamped
  s2.text = " second";
  const auto t = subtitles::transcript_of("transcribe", "english", 3, "a b", {s1, blank, s2});
  EXPECT_EQ(format_transcript(t, "srt").body,
            "1\n00:00:00,000 --> 00:00:01,000\nfirst\nline -> x\n\n2\n00:00:02,000 --> 00:00:02,000\nsecond\n\n");
  EXPECT_EQ(format_transcript(t, "vtt").body,
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nfirst\nline -> x\n\n00:00:02.000 --> 00:00:02.000\nsecond\n\n");
  EXPECT_EQ(format_transcript(t, "vtt").content_type, "text/vtt; charset=utf-8");
  EXPECT_EQ(format_transcript(t, "text").body, "a b\n");
  EXPECT_EQ(format_transcript(t, "json").body, R"({"text":"a b"})");
  EXPECT_FALSE(is_transcript_format("xml"));
  EXPECT_FALSE(is_transcript_format("txt"));  // the CLI's name; OpenAI's is "text"
}

// verbose_json reports the decoding statistics a segment has and leaves out the ones it does not
// (no 0.0 stand-ins).
TEST(TranscriptFormat, VerboseJsonLeavesOutUnknownStatistics) {
  Segment known;
  known.text = " a";
  known.avg_logprob = -0.5;
  known.compression_ratio = 1.25;
  known.no_speech_prob = 0.125;
  Segment partial;
  partial.text = " b";
  partial.avg_logprob = -0.75;
  const auto t = subtitles::transcript_of("transcribe", "english", 3, "a b", {known, partial});
  const auto j = nlohmann::json::parse(format_transcript(t, "verbose_json").body);
  EXPECT_EQ(j["segments"][0]["avg_logprob"], -0.5);
  EXPECT_EQ(j["segments"][0]["compression_ratio"], 1.25);
  EXPECT_EQ(j["segments"][0]["no_speech_prob"], 0.125);
  EXPECT_EQ(j["segments"][1]["avg_logprob"], -0.75);
  EXPECT_FALSE(j["segments"][1].contains("compression_ratio"));
  EXPECT_FALSE(j["segments"][1].contains("no_speech_prob"));
  EXPECT_EQ(j["segments"][1]["id"], 1);
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(ServerCodec, WavRoundTripWithinOneStep) {
  AudioCodec codec = default_audio_codec();
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.01f * float(i)) * 0.9f;
  x[10] = 2.0f;  // clipped
  x[11] = std::nanf("");  // silenced
  std::vector<float> y = codec.decode(codec.encode(x, 16000, "wav"), "a.wav", 1.0);
  ASSERT_EQ(y.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float want = i == 10 ? 1.0f : i == 11 ? 0.0f : x[i];
    // Written as round(x * 32767), read as n / 32768: half a step of rounding plus the scale difference.
    EXPECT_NEAR(y[i], want, 0.5 / 32767 + 1.0 / 32768) << i;
  }
  EXPECT_EQ(codec.encode(x, 16000, "pcm").size(), 2000u);
  for (const char* f : {"wav", "pcm", "flac", "mp3", "opus", "aac"}) {
    EXPECT_NE(std::find(codec.formats.begin(), codec.formats.end(), f), codec.formats.end()) << f;
  }
}

TEST(ServerCodec, AudioOverTheLimitStopsDecoding) {
  AudioCodec codec = default_audio_codec();
  try {
    codec.decode(codec.encode(std::vector<float>(16000, 0.1f), 16000, "wav"), "x.wav", 0.5);
    ADD_FAILURE() << "expected TooLarge";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::TooLarge);
  }
}

TEST(Multipart, ParsesFieldsAndFiles) {
  std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
      "--XyZ  \r\ncontent-disposition: FORM-DATA; filename=\"a \\\"b\\\".wav\"; name=file\r\n"
      "Content-Type: audio/wav\r\n\r\nRIFF\r\n--XyZ not yet\r\n\r\n--XyZ--\r\nepilogue";
  auto parts = parse_multipart(body, "XyZ", 8);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "model");
  EXPECT_EQ(parts[0].data, "whisper-1");
  EXPECT_EQ(parts[0].filename, "");
  EXPECT_EQ(parts[1].name, "file");
  EXPECT_EQ(parts[1].filename, "a \"b\".wav");
  EXPECT_EQ(parts[1].content_type, "audio/wav");
  EXPECT_EQ(parts[1].data, "RIFF\r\n--XyZ not yet\r\n");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b\""), "a b");
  EXPECT_EQ(multipart_boundary("multipart/form-data;charset=utf-8;boundary=q"), "q");
  EXPECT_EQ(multipart_boundary("multipart/form-data"), "");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), "");
}

TEST(Multipart, RejectsMalformedBodies) {
  auto code = [](const std::string& body, size_t max_parts = 8) {
    try {
      parse_multipart(body, "b", max_parts);
    } catch (const ApiError& e) {
      return e.code();
    }
    return std::string("accepted");
  };
  std::string part = "Content-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  EXPECT_EQ(code("--b\r\n" + part + "--b--"), "accepted");
  EXPECT_EQ(code(""), "invalid_body");
  EXPECT_EQ(code("no boundary here"), "invalid_body");
  EXPECT_EQ(code("--b\r\n" + part), "invalid_body");                       // never closed
  EXPECT_EQ(code("--b\r\nContent-Disposition: form-data; name=\"f\"\r\nx"), "invalid_body");  // headers never end
  EXPECT_EQ(code("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"), "invalid_body");    // no disposition
  EXPECT_EQ(code("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"), "invalid_body");  // no name
  EXPECT_EQ(code("--b\r\n" + part + "--b"), "invalid_body");                // ends after a delimiter
  EXPECT_EQ(code("--bx" + part + "--b--"), "invalid_body");
  EXPECT_EQ(code("--b\r\n" + part + "--b\r\n" + part + "--b--", 1), "too_many_parts");
}

TEST(MetricsRender, EscapesLabelValues) {
  Metrics m;
  m.observe_request("/a\"b\\c\nd", "GET", 200, 0.001);
  std::string text = m.render();
  EXPECT_NE(text.find(R"(route="/a\"b\\c\nd")"), std::string::npos) << text;
}

// A method is what the client sent: anything but HTTP's own methods counts as "other", so no client
// can add series without end or put bytes a scraper refuses into /metrics.
TEST(MetricsRender, MethodsOutsideHttpsOwnAreOther) {
  Metrics m;
  m.observe_request("web", "POST", 400, 0.001);
  for (const std::string& method : std::vector<std::string>{"\rlGET", "0\"st", "x\xff\xfe", "", "get", std::string(200, 'A')})
    m.observe_request("web", method, 400, 0.001);
  const std::string text = m.render();
  EXPECT_NE(text.find(R"(parley_http_requests_total{route="web",method="POST",status="400"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(parley_http_requests_total{route="web",method="other",status="400"} 6)"), std::string::npos) << text;
  EXPECT_EQ(text.find('\xff'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace parley::server
