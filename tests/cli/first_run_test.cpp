// A machine without the models and without the Hub: one message naming every missing model and the
// three ways forward, quickly (no download retries to sit through), exit 1.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "cli/cli_fixtures.h"

namespace parley::test {
namespace {

TEST(FirstRun, MissingModelsAndNoHubGiveOneMessageWithTheWaysForward) {
  const auto home = temp_dir("first-run-home");
  setenv("HF_HOME", home.c_str(), 1);
  setenv("HF_ENDPOINT", "http://127.0.0.1:1", 1);  // a closed port: nothing listens on tcpmux
  for (const char* v : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}) unsetenv(v);
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_parley({"translate", data_path("audio/jfk.wav").string(), "-o",
                             (home / "out.wav").string()},
                            60);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1);
  expect_one_line_error(r, "openai/whisper-base microsoft/speecht5_tts microsoft/speecht5_hifigan");
  const std::string cache = (home / "hub").string();
  for (const std::string& way : {std::string("--asr-model DIR"), std::string("parley models download"), cache,
                                 std::string("HF_ENDPOINT")})
    EXPECT_NE(r.err.find(way), std::string::npos) << way << " not in " << r.err;
  EXPECT_LT(seconds, 10.0);
}

}  // namespace
}  // namespace parley::test
