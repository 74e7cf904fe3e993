// The high-level Whisper object: from golden features to language, tokens and text, with the
// options of each golden run (the CLI tests cover the same from audio files).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "whisper/languages.h"
#include "whisper/whisper.h"

namespace parley::whisper {
namespace {

using nlohmann::json;
using test::data_path;

TEST(Whisper, TranscribeFeaturesGivesTheGoldenTokensAndTexts) {
  for (const char* name : {"whisper-tiny-random", "whisper-v3-random", "whisper-narrow-random"}) {
    SCOPED_TRACE(name);
    Whisper w = Whisper::load(data_path(std::string("models/") + name));
    json g = json::parse(read_file(data_path(std::string("cases/") + name + "/golden.json")));
    int runs = 0;
    for (const auto& c : g["cases"]) {
      const std::string stem = std::filesystem::path(c["audio"].get<std::string>()).stem().string();
      Tensor features = test::load_npy(std::string("cases/") + name + "/" + stem + ".features.npy");
      for (const auto& r : c["runs"]) {
        const json& kw = r["generate_kwargs"];
        if (kw.contains("max_length")) continue;
        SCOPED_TRACE(stem + " " + r["name"].get<std::string>());
        TranscribeOptions o;
        o.task = kw["task"];
        // Runs on the detected language check "auto".
        o.language = kw["language"] == c["detected_language"] ? "auto" : kw["language"].get<std::string>();
        o.max_new_tokens = kw["max_new_tokens"];
        o.num_beams = kw.value("num_beams", 1);
        o.timestamps = kw.value("return_timestamps", false);
        TranscribeResult got = w.transcribe_features(features, o);
        EXPECT_EQ(got.language, kw["language"]);
        EXPECT_EQ(got.language_name, language_name(got.language).value_or("?"));
        EXPECT_EQ(got.tokens, r["sequence"].get<std::vector<int>>());
        EXPECT_EQ(got.text, r["text"]);
        if (o.language == "auto") {
          EXPECT_LT(got.language_logprob, 0.f);
        }
        if (r.contains("sequence_score")) {
          EXPECT_NEAR(got.score, r["sequence_score"].get<double>(), 1e-3);
        }
        ++runs;
      }
    }
    EXPECT_GE(runs, 4);
  }
}

TEST(Whisper, SamplesAreCutToOneWindowAndSaySo) {
  Whisper w = Whisper::load(data_path("models/whisper-tiny-random"));
  std::vector<float> samples(16000 * 31, 0.f);
  TranscribeOptions o;
  o.language = "en";
  o.max_new_tokens = 6;
  TranscribeResult r = w.transcribe(samples, o);
  EXPECT_TRUE(r.truncated);
  EXPECT_DOUBLE_EQ(r.audio_seconds, 31.0);
  EXPECT_DOUBLE_EQ(r.window_seconds, 30.0);
  samples.resize(16000 * 30);
  EXPECT_FALSE(w.transcribe(samples, o).truncated);
}

TEST(Whisper, CheckRejectsBadOptionsBeforeAnyWork) {
  Whisper w = Whisper::load(data_path("models/whisper-tiny-random"));
  TranscribeOptions o;
  EXPECT_NO_THROW(w.check(o));
  o.language = "tlh";
  EXPECT_THROW(w.check(o), Error);
  o.language = "auto";
  o.task = "paraphrase";
  EXPECT_THROW(w.check(o), Error);
  o.task = "translate";
  o.num_beams = 0;
  EXPECT_THROW(w.check(o), Error);
  o.num_beams = 2;
  o.max_new_tokens = 0;
  EXPECT_THROW(w.check(o), Error);
  o.max_new_tokens = 10;
  EXPECT_NO_THROW(w.check(o));
  o.temperature = 0.5f;  // sampling does not combine with beams
  EXPECT_THROW(w.check(o), Error);
  o.num_beams = 1;
  EXPECT_NO_THROW(w.check(o));
}

}  // namespace
}  // namespace parley::whisper
