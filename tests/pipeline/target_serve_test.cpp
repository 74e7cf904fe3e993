// Speech into another language (French) through a real `parley serve` on the fixture models (tiny
// Whisper, NLLB-200 and VITS checkpoints), over HTTP on loopback: /v1/speech-translation answers what
// `parley translate --to fr --json` answers for the same recording and seed (source text, text,
// samples), and /v1/speech-translation/stream speaks the first sentence before the last one is
// translated (the server's time stamps and the client's arrival times both say so).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "common/test_util.h"
#include "core/files.h"
#include "event_stream.h"
#include "pipeline_fixtures.h"
#include "serve_process.h"
#include "server/audio_io.h"

namespace parley::test {
namespace {

using nlohmann::json;

constexpr int kMaxNewTokens = 32;

std::string model(const std::string& name) { return data_path("models/" + name).string(); }

std::vector<std::string> french_args(const std::string& mt_model) {
  return {"--mt-model", model(mt_model), "--tts-model", "fr=" + model("vits-tiny-random")};
}

// `parley serve` on the fixture models, French spoken with `mt_model`'s translations.
std::unique_ptr<ServeProcess> french_server(const std::string& mt_model) {
  std::vector<std::string> args = fixture_model_args(kMaxNewTokens);
  for (auto& a : french_args(mt_model)) args.push_back(a);
  args.push_back("--quiet");
  auto server = std::make_unique<ServeProcess>(args);
  EXPECT_GT(server->port(), 0) << "parley serve did not start: " << server->startup_output();
  return server;
}

httplib::Client client_of(const ServeProcess& server) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(300, 0);
  c.set_write_timeout(30, 0);
  return c;
}

// M2M100's tiny model says something the French voice can speak; NLLB's tiny model decodes to no
// text at all (the answer is then an empty text and an empty WAV, as for silence, not an error).
class TargetServeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TargetServeTest, ApiAnswersWhatTheCliAnswers) {
  const std::filesystem::path dir = temp_dir("target-serve");
  std::vector<std::string> cli = {"translate", data_path("audio/es.wav").string(), "-o", (dir / "cli.wav").string(),
                                  "--language", "es", "--to", "fr", "--seed", "5", "--json"};
  for (auto& a : fixture_model_args(kMaxNewTokens)) cli.push_back(a);
  for (auto& a : french_args(GetParam())) cli.push_back(a);
  const RunResult r = run_parley(cli, 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json want = json::parse(r.out);
  const audio::WavData want_wav = audio::read_wav(dir / "cli.wav");

  const auto server = french_server(GetParam());
  auto c = client_of(*server);
  auto res = c.Post("/v1/speech-translation?language=es&to=fr&seed=5", read_file(data_path("audio/es.wav")),
                    "audio/wav");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json got = json::parse(res->body);
  EXPECT_EQ(got["target_language"], "fr");
  EXPECT_EQ(got["language"], want["language"]);
  EXPECT_EQ(got["source_text"], want["source_text"]);
  EXPECT_EQ(got["text"], want["text"]);
  ASSERT_FALSE(got["source_text"].get<std::string>().empty());
  const audio::WavData wav = audio::parse_wav(base64_decode(got["audio"]), "the answer's audio");
  EXPECT_EQ(wav.sample_rate, want_wav.sample_rate);
  ASSERT_EQ(wav.samples.size(), want_wav.samples.size());
  EXPECT_EQ(wav.samples.empty(), GetParam() == "nllb-tiny-random");
  float worst = 0;  // both are 16-bit WAV of the same samples
  for (size_t i = 0; i < wav.samples.size(); ++i) worst = std::max(worst, std::abs(wav.samples[i] - want_wav.samples[i]));
  EXPECT_LE(worst, 1.0f / 32768) << "samples differ by " << worst;
}

INSTANTIATE_TEST_SUITE_P(MtModels, TargetServeTest, ::testing::Values("m2m100-tiny-random", "nllb-tiny-random"),
                         [](const auto& info) { return info.param.substr(0, info.param.find('-')); });

// 45 s of speech, two windows: the first sentence (cut at a segment end after 20 s: the fixture's
// gibberish has no punctuation) is translated and spoken while the second window is still to come.
TEST(TargetServeStream, SpeaksTheFirstSentenceBeforeTheLastIsTranslated) {
  const auto server = french_server("m2m100-tiny-random");
  std::vector<float> clip = audio::decode_file(data_path("audio/long_2min.wav"));
  clip.resize(45 * 16000);
  auto c = client_of(*server);
  const Stream s = post_stream(c, "/v1/speech-translation/stream?language=es&to=fr&temperature_fallback=false",
                               server::default_audio_codec().encode(clip, 16000, "wav"));
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_FALSE(s.events.empty());
  ASSERT_EQ(s.events.back().name, "done") << s.body.substr(0, 2000);
  const json& done = s.events.back().data;
  EXPECT_EQ(done["target_language"], "fr");

  const auto audio = s.named("audio");
  std::vector<const Event*> mt;
  for (const auto& e : s.progress)
    if (e.data["stage"] == "mt") mt.push_back(&e);
  ASSERT_GE(audio.size(), 2u) << s.body.substr(0, 2000);
  ASSERT_EQ(mt.size(), audio.size()) << "one translation per spoken sentence";
  // The first sentence was sent (server time) and arrived (client time) before the last sentence
  // was translated.
  EXPECT_LT(audio.front()->data["elapsed_ms"].get<double>(), mt.back()->data["elapsed_ms"].get<double>());
  EXPECT_LT(audio.front()->arrived, mt.back()->arrived);
  // Each sentence is spoken as soon as it is translated, before the next one is translated.
  for (size_t i = 0; i < audio.size(); ++i) {
    EXPECT_LE(mt[i]->data["elapsed_ms"].get<double>(), audio[i]->data["elapsed_ms"].get<double>()) << i;
    if (i + 1 < mt.size())
      EXPECT_LE(audio[i]->data["elapsed_ms"].get<double>(), mt[i + 1]->data["elapsed_ms"].get<double>()) << i;
  }
  // And before the second window was recognised: the stream did not wait for the end of the speech.
  std::vector<const Event*> asr;
  for (const auto& e : s.progress)
    if (e.data["stage"] == "asr") asr.push_back(&e);
  ASSERT_EQ(asr.size(), 2u) << s.body.substr(0, 2000);
  EXPECT_EQ(asr.back()->data["detail"], "window 2 of 2");
  EXPECT_LT(audio.front()->data["elapsed_ms"].get<double>(), asr.back()->data["elapsed_ms"].get<double>());
  // The sentences' texts make the answer's text, in order.
  std::string joined;
  for (const Event* a : audio) joined += (joined.empty() ? "" : " ") + a->data["text"].get<std::string>();
  EXPECT_EQ(joined, done["text"]);
}

}  // namespace
}  // namespace parley::test
