// POST /v1/speech-translation/stream on `parley serve` with the fixture models, over real HTTP on
// loopback: a chunked text/event-stream whose events come in order (language, text, one audio
// event per sentence, done), whose audio is byte for byte the pipeline's sentence-by-sentence
// speech for the same request (each chunk in the server's WAV encoding), whose done event reports
// the time to first audio (also in /metrics); progress events (seconds recognised window by window,
// speech made) with the server's time stamps, the first audio sent before the last window is
// recognised; and errors before the stream as JSON statuses, after it has started as an error event.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "audio/decode.h"
#include "common/test_util.h"
#include "core/files.h"
#include "event_stream.h"
#include "pipeline_fixtures.h"
#include "real_server_test.h"
#include "serve_process.h"
#include "server/audio_io.h"

namespace parley::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kMaxNewTokens = 32;  // a few sentences of text, quick to synthesize
constexpr const char* kRoute = "/v1/speech-translation/stream";

class StreamServeTest : public RealServerTest<StreamServeTest, kMaxNewTokens> {
 protected:
  static Stream post(const std::string& path, const std::string& body, const std::string& type = "audio/wav") {
    auto c = client();
    return post_stream(c, path, body, type);
  }
};

TEST_F(StreamServeTest, EventsCarryThePipelinesSentenceBySentenceTranslation) {
  const std::string wav = read_file(data_path("audio/es.wav"));
  // What the pipeline makes in process for the same request, chunk by chunk.
  TranslateRequest request;
  request.language = "es";
  request.voice = "clb";
  request.seed = 3;
  request.sentence_by_sentence = true;
  std::vector<std::string> want_chunks;
  std::vector<std::string> want_texts;
  const server::AudioCodec codec = server::default_audio_codec();
  request.on_chunk = [&](const AudioChunk& c) {
    want_chunks.push_back(codec.encode(c.audio, c.sample_rate, "wav"));
    want_texts.push_back(c.text);
  };
  const TranslateResult want = pipeline_->translate(audio::decode_file(data_path("audio/es.wav")), request);
  ASSERT_FALSE(want_chunks.empty());

  const Stream s = post(std::string(kRoute) + "?language=es&voice=clb&seed=3", wav);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(header(s, "Content-Type"), "text/event-stream");
  EXPECT_EQ(header(s, "Transfer-Encoding"), "chunked");
  EXPECT_TRUE(s.pending.empty()) << "an unfinished event at the end: " << s.pending;

  // language, text, audio..., done: in that order, nothing else.
  ASSERT_GE(s.events.size(), 4u) << s.body.substr(0, 500);
  EXPECT_EQ(s.events.front().name, "language");
  EXPECT_EQ(s.events[1].name, "text");
  EXPECT_EQ(s.events.back().name, "done");
  const auto audio = s.named("audio");
  ASSERT_EQ(audio.size() + 3, s.events.size());
  EXPECT_EQ(s.events.front().data["language"], "es");
  EXPECT_EQ(s.events[1].data["text"], want.text);

  ASSERT_EQ(audio.size(), want_chunks.size());
  std::vector<float> joined;
  double at = 0;
  for (size_t i = 0; i < audio.size(); ++i) {
    const json& a = audio[i]->data;
    EXPECT_EQ(a["index"], i);
    EXPECT_EQ(a["text"], want_texts[i]);
    EXPECT_EQ(a["format"], "wav");
    EXPECT_EQ(a["sample_rate"], fixture_sample_rate());
    EXPECT_DOUBLE_EQ(a["start"].get<double>(), at);
    at = a["end"].get<double>();
    const std::string bytes = base64_decode(a["audio"]);
    EXPECT_TRUE(bytes == want_chunks[i]) << "chunk " << i << " is not the pipeline's";
    const audio::WavData w = audio::parse_wav(bytes, "chunk.wav");
    joined.insert(joined.end(), w.samples.begin(), w.samples.end());
  }
  EXPECT_EQ(joined.size(), want.audio.size());  // the chunks joined are the whole speech

  const json& done = s.events.back().data;
  EXPECT_EQ(done["text"], want.text);
  EXPECT_EQ(done["voice"], "clb");
  EXPECT_EQ(done["chunks"], audio.size());
  ASSERT_TRUE(done.contains("time_to_first_audio_ms"));
  EXPECT_GT(done["time_to_first_audio_ms"].get<double>(), 0.0);
  EXPECT_LE(done["time_to_first_audio_ms"].get<double>(), done["timings"]["total_ms"].get<double>());
  for (const char* stage : {"decode_ms", "queue_ms", "asr_ms", "tts_ms", "vocoder_ms", "total_ms"})
    EXPECT_TRUE(done["timings"].contains(stage)) << stage;
  // The first audio reached the client no later than the end of the translation.
  EXPECT_LE(audio.front()->arrived, s.events.back().arrived);
  std::printf("  %zu audio events; time to first audio %.1f ms of %.1f ms\n", audio.size(),
              done["time_to_first_audio_ms"].get<double>(), done["timings"]["total_ms"].get<double>());

  auto metrics = client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("parley_time_to_first_audio_seconds_count{route=\"/v1/speech-translation/stream\"}"),
            std::string::npos)
      << metrics->body;
}

