// `parley serve` on the fixture models, over real HTTP on loopback: every audio route answers what
// the pipeline computes in process for the same input (the pipeline itself is checked against the
// reference in pipeline_test.cpp), /health names the models, bad requests get JSON errors with the
// right status, and SIGTERM ends the server with status 0.
#include <gtest/gtest.h>

#include <httplib.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "common/test_util.h"
#include "core/files.h"
#include "pipeline_fixtures.h"
#include "serve_process.h"
#include "server/audio_io.h"

namespace parley::test {
namespace {

using nlohmann::json;

constexpr int kMaxNewTokens = 16;  // short texts keep the synthesis quick

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> args = fixture_model_args(kMaxNewTokens);
    args.push_back("--quiet");
    server_ = new ServeProcess(args);
    pipeline_ = pipeline::Pipeline::load(fixture_options(kMaxNewTokens));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    pipeline_.reset();
  }

  void SetUp() override { ASSERT_GT(server_->port(), 0) << "parley serve did not start: " << server_->startup_output(); }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    c.set_write_timeout(30, 0);
    return c;
  }
  static std::string es_wav() { return read_file(data_path("audio/es.wav")); }
  static std::vector<float> es_samples() { return audio::decode_file(data_path("audio/es.wav")); }
  static httplib::MultipartFormDataItems form(const std::vector<std::pair<std::string, std::string>>& fields) {
    httplib::MultipartFormDataItems items = {{"file", es_wav(), "es.wav", "audio/wav"}};
    for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
    return items;
  }

  static ServeProcess* server_;
  static std::shared_ptr<pipeline::Pipeline> pipeline_;
};

ServeProcess* ServeTest::server_ = nullptr;
std::shared_ptr<pipeline::Pipeline> ServeTest::pipeline_;

TEST_F(ServeTest, HealthNamesTheFixtureModels) {
  auto r = client().Get("/health");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json j = json::parse(r->body);
  EXPECT_EQ(j["models"]["asr"], "whisper-tiny-random");
  EXPECT_EQ(j["models"]["tts"], "speecht5-tiny-random");
  EXPECT_EQ(j["models"]["vocoder"], "hifigan-tiny-random");
}

TEST_F(ServeTest, SpeechTranslationIsThePipelinesTranslation) {
  TranslateRequest request;
  request.language = "es";
  request.voice = "clb";
  const TranslateResult want = pipeline_->translate(es_samples(), request);

  auto r = client().Post("/v1/speech-translation", form({{"language", "es"}, {"voice", "clb"}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["language"], "es");
  EXPECT_EQ(j["text"], want.text);
  EXPECT_EQ(j["voice"], "clb");
  EXPECT_EQ(j["sample_rate"], fixture_sample_rate());
  for (const char* stage : {"asr_ms", "tts_ms", "vocoder_ms", "total_ms"}) EXPECT_TRUE(j["timings"].contains(stage)) << stage;
  const std::string wav_bytes = base64_decode(j["audio"]);
  const audio::WavData wav = audio::parse_wav(wav_bytes, "answer.wav");
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_EQ(wav.samples.size(), want.audio.size());
  // Byte for byte the pipeline's speech in the server's WAV encoding.
  EXPECT_TRUE(wav_bytes == server::default_audio_codec().encode(want.audio, want.sample_rate, "wav"));

  // The same as a raw body, answered as audio/wav.
  httplib::Headers accept = {{"Accept", "audio/wav"}};
  auto raw = client().Post("/v1/speech-translation?language=es&voice=clb", accept, es_wav(), "audio/wav");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(raw->get_header_value("Content-Type"), "audio/wav");
  EXPECT_EQ(raw->get_header_value("X-Parley-Language"), "es");
  EXPECT_TRUE(raw->body == wav_bytes);
}

TEST_F(ServeTest, OpenAiTranslationsAndTranscriptionsAreWhispersText) {
  for (const AsrTask task : {AsrTask::Translate, AsrTask::Transcribe}) {
    const std::string route = task == AsrTask::Translate ? "translations" : "transcriptions";
    SCOPED_TRACE(route);
    AsrRequest request;
    request.task = task;
    request.language = "es";
    const AsrResult want = pipeline_->speech_to_text(es_samples(), request);
    auto r = client().Post("/v1/audio/" + route, form({{"model", "whisper-1"}, {"language", "es"}}));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body), json({{"text", want.text}}));

    auto text = client().Post("/v1/audio/" + route, form({{"language", "es"}, {"response_format", "text"}}));
    ASSERT_TRUE(text);
    ASSERT_EQ(text->status, 200) << text->body;
    EXPECT_EQ(trimmed(text->body), want.text);
  }
}

TEST_F(ServeTest, SpeechIsThePipelinesSpeechAndOpenAiVoicesMapToTheDefault) {
  const std::string input = "Hello there. How are you today?";
  TtsRequest request;
  request.text = input;
  const TtsResult want = pipeline_->text_to_speech(request);
  for (const char* voice : {"alloy", "slt"}) {
    SCOPED_TRACE(voice);
    const json body = {{"model", "tts-1"}, {"input", input}, {"voice", voice}, {"response_format", "wav"}};
    auto r = client().Post("/v1/audio/speech", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const audio::WavData wav = audio::parse_wav(r->body, "speech.wav");
    EXPECT_EQ(wav.sample_rate, 16000);
    EXPECT_EQ(wav.samples.size(), want.audio.size());
    EXPECT_TRUE(r->body == server::default_audio_codec().encode(want.audio, want.sample_rate, "wav"));
  }
}

TEST_F(ServeTest, BadRequestsGetJsonErrors) {
  // Longer than Whisper's window (until long-form decoding): 413, not a partial translation.
  auto long_audio = client().Post("/v1/speech-translation", read_file(data_path("audio/long_2min.wav")), "audio/wav");
  ASSERT_TRUE(long_audio);
  EXPECT_EQ(long_audio->status, 413) << long_audio->body;
  EXPECT_TRUE(json::parse(long_audio->body).contains("error"));

  auto language = client().Post("/v1/speech-translation", form({{"language", "xx"}}));
  ASSERT_TRUE(language);
  EXPECT_EQ(language->status, 400) << language->body;

  auto not_audio = client().Post("/v1/speech-translation", std::string("just text, not audio"), "audio/wav");
  ASSERT_TRUE(not_audio);
  EXPECT_GE(not_audio->status, 400);
  EXPECT_LT(not_audio->status, 500) << not_audio->body;

  const json empty = {{"input", "   "}, {"voice", "slt"}};
  auto speech = client().Post("/v1/audio/speech", empty.dump(), "application/json");
  ASSERT_TRUE(speech);
  EXPECT_GE(speech->status, 400);
  EXPECT_LT(speech->status, 500) << speech->body;

  auto health = client().Get("/health");  // and it still serves
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

// Last (gtest runs a file's tests in order): the server ends cleanly on SIGTERM.
TEST_F(ServeTest, ZzSigtermExitsZero) { EXPECT_EQ(server_->stop(), 0); }

TEST(ServeCli, MissingModelFailsBeforeListening) {
  ServeProcess server({"--asr-model", "/nonexistent/whisper", "--tts-model", data_path("models/speecht5-tiny-random").string(),
                       "--vocoder", data_path("models/hifigan-tiny-random").string()});
  EXPECT_EQ(server.port(), 0);
  const int status = server.stop(5);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace parley::test
