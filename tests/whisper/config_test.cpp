// WhisperConfig: ids read from the files (not assumed), the fallbacks to the tokenizer's added
// tokens, and one-line errors naming the file and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "whisper/config.h"
#include "whisper/languages.h"

namespace parley::whisper {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

WhisperConfig load(const std::string& model) { return WhisperConfig::load(test::data_path("models/" + model)); }

json read_json(const fs::path& p) { return json::parse(read_file(p)); }
void write_json(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(1); }

// A copy of the fixture model's JSON files (no weights) that a test can edit.
fs::path json_copy(const std::string& tag) {
  fs::path dir = test::temp_dir(tag);
  const fs::path src = test::data_path("models/whisper-tiny-random");
  for (const char* f : {"config.json", "generation_config.json", "preprocessor_config.json", "added_tokens.json"})
    fs::copy_file(src / f, dir / f);
  return dir;
}

std::string error_of(const fs::path& dir) {
  try {
    WhisperConfig::load(dir);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel);
    return e.what();
  }
  return "(no error)";
}

TEST(WhisperConfig, FixtureModel) {
  WhisperConfig c = load("whisper-tiny-random");
  EXPECT_EQ(c.d_model, 48);
  EXPECT_EQ(c.encoder_heads, 3);
  EXPECT_EQ(c.num_mel_bins, 80);
  EXPECT_EQ(c.vocab_size, 51865);
  EXPECT_EQ(c.feature_frames, 3000);
  EXPECT_EQ(c.decoder_start_token_id, 50258);
  EXPECT_EQ(c.eos_token_id, 50257);
  EXPECT_EQ(c.no_timestamps_token_id, 50363);
  EXPECT_EQ(c.timestamp_begin(), 50364);
  EXPECT_EQ(c.lang_to_id.size(), 99u);
  EXPECT_EQ(c.language_id("en"), 50259);
  EXPECT_EQ(c.language_id("<|it|>"), 50274);
  EXPECT_EQ(c.task_id("translate"), 50358);
  EXPECT_EQ(c.prev_token_id, 50361);
  EXPECT_EQ(c.no_speech_token_id, 50362);
  EXPECT_EQ(c.max_initial_timestamp_index, 50);
  EXPECT_EQ(c.max_length, 448);
  EXPECT_EQ(c.language_codes_by_id().front(), "en");
}

TEST(WhisperConfig, LargeV3LayoutShiftsTheSpecialIds) {
  WhisperConfig c = load("whisper-v3-random");
  EXPECT_EQ(c.vocab_size, 51866);
  EXPECT_EQ(c.num_mel_bins, 128);
  EXPECT_EQ(c.lang_to_id.size(), 100u);
  EXPECT_EQ(c.language_id("yue"), 50358);
  EXPECT_EQ(c.task_id("translate"), 50359);
  EXPECT_EQ(c.task_id("transcribe"), 50360);
  EXPECT_EQ(c.no_timestamps_token_id, 50364);
  EXPECT_EQ(c.timestamp_begin(), 50365);
}

TEST(WhisperConfig, MissingIdsComeFromTheAddedTokens) {
  // whisper-narrow-random's generation_config.json has no lang_to_id, task_to_id, no_timestamps_token_id.
  WhisperConfig narrow = load("whisper-narrow-random");
  WhisperConfig tiny = load("whisper-tiny-random");
  EXPECT_EQ(narrow.lang_to_id, tiny.lang_to_id);
  EXPECT_EQ(narrow.task_to_id, tiny.task_to_id);
  EXPECT_EQ(narrow.no_timestamps_token_id, tiny.no_timestamps_token_id);
  EXPECT_EQ(narrow.max_initial_timestamp_index, 10);
}

