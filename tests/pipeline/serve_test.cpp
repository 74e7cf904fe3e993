// `parley serve` on the fixture models, over real HTTP on loopback: every audio route answers what
// the pipeline computes in process for the same input (the pipeline itself is checked against the
// reference in pipeline_test.cpp), /health names the models, bad requests get JSON errors with the
// right status, and SIGTERM ends the server with status 0.
#include <gtest/gtest.h>

#include <httplib.h>

#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "common/subtitle_check.h"
#include "common/test_util.h"
#include "core/files.h"
#include "pipeline_fixtures.h"
#include "real_server_test.h"
#include "serve_process.h"
#include "server/audio_io.h"

namespace parley::test {
namespace {

using nlohmann::json;

constexpr int kMaxNewTokens = 16;  // short texts keep the synthesis quick

class ServeTest : public RealServerTest<ServeTest, kMaxNewTokens> {
 protected:
  static std::string es_wav() { return read_file(data_path("audio/es.wav")); }
  static std::vector<float> es_samples() { return audio::decode_file(data_path("audio/es.wav")); }
  static httplib::MultipartFormDataItems form(const std::vector<std::pair<std::string, std::string>>& fields) {
    httplib::MultipartFormDataItems items = {{"file", es_wav(), "es.wav", "audio/wav"}};
    for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
    return items;
  }

};

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
    request.timestamps = true;  // the server derives every format from one timed (windowed) decode
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

// Longer than Whisper's window: decoded in windows (openai's transcribe()), in every response format
// of OpenAI's audio API, with the pipeline's segments and text.
TEST_F(ServeTest, LongAudioInEveryResponseFormat) {
  std::vector<float> clip = audio::decode_file(data_path("audio/long_2min.wav"));
  clip.resize(45 * 16000);
  const std::string wav = server::default_audio_codec().encode(clip, 16000, "wav");
  AsrRequest request;
  request.task = AsrTask::Translate;
  request.temperature_fallback = false;
  const AsrResult want = pipeline_->speech_to_text(clip, request);
  ASSERT_FALSE(want.segments.empty());
  EXPECT_GT(want.segments.back().seek, 0) << "the text of a window after the first";
  auto post = [&](const std::string& format) {
    httplib::MultipartFormDataItems items = {{"file", wav, "clip.wav", "audio/wav"},
                                             {"response_format", format, "", ""},
                                             {"temperature_fallback", "false", "", ""}};
    auto r = client().Post("/v1/audio/translations", items);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    return *r;
  };
  const auto verbose = post("verbose_json");
  EXPECT_EQ(verbose.get_header_value("Content-Type"), "application/json");
  const json j = json::parse(verbose.body);
  EXPECT_EQ(j["task"], "translate");
  EXPECT_EQ(j["duration"].get<double>(), 45.0);
  EXPECT_EQ(j["text"], want.text);
  ASSERT_EQ(j["segments"].size(), want.segments.size());
  for (size_t i = 0; i < want.segments.size(); ++i) {
    EXPECT_EQ(j["segments"][i]["start"].get<double>(), want.segments[i].start);
    EXPECT_EQ(j["segments"][i]["end"].get<double>(), want.segments[i].end);
    EXPECT_EQ(j["segments"][i]["text"], want.segments[i].text);
  }
  const auto plain = post("json");
  EXPECT_EQ(json::parse(plain.body)["text"], want.text);
  const auto text = post("text");
  EXPECT_EQ(text.get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(text.body, want.text + "\n");
  const auto srt = post("srt");
  EXPECT_EQ(srt.get_header_value("Content-Type"), "application/x-subrip; charset=utf-8");
  std::vector<ParsedCue> cues;
  EXPECT_TRUE(ValidSrt(srt.body, 45.0, &cues));
  ASSERT_FALSE(cues.empty());
  EXPECT_DOUBLE_EQ(cues.back().start, std::round(want.segments.back().start * 1000) / 1000);
  const auto vtt = post("vtt");
  EXPECT_EQ(vtt.get_header_value("Content-Type"), "text/vtt; charset=utf-8");
  EXPECT_TRUE(ValidVtt(vtt.body, 45.0));

  // Whisper's initial prompt is taken (it conditions the decoder; the pipeline's tests check how).
  auto prompted = client().Post("/v1/audio/transcriptions", form({{"prompt", "Una conversación."}, {"temperature_fallback", "false"}}));
  ASSERT_TRUE(prompted);
  EXPECT_EQ(prompted->status, 200) << prompted->body;
  AsrRequest prompt_request;
  prompt_request.prompt = "Una conversación.";
  prompt_request.temperature_fallback = false;
  EXPECT_EQ(json::parse(prompted->body)["text"], pipeline_->speech_to_text(es_samples(), prompt_request).text);
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
  auto fallback = client().Post("/v1/audio/translations", form({{"temperature_fallback", "maybe"}}));
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->status, 400) << fallback->body;

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
