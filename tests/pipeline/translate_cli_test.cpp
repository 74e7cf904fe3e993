// `parley translate` end to end on the fixture models: each of the reference's greedy translate runs
// gives its text, and a 16 kHz WAV of steps x reduction_factor x hop samples (pauses between pieces
// added) holding what `parley synthesize` makes of that text; voices by name or file, seeds, the
// plain report, and one-line errors with a non-zero exit for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "common/test_util.h"
#include "pipeline_fixtures.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

RunResult translate(const std::string& audio, const fs::path& out, int max_new_tokens,
                    std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"translate", audio, "-o", out.string()};
  for (const auto& s : fixture_model_args(max_new_tokens)) a.push_back(s);
  a.insert(a.end(), extra.begin(), extra.end());
  return run_parley(a, 300);
}


class TranslateCli : public ::testing::TestWithParam<TranslateRun> {};

TEST_P(TranslateCli, GivesTheReferenceTextAndAWavOfTheStepsSpoken) {
  const TranslateRun& run = GetParam();
  const fs::path out = temp_dir("translate-cli") / "english.wav";
  const auto r = translate(data_path(run.audio).string(), out, run.max_new_tokens,
                           {"--language", run.detected ? "auto" : run.language, "--json", "--format", "f32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["language"], run.language);
  EXPECT_EQ(j["text"], trimmed(run.text));
  EXPECT_EQ(j["output"], out.string());
  for (const char* stage : {"decode_ms", "load_ms", "features_ms", "asr_ms", "tts_ms", "vocoder_ms", "total_ms"})
    EXPECT_GE(j["timings"][stage].get<double>(), 0) << stage;

  const audio::WavData wav = audio::read_wav(out);
  EXPECT_EQ(wav.sample_rate, fixture_sample_rate());
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_EQ(wav.channels, 1);
  const int64_t steps = j["steps"], pieces = j["pieces"];
  EXPECT_GT(steps, 0);
  EXPECT_EQ(wav.frames(), expected_samples(steps, pieces));
  EXPECT_EQ(j["samples"].get<int64_t>(), wav.frames());
  std::printf("  %s: \"%.40s...\", %lld steps in %lld pieces, %lld samples\n", run.name.c_str(),
              j["text"].get<std::string>().c_str(), static_cast<long long>(steps), static_cast<long long>(pieces),
              static_cast<long long>(wav.frames()));

  // The speech is the reference's text synthesized, as `parley synthesize` does it.
  const fs::path alone = out.parent_path() / "alone.wav";
  const auto s = run_parley({"synthesize", "--model", data_path("models/speecht5-tiny-random").string(), "--vocoder",
                             data_path("models/hifigan-tiny-random").string(), "--text", trimmed(run.text), "-o",
                             alone.string(), "--format", "f32"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(audio::read_wav(alone).samples, wav.samples);
}

INSTANTIATE_TEST_SUITE_P(Goldens, TranslateCli, ::testing::ValuesIn(translate_runs()),
                         [](const auto& info) { return info.param.name; });

TEST(TranslateCliOutput, PlainReportAndVoicesBySeedNameAndFile) {
  const fs::path dir = temp_dir("translate-plain");
  const std::string es = data_path("audio/es.wav").string();
  const auto plain = translate(es, dir / "a.wav", 8, {"--language", "es"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.rfind("language: spanish (es)\ntext: ", 0), 0u) << plain.out;
  EXPECT_NE(plain.out.find("\naudio: " + (dir / "a.wav").string() + ", "), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("\ntime: decode "), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find(" ms, total "), std::string::npos) << plain.out;

  // A voice by name and the same x-vector as a file: the same speech; the default voice differs.
  ASSERT_EQ(translate(es, dir / "bdl.wav", 8, {"--language", "es", "--voice", "bdl"}).exit_code, 0);
  const fs::path npy = fs::path(PARLEY_TEST_DATA).parent_path().parent_path() / "voices" / "bdl.npy";
  ASSERT_EQ(translate(es, dir / "bdl-file.wav", 8, {"--language", "es", "--voice", npy.string()}).exit_code, 0);
  EXPECT_EQ(audio::read_wav(dir / "bdl.wav").samples, audio::read_wav(dir / "bdl-file.wav").samples);
  EXPECT_NE(audio::read_wav(dir / "bdl.wav").samples, audio::read_wav(dir / "a.wav").samples);

  // The prenet's dropout is seeded: the same seed repeats the speech, another changes it.
  ASSERT_EQ(translate(es, dir / "s5.wav", 8, {"--language", "es", "--seed", "5"}).exit_code, 0);
  ASSERT_EQ(translate(es, dir / "s5b.wav", 8, {"--language", "es", "--seed", "5"}).exit_code, 0);
  EXPECT_EQ(audio::read_wav(dir / "s5.wav").samples, audio::read_wav(dir / "s5b.wav").samples);
  EXPECT_NE(audio::read_wav(dir / "s5.wav").samples, audio::read_wav(dir / "a.wav").samples);
}

// ---------------------------------------------------------------------------------- bad input

TEST(TranslateCliOutput, ReducedPrecisionGivesA16kHzWav) {
  const fs::path out = temp_dir("translate-precision") / "out.wav";
  const auto r = translate(data_path("audio/es.wav").string(), out, 8, {"--precision", "int8", "--seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const audio::WavData wav = audio::read_wav(out);
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_GT(wav.frames(), 0);
  const auto bad = translate(data_path("audio/es.wav").string(), out, 8, {"--precision", "fp8"});
  expect_one_line_error(bad, "fp8");
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(TranslateCliErrors, MissingAudioFile) {
  const fs::path out = temp_dir("translate-missing") / "out.wav";
  expect_one_line_error(translate("/nonexistent/speech.wav", out, 8), "/nonexistent/speech.wav");
  EXPECT_FALSE(fs::exists(out));
}

TEST(TranslateCliErrors, UndecodableAudio) {
  const fs::path dir = temp_dir("translate-undecodable");
  std::ofstream(dir / "notes.txt") << "This is not audio, just some text.\n";
  expect_one_line_error(translate((dir / "notes.txt").string(), dir / "out.wav", 8), "notes.txt");
  EXPECT_FALSE(fs::exists(dir / "out.wav"));
}

TEST(TranslateCliErrors, UnknownVoiceOrBadVoiceFile) {
  const fs::path dir = temp_dir("translate-voice");
  const std::string es = data_path("audio/es.wav").string();
  expect_one_line_error(translate(es, dir / "out.wav", 8, {"--voice", "nobody"}), "nobody");
  // An x-vector of the wrong size for the model.
  const fs::path npy = data_path("cases/whisper-tiny-random/jfk.language_logprobs.npy");
  expect_one_line_error(translate(es, dir / "out.wav", 8, {"--voice", npy.string()}), "x-vector");
  EXPECT_FALSE(fs::exists(dir / "out.wav"));
}

TEST(TranslateCliErrors, UnknownLanguage) {
  const fs::path out = temp_dir("translate-language") / "out.wav";
  expect_one_line_error(translate(data_path("audio/es.wav").string(), out, 8, {"--language", "xx"}), "xx");
}

TEST(TranslateCliErrors, MissingOutputFolder) {
  expect_one_line_error(translate(data_path("audio/es.wav").string(), "/nonexistent/dir/out.wav", 8),
                        "/nonexistent/dir");
}

TEST(TranslateCliErrors, ModelNotCachedWhileOffline) {
  const std::string cache = temp_dir("translate-offline-cache").string();
  ::setenv("HF_HUB_CACHE", cache.c_str(), 1);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  const fs::path out = temp_dir("translate-offline") / "out.wav";
  const auto r = run_parley({"translate", data_path("audio/es.wav").string(), "-o", out.string(), "--tts-model",
                             "microsoft/speecht5_tts", "--asr-model", data_path("models/whisper-tiny-random").string(),
                             "--vocoder", data_path("models/hifigan-tiny-random").string()});
  ::unsetenv("HF_HUB_OFFLINE");
  ::unsetenv("HF_HUB_CACHE");
  expect_one_line_error(r, "parley models download microsoft/speecht5_tts");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace parley::test
