// parley doctor: the models on disk (a local folder is ready, a Hub name not in an empty cache is
// missing), the CPU features and the threads a run would use.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/cli_fixtures.h"

namespace parley::test {
namespace {

TEST(Doctor, ReportsModelsOnDiskAndTheMachine) {
  const auto home = temp_dir("doctor-home");
  setenv("HF_HOME", home.c_str(), 1);
  for (const char* v : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) unsetenv(v);
  const auto r = run_parley({"doctor", "--asr-model", model("whisper-tiny-random"), "-t", "1"}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model " + model("whisper-tiny-random") + ": ready"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model microsoft/speecht5_tts: missing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((home / "hub").string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CPU features:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threads: 1;"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace parley::test