TEST(WhisperConfig, AddedTokensFromTokenizerJson) {
  fs::path dir = json_copy("whisper-config-tokjson");
  json added = read_json(dir / "added_tokens.json");
  fs::remove(dir / "added_tokens.json");
  json tok = {{"added_tokens", json::array()}};
  for (auto& [content, id] : added.items()) tok["added_tokens"].push_back({{"id", id}, {"content", content}, {"special", true}});
  write_json(dir / "tokenizer.json", tok);
  json gen = read_json(dir / "generation_config.json");
  for (const char* k : {"lang_to_id", "task_to_id", "no_timestamps_token_id"}) gen.erase(k);
  write_json(dir / "generation_config.json", gen);
  WhisperConfig c = WhisperConfig::load(dir);
  EXPECT_EQ(c.lang_to_id, load("whisper-tiny-random").lang_to_id);
  EXPECT_EQ(c.no_timestamps_token_id, 50363);
}

TEST(WhisperConfig, WithoutGenerationConfigTheModelConfigIsUsed) {
  fs::path dir = json_copy("whisper-config-nogen");
  fs::remove(dir / "generation_config.json");
  WhisperConfig c = WhisperConfig::load(dir);
  EXPECT_EQ(c.suppress_tokens, load("whisper-tiny-random").suppress_tokens);
  EXPECT_EQ(c.language_id("de"), 50261);  // from added_tokens.json
  EXPECT_EQ(c.task_id("transcribe"), 50359);
}

// One broken file per row: the error must name the file and the key.
struct BrokenFile {
  std::string file, key;  // where the error must point
  std::function<void(json&)> edit;  // applied to `file` (nullptr: the file is removed)
};

TEST(WhisperConfig, ErrorsNameTheFileAndTheKey) {
  const std::vector<BrokenFile> rows = {
      {"config.json", "d_model", [](json& j) { j.erase("d_model"); }},
      {"config.json", "decoder_attention_heads", [](json& j) { j["decoder_attention_heads"] = 5; }},
      {"config.json", "activation_function", [](json& j) { j["activation_function"] = "relu"; }},
      {"generation_config.json", "eos_token_id", [](json& j) { j["eos_token_id"] = 60000; }},
      {"generation_config.json", "suppress_tokens", [](json& j) { j["suppress_tokens"] = "none"; }},
      {"generation_config.json", "forced_decoder_ids", [](json& j) { j["forced_decoder_ids"] = {{1}}; }},
      {"preprocessor_config.json", "feature_size", [](json& j) { j["feature_size"] = 128; }},
      {"config.json", "config.json", nullptr},
  };
  int i = 0;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file + " " + row.key);
    fs::path dir = json_copy("whisper-config-error-" + std::to_string(i++));
    if (row.edit) {
      json j = read_json(dir / row.file);
      row.edit(j);
      write_json(dir / row.file, j);
    } else {
      fs::remove(dir / row.file);
    }
    const std::string e = error_of(dir);
    EXPECT_NE(e.find(row.file), std::string::npos) << e;
    EXPECT_NE(e.find(row.key), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(WhisperConfig, UnknownLanguageAndTaskAreUsageErrors) {
  WhisperConfig c = load("whisper-tiny-random");
  try {
    c.language_id("xx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("'xx'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.language_id("yue"), Error);  // not in the 51865-token vocabulary
  EXPECT_THROW(c.task_id("summarize"), Error);
}

}  // namespace
}  // namespace parley::whisper

namespace parley::whisper {
namespace {

TEST(WhisperConfig, LanguagesByName) {
  WhisperConfig c = load("whisper-tiny-random");
  EXPECT_EQ(c.language_id("Italian"), c.language_id("it"));
  EXPECT_EQ(c.language_id("castilian"), c.language_id("es"));
  EXPECT_THROW(c.language_id("cantonese"), Error);  // a name Whisper knows, not in this vocabulary
  EXPECT_EQ(load("whisper-v3-random").language_id("cantonese"), 50358);
  // Every language of both vocabularies has a name.
  for (const auto& code : load("whisper-v3-random").language_codes_by_id()) {
    auto name = language_name(code);
    ASSERT_TRUE(name) << code;
    EXPECT_EQ(language_code_of_name(*name), code);
  }
}

}  // namespace
}  // namespace parley::whisper
