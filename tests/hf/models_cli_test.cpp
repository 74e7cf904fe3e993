// `parley models download` and `parley models list`, run as a user would, against a Hub on loopback.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "hub_test_util.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct ModelsCli : ::testing::Test {
  FakeHub hub;
  FakeRepo hifigan = repo_from_folder("parley-test/hifigan-tiny-random", data_path("models/hifigan-tiny-random"));
  FakeRepo speecht5 = repo_from_folder("parley-test/speecht5-tiny-random", data_path("models/speecht5-tiny-random"));
  fs::path cache = temp_dir("hub-cli");
  ScopedEnv endpoint{"HF_ENDPOINT", hub.endpoint()};
  ScopedEnv cache_env{"HF_HUB_CACHE", cache.string()};
  ScopedEnv offline{"HF_HUB_OFFLINE", std::nullopt};
  ScopedEnv token{"HF_TOKEN", std::nullopt};
  ScopedEnv retry_fast{"HF_HUB_DOWNLOAD_TIMEOUT", "5"};

  void SetUp() override {
    hub.add_repo(hifigan);
    hub.add_repo(speecht5);
  }
};

TEST_F(ModelsCli, DownloadThenList) {
  RunResult r = run_parley({"models", "download", "parley-test/hifigan-tiny-random", "parley-test/speecht5-tiny-random"}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "parley-test/hifigan-tiny-random: 2 files")) << r.out;
  EXPECT_TRUE(contains(r.out, "parley-test/speecht5-tiny-random: 6 files")) << r.out;
  EXPECT_TRUE(contains(r.out, (cache / "models--parley-test--hifigan-tiny-random" / "snapshots" / hifigan.commit).string()));
  EXPECT_EQ(r.err, "");  // stderr is not a terminal here: no progress bar
  fs::path weights = cache / "models--parley-test--hifigan-tiny-random" / "snapshots" / hifigan.commit / "model.safetensors";
  EXPECT_EQ(read_file(weights), hifigan.files.at("model.safetensors").content);

  r = run_parley({"models", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Hugging Face cache: " + cache.string())) << r.out;
  EXPECT_TRUE(contains(r.out, "MODEL")) << r.out;
  for (const auto* repo : {&hifigan, &speecht5}) {
    bool found = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (contains(line, repo->id) && contains(line, "main") && contains(line, repo->commit.substr(0, 12)) &&
          contains(line, "complete"))
        found = true;
    EXPECT_TRUE(found) << repo->id << " missing from:\n" << r.out;
  }
  r = run_parley({"models", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][0]["model"], "parley-test/hifigan-tiny-random");
  EXPECT_EQ(j["models"][0]["complete"], true);
  EXPECT_EQ(j["models"][0]["size_bytes"].get<uint64_t>(),
            hifigan.files.at("config.json").content.size() + hifigan.files.at("model.safetensors").content.size());
}

TEST_F(ModelsCli, DefaultModelsAreTheThreeOfTheDemo) {
  // The fake Hub does not have them: the 404s name exactly the default models, one line each.
  RunResult r = run_parley({"models", "download"}, 120);
  EXPECT_EQ(r.exit_code, 1);
  for (const char* name : {"openai/whisper-base", "microsoft/speecht5_tts", "microsoft/speecht5_hifigan"})
    EXPECT_TRUE(contains(r.err, "parley: error: no model " + std::string(name) + " on the Hub (HTTP 404)\n")) << r.err;
}

TEST_F(ModelsCli, OfflineAndErrors) {
  ScopedEnv off("HF_HUB_OFFLINE", "1");
  RunResult r = run_parley({"models", "download", "parley-test/hifigan-tiny-random"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "HF_HUB_OFFLINE")) << r.err;
  EXPECT_TRUE(hub.requests().empty());

  r = run_parley({"models", "list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "no models in the Hugging Face cache")) << r.out;

  r = run_parley({"models", "download", "../../etc/passwd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "parley: error: not a Hub model name")) << r.err;
}

TEST_F(ModelsCli, InterruptedDownloadResumesInTheNextRun) {
  ScopedEnv slow("HF_HUB_DOWNLOAD_TIMEOUT", "1");
  hub.stall("model.safetensors", 6000, 1);
  RunResult r = run_parley({"models", "download", "parley-test/hifigan-tiny-random"}, 60);
  // With retries the run itself resumes after the stall; either way the file ends up complete.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool resumed = false;
  for (const auto& rec : hub.requests())
    if (rec.server == "cdn" && contains(rec.range, "bytes=")) resumed = true;
  EXPECT_TRUE(resumed);
  fs::path weights = cache / "models--parley-test--hifigan-tiny-random" / "snapshots" / hifigan.commit / "model.safetensors";
  EXPECT_EQ(read_file(weights), hifigan.files.at("model.safetensors").content);
}

}  // namespace
}  // namespace parley::test
