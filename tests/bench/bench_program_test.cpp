// parley_bench on the tiny test models: every stage runs and reports a figure, the JSON file holds
// what stdout shows, the reduced-precision error report compares bf16 and int8 with f32 on the
// golden fixtures, and bad options are usage errors. The figures themselves are not checked: speed is
// for scripts/bench.sh to measure, not for tests to assert.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

RunResult bench(const std::vector<std::string>& args) { return run_program(PARLEY_BENCH_BINARY, args, 600); }

// A models folder laid out as scripts/bench.sh makes it, pointing at the tiny test models.
fs::path tiny_models_folder() {
  const fs::path dir = temp_dir("bench-models");
  fs::create_directory_symlink(data_path("models/whisper-tiny-random"), dir / "whisper-base");
  fs::create_directory_symlink(data_path("models/speecht5-tiny-random"), dir / "speecht5_tts");
  fs::create_directory_symlink(data_path("models/hifigan-tiny-random"), dir / "speecht5_hifigan");
  fs::create_directory_symlink(data_path("models/nllb-tiny-random"), dir / "nllb-600m");
  fs::create_directory_symlink(data_path("models/marian-tiny-random"), dir / "opus-mt");
  fs::create_directory_symlink(data_path("models/vits-tiny-random"), dir / "mms-tts");
  return dir;
}

int64_t safetensors_bytes(const fs::path& dir) {
  int64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") n += static_cast<int64_t>(e.file_size());
  return n;
}

void expect_positive_number(const json& figures, const std::string& key) {
  ASSERT_TRUE(figures.contains(key)) << key << " missing from " << figures.dump();
  ASSERT_TRUE(figures.at(key).is_number()) << key << " is " << figures.at(key).dump();
  const double v = figures.at(key).get<double>();
  EXPECT_TRUE(std::isfinite(v) && v > 0) << key << " = " << v;
}

TEST(BenchProgram, EveryStageRunsAndTheJsonFileHoldsWhatStdoutShows) {
  const fs::path models = tiny_models_folder();
  const fs::path json_file = models / "figures.json";
  const auto r = bench({"--models", models.string(), "--repeats", "1", "--threads", "2", "--json", json_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("precision"), "f32");
  EXPECT_EQ(out.at("threads"), 2);
  const json& p = out.at("parley");
  for (const char* key : {"load_s", "load_whisper_s", "load_tts_s", "load_vocoder_s", "features_s", "encoder_s",
                          "decoder_token_s", "tts_step_s", "vocoder_rtf", "e2e_10s_s", "ttfa_60s_s", "peak_rss_bytes"})
    expect_positive_number(p, key);
  EXPECT_EQ(p.at("tts_steps"), 100);  // the fixed workload: synthesis never stops early
  EXPECT_EQ(p.at("f32_weight_bytes").get<int64_t>(),
            safetensors_bytes(models / "whisper-base") + safetensors_bytes(models / "speecht5_tts") +
                safetensors_bytes(models / "speecht5_hifigan"));
  std::ifstream in(json_file);
  ASSERT_TRUE(in) << "no " << json_file;
  EXPECT_EQ(json::parse(in), out);
}

TEST(BenchProgram, OnlyTimesThePartAsked) {
  const fs::path models = tiny_models_folder();
  const auto r = bench({"--models", models.string(), "--repeats", "1", "--only", "vocoder", "--precision", "int8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("precision"), "int8");
  const json& p = out.at("parley");
  expect_positive_number(p, "vocoder_rtf");
  for (const char* absent : {"encoder_s", "decoder_token_s", "tts_step_s", "e2e_10s_s", "ttfa_60s_s"})
    EXPECT_FALSE(p.contains(absent)) << absent;
}

// The X->Y parts run only when asked for, each alone (its own peak memory), with every figure the
// report needs.
TEST(BenchProgram, TranslationAndVitsPartsReportTheirFigures) {
  const fs::path models = tiny_models_folder();
  auto r = bench({"--models", models.string(), "--repeats", "1", "--only", "mt", "--precision", "bf16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json p = json::parse(r.out).at("parley");
  expect_positive_number(p, "bandwidth_gb_s");
  expect_positive_number(p, "peak_rss_bytes");
  for (const char* model : {"nllb-600m", "opus-mt"}) {
    SCOPED_TRACE(model);
    for (const char* key : {"load_s", "encoder_s", "decoder_token_s", "decoder_beam4_step_s", "decoder_weight_bytes"})
      expect_positive_number(p.at(model), key);
  }
  EXPECT_FALSE(p.contains("encoder_s"));  // no English stage
  r = bench({"--models", models.string(), "--repeats", "1", "--only", "vits"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  p = json::parse(r.out).at("parley");
  for (const char* key : {"load_s", "paragraph_s", "audio_s", "rtf", "ttfa_s", "peak_rss_bytes"}) expect_positive_number(p, key);
  EXPECT_EQ(p.at("sentences"), 3);
}

TEST(BenchProgram, ErrorReportComparesReducedPrecisionsWithF32OnTheGoldens) {
  const auto r = bench({"--error-report", data_path("").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_FALSE(out.contains("parley"));  // no --models: the report alone
  // Positions: one per token of every golden sequence that has its features in the fixtures.
  std::ifstream in(data_path("cases/whisper-tiny-random/golden.json"));
  const json golden = json::parse(in);
  int64_t positions = 0;
  for (const auto& c : golden.at("cases")) {
    const std::string name = fs::path(c.at("audio").get<std::string>()).stem().string();
    if (!fs::exists(data_path("cases/whisper-tiny-random/" + name + ".features.npy"))) continue;
    for (const auto& run : c.at("runs")) positions += static_cast<int64_t>(run.at("sequence").size());
  }
  ASSERT_GT(positions, 0);
  for (const char* precision : {"bf16", "int8"}) {
    SCOPED_TRACE(precision);
    const json& e = out.at("error_report").at(precision);
    EXPECT_EQ(e.at("positions").get<int64_t>(), positions);
    const double max_diff = e.at("max_logit_diff"), mean_diff = e.at("mean_logit_diff");
    const double agreement = e.at("token_agreement");
    // Reduced precision differs from f32, by amounts of the README's order (bf16 0.017, int8 0.057).
    EXPECT_GT(mean_diff, 0);
    EXPECT_LE(mean_diff, max_diff);
    EXPECT_LT(max_diff, 0.2);
    EXPECT_GT(agreement, 0.95);
    EXPECT_LE(agreement, 1.0);
  }
}

TEST(BenchProgram, BadOptionsAreUsageErrors) {
  const fs::path models = tiny_models_folder();
  struct Case {
    std::vector<std::string> args;
    std::string names;  // what the first line of stderr must mention
  };
  const std::vector<Case> cases = {
      {{"--models", models.string(), "--threads", "many"}, "--threads"},
      {{"--models", models.string(), "--repeats", "0"}, "--repeats"},
      {{"--models", models.string(), "--only", "everything"}, "--only"},
      {{"--models", (models / "missing").string()}, "--models"},
      {{"--models", models.string(), "--precision", "f16"}, "unknown precision 'f16'"},
      {{}, "--models"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.names);
    const auto r = bench(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    const std::string first_line = r.err.substr(0, r.err.find('\n'));
    EXPECT_NE(first_line.find(c.names), std::string::npos) << r.err;
  }
  const auto help = bench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"--models", "--precision", "--threads", "--repeats", "--json", "--error-report", "--only"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

}  // namespace
}  // namespace parley::test
