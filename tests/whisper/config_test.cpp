// WhisperConfig: ids read from the files (not assumed), the fallbacks to the tokenizer's added
// tokens, and one-line errors naming the file and the key.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "whisper/config.h"

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

TEST(WhisperConfig, ErrorsNameTheFileAndTheKey) {
  {
    fs::path dir = json_copy("whisper-config-nokey");
    json cfg = read_json(dir / "config.json");
    cfg.erase("d_model");
    write_json(dir / "config.json", cfg);
    std::string e = error_of(dir);
    EXPECT_NE(e.find("config.json"), std::string::npos) << e;
    EXPECT_NE(e.find("d_model"), std::string::npos) << e;
  }
  {
    fs::path dir = json_copy("whisper-config-heads");
    json cfg = read_json(dir / "config.json");
    cfg["decoder_attention_heads"] = 5;
    write_json(dir / "config.json", cfg);
    EXPECT_NE(error_of(dir).find("decoder_attention_heads"), std::string::npos);
  }
  {
    fs::path dir = json_copy("whisper-config-id");
    json gen = read_json(dir / "generation_config.json");
    gen["eos_token_id"] = 60000;
    write_json(dir / "generation_config.json", gen);
    std::string e = error_of(dir);
    EXPECT_NE(e.find("generation_config.json"), std::string::npos) << e;
    EXPECT_NE(e.find("eos_token_id"), std::string::npos) << e;
  }
  {
    fs::path dir = json_copy("whisper-config-mels");
    json pre = read_json(dir / "preprocessor_config.json");
    pre["feature_size"] = 128;
    write_json(dir / "preprocessor_config.json", pre);
    std::string e = error_of(dir);
    EXPECT_NE(e.find("preprocessor_config.json"), std::string::npos) << e;
    EXPECT_NE(e.find("feature_size"), std::string::npos) << e;
  }
  {
    fs::path dir = json_copy("whisper-config-missing");
    fs::remove(dir / "config.json");
    EXPECT_NE(error_of(dir).find("config.json"), std::string::npos);
  }
  {
    fs::path dir = json_copy("whisper-config-type");
    json gen = read_json(dir / "generation_config.json");
    gen["suppress_tokens"] = "none";
    write_json(dir / "generation_config.json", gen);
    EXPECT_NE(error_of(dir).find("suppress_tokens"), std::string::npos);
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