TEST_F(StreamServeTest, ErrorsBeforeTheStreamAreJsonStatuses) {
  const std::string wav = read_file(data_path("audio/es.wav"));
  const Stream voice = post(std::string(kRoute) + "?voice=nobody", wav);
  EXPECT_EQ(voice.status, 400) << voice.body;
  EXPECT_TRUE(json::parse(voice.body).contains("error"));

  const Stream not_audio = post(kRoute, "just text, not audio", "audio/wav");
  EXPECT_GE(not_audio.status, 400);
  EXPECT_LT(not_audio.status, 500) << not_audio.body;
  EXPECT_TRUE(json::parse(not_audio.body).contains("error"));

  const Stream wrong_type = post(kRoute, wav, "text/plain");
  EXPECT_EQ(wrong_type.status, 415) << wrong_type.body;

  auto get = client().Get(kRoute);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
}

// Audio longer than Whisper's window is recognised window by window: the first window's text and
// its audio arrive before the last window's text, each segment timed from the recording's start.
TEST_F(StreamServeTest, LongAudioSpeaksTheFirstWindowBeforeTheLastIsDecoded) {
  std::vector<float> clip = audio::decode_file(data_path("audio/long_2min.wav"));
  clip.resize(45 * 16000);
  const Stream s = post(std::string(kRoute) + "?temperature_fallback=false",
                        server::default_audio_codec().encode(clip, 16000, "wav"));
  ASSERT_EQ(s.status, 200) << s.body;
  std::vector<std::string> names;
  for (const auto& e : s.events) names.push_back(e.name);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "done") << s.body;
  EXPECT_EQ(std::count(names.begin(), names.end(), "language"), 1);
  ASSERT_EQ(std::count(names.begin(), names.end(), "text"), 2) << ::testing::PrintToString(names);
  const auto first_audio = std::find(names.begin(), names.end(), "audio");
  const auto last_text = std::find(names.rbegin(), names.rend(), "text").base() - 1;
  ASSERT_NE(first_audio, names.end());
  EXPECT_LT(first_audio, last_text) << ::testing::PrintToString(names);
  // The windows' segments, in order, are the pipeline's.
  TranslateRequest request;
  request.temperature_fallback = false;
  request.sentence_by_sentence = true;
  const TranslateResult want = pipeline_->translate(clip, request);
  std::vector<json> segments;
  for (const auto& e : s.events)
    if (e.name == "text")
      for (const auto& seg : e.data["segments"]) segments.push_back(seg);
  ASSERT_EQ(segments.size(), want.segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i]["text"], want.segments[i].text);
    EXPECT_EQ(segments[i]["start"].get<double>(), want.segments[i].start);
    EXPECT_LE(segments[i]["end"].get<double>(), 45.0);
  }
  EXPECT_GT(segments.back()["start"].get<double>(), 30.0);
  EXPECT_EQ(s.events.back().data["text"], want.text);

  // Progress events between them: the seconds recognised window by window, then the speech made;
  // every event stamped with the server's time. The first audio was sent (server time) before the
  // last window's recognition was done, and reached the client before it.
  std::vector<const Event*> asr, tts;
  for (const auto& e : s.progress) (e.data["stage"] == "asr" ? asr : tts).push_back(&e);
  ASSERT_EQ(asr.size(), 2u) << s.body;
  EXPECT_EQ(asr[0]->data["done"], 30.0);
  EXPECT_EQ(asr[0]->data["total"], 45.0);
  EXPECT_EQ(asr[0]->data["unit"], "s");
  EXPECT_EQ(asr[0]->data["detail"], "window 1 of 2");
  EXPECT_EQ(asr[1]->data["done"], 45.0);
  EXPECT_EQ(asr[1]->data["detail"], "window 2 of 2");
  ASSERT_FALSE(tts.empty());
  EXPECT_EQ(tts.back()->data["stage"], "tts");
  EXPECT_NEAR(tts.back()->data["done"].get<double>(), s.events.back().data["duration"].get<double>(), 1e-6);
  const auto first = std::find_if(s.events.begin(), s.events.end(), [](const Event& e) { return e.name == "audio"; });
  ASSERT_NE(first, s.events.end());
  EXPECT_LT(first->data["elapsed_ms"].get<double>(), asr[1]->data["elapsed_ms"].get<double>());
  EXPECT_LT(first->arrived, asr[1]->arrived);
  EXPECT_LE(asr[0]->data["elapsed_ms"].get<double>(), first->data["elapsed_ms"].get<double>());
}

TEST_F(StreamServeTest, ErrorsAfterTheStreamStartedAreAnErrorEvent) {
  // A language the model lacks is found by the model's worker, after the stream has begun (an unknown
  // one, "xx", is refused before: 400). Cantonese has a token only in large-v3's vocabulary.
  const Stream s = post(std::string(kRoute) + "?language=yue", read_file(data_path("audio/es.wav")));
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_EQ(s.events.size(), 1u) << s.body;
  EXPECT_EQ(s.events[0].name, "error");
  EXPECT_EQ(s.events[0].data["status"], 400);
  EXPECT_TRUE(s.events[0].data["error"].contains("message"));

  auto health = client().Get("/health");  // and it still serves
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace parley::test
