// whisper.cpp's habits on `parley transcribe`: -m -l -t -tr, and -otxt -osrt -ovtt -ojson [-of NAME]
// writing files beside the input (AUDIO.srt, as whisper.cpp names them) or at NAME.ext.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/cli_fixtures.h"
#include "core/files.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;

TEST(WhisperCppFlags, OutputFlagsWriteFilesBesideTheInput) {
  const fs::path dir = temp_dir("wcpp-beside");
  const fs::path audio = dir / "jfk.wav";
  fs::copy_file(data_path("audio/jfk.wav"), audio);
  fs::remove("srt");  // what an earlier, wrong run may have left in the working folder
  const auto r = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "-l", "en", "-t", "1",
                             "--max-new-tokens", "16", "-otxt", "-osrt", audio.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "jfk.wav.txt"));
  ASSERT_TRUE(fs::exists(dir / "jfk.wav.srt"));
  EXPECT_NE(read_file(dir / "jfk.wav.srt").find(" --> "), std::string::npos);
  EXPECT_FALSE(fs::exists("srt"));  // never "-o srt"
  EXPECT_FALSE(fs::exists(dir / "srt"));
  EXPECT_FALSE(fs::exists("txt"));
}

TEST(WhisperCppFlags, OutputFileNamesTheFilesAndTranslateSetsTheTask) {
  const fs::path dir = temp_dir("wcpp-of");
  const auto r = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "-tr", "--max-new-tokens", "16",
                             "-ovtt", "-ojson", "-of", (dir / "result").string(), data_path("audio/jfk.wav").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "result.vtt").rfind("WEBVTT", 0), 0u);
  const auto j = nlohmann::json::parse(read_file(dir / "result.json"));
  EXPECT_EQ(j["task"], "translate");
}

TEST(WhisperCppFlags, OutputFileWithoutAFormatIsAUsageError) {
  const auto r = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "-of", "x",
                             data_path("audio/jfk.wav").string()});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "-otxt");
}

}  // namespace
}  // namespace parley::test
