// parley translate-text through the real binary: the MT goldens via --no-split --json (token for
// token; runs with a tiny min_top2_margin are included and match), and the bad inputs of issue 16.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"

namespace parley::test {
namespace {

using nlohmann::json;

std::string model(const std::string& name) { return data_path("models/" + name).string(); }

// Greedy runs of each model (beams 1), compared with the whole returned sequence.
TEST(TranslateTextCli, GoldenGreedyRunsTokenForToken) {
  for (const std::string name : {"nllb-tiny-random", "m2m100-tiny-random", "marian-tiny-random"}) {
    const json g = json::parse(read_file(data_path("cases/" + name + "/golden.json")));
    for (const auto& c : g["cases"]) {
      for (const auto& r : c["runs"]) {
        if (r["name"] != "greedy") continue;
        SCOPED_TRACE(name + " " + c["name"].get<std::string>());
        std::vector<std::string> args = {"translate-text", "--model", model(name), "--no-split", "--json", "--beams", "1",
                                         "--max-new-tokens", std::to_string(r["generate_kwargs"]["max_new_tokens"].get<int>())};
        if (c.contains("src_lang")) {
          args.insert(args.end(), {"--from", c["src_lang"].get<std::string>(), "--to", c["tgt_lang"].get<std::string>()});
        }
        args.push_back(c["text"].get<std::string>());
        const RunResult out = run_parley(args, 60);
        ASSERT_EQ(out.exit_code, 0) << out.err;
        const json j = json::parse(out.out);
        EXPECT_EQ(j["tokens"], r["sequence"]);
        EXPECT_EQ(j["text"], r["text"]);
      }
    }
  }
}

TEST(TranslateTextCli, BadInputsAreOneLineErrors) {
  const std::string nllb = model("nllb-tiny-random");
  expect_one_line_error(run_parley({"translate-text", "--model", nllb, "--from", "it", "--to", "en", ""}, 60), "empty");
  expect_one_line_error(run_parley({"translate-text", "--model", nllb, "--from", "it", "--to", "en", "   "}, 60), "empty");
  expect_one_line_error(run_parley({"translate-text", "--model", nllb, "--from", "it", "ciao"}, 60), "--to");
  expect_one_line_error(run_parley({"translate-text", "--model", nllb, "--from", "it", "--to", "xx", "ciao"}, 60), "xx");
  // Marian de-en cannot translate into French.
  expect_one_line_error(run_parley({"translate-text", "--model", model("marian-tiny-random"), "--to", "fr", "Hallo"}, 60),
                        "fr");
}

TEST(TranslateTextCli, BrokenModelFoldersAreOneLineErrors) {
  const auto missing = temp_dir("tt_missing");
  for (const auto& e : std::filesystem::directory_iterator(data_path("models/marian-tiny-random")))
    if (e.path().filename() != "target.spm") std::filesystem::copy_file(e.path(), missing / e.path().filename());
  expect_one_line_error(run_parley({"translate-text", "--model", missing.string(), "Hallo"}, 60), "target.spm");

  const auto truncated = temp_dir("tt_truncated");
  for (const auto& e : std::filesystem::directory_iterator(data_path("models/marian-tiny-random")))
    std::filesystem::copy_file(e.path(), truncated / e.path().filename());
  std::filesystem::resize_file(truncated / "model.safetensors", 4000);
  expect_one_line_error(run_parley({"translate-text", "--model", truncated.string(), "Hallo"}, 60), "model.safetensors");

  const auto garbage = temp_dir("tt_garbage");
  for (const auto& e : std::filesystem::directory_iterator(data_path("models/nllb-tiny-random")))
    std::filesystem::copy_file(e.path(), garbage / e.path().filename());
  std::ofstream(garbage / "sentencepiece.bpe.model", std::ios::trunc) << "garbage";
  expect_one_line_error(
      run_parley({"translate-text", "--model", garbage.string(), "--from", "it", "--to", "en", "ciao"}, 60),
      "sentencepiece.bpe.model");
}

TEST(TranslateTextCli, ReadsStdinAndSplitsSentences) {
  const RunResult out = run_parley({"translate-text", "--model", model("marian-tiny-random"), "--json",
                                    "--max-new-tokens", "4", "-"}, 60, "Guten Morgen! Wie geht's?");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const json j = json::parse(out.out);
  ASSERT_EQ(j["sentences"].size(), 2u);
  EXPECT_EQ(j["sentences"][0]["source"], "Guten Morgen!");
  EXPECT_FALSE(j.contains("tokens"));
}

}  // namespace
}  // namespace parley::test
