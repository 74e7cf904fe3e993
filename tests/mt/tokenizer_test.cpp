// The three translation tokenizers against transformers 4.27.1's ids and text (tests/data/cases/
// {nllb,m2m100,marian}-tiny-random/golden.json: input_ids per case, NLLB's plain `tokenizer[]` ids,
// and each run's decoded text).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "mt/tokenizer.h"

namespace parley::mt {
namespace {

using nlohmann::json;

json golden(const std::string& model) {
  return json::parse(read_file(test::data_path("cases/" + model + "/golden.json")));
}

MtTokenizer load(const std::string& model) { return MtTokenizer::load(test::data_path("models/" + model)); }

int language_id(const MtTokenizer& tok, const std::string& code) {
  const LanguageToken* t = tok.language_token(text::resolve_language(code));
  if (!t) throw std::runtime_error("no token for " + code);
  return t->id;
}

// Encoder input and decoded text of every case of a NLLB or M2M100 golden.
void check_multilingual(const std::string& model) {
  const MtTokenizer tok = load(model);
  const json g = golden(model);
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int src = language_id(tok, c["src_lang"]);
    EXPECT_EQ(tok.encode_source(c["text"].get<std::string>(), src), c["input_ids"].get<std::vector<int>>());
    EXPECT_EQ(c["decoder_prefix"][1].get<int>(), language_id(tok, c["tgt_lang"]));
    for (const auto& r : c["runs"]) EXPECT_EQ(tok.decode(r["sequence"].get<std::vector<int>>()), r["text"]);
  }
}

TEST(MtTokenizer, NllbMatchesReferenceIds) {
  check_multilingual("nllb-tiny-random");
  const MtTokenizer tok = load("nllb-tiny-random");
  EXPECT_EQ(tok.kind(), TokenizerKind::Nllb);
  const json g = golden("nllb-tiny-random");
  EXPECT_EQ(tok.language_tokens().front().id, g["lang_codes_first_id"].get<int>());
  EXPECT_EQ(tok.size(), g["vocab_size"].get<int>());
  for (const auto& t : g["tokenizer"]) {  // accents, Cyrillic, CJK, leading/trailing spaces
    SCOPED_TRACE(t["text"].get<std::string>());
    EXPECT_EQ(tok.encode(t["text"].get<std::string>()), t["ids"].get<std::vector<int>>());
  }
}

TEST(MtTokenizer, M2M100MatchesReferenceIds) {
  check_multilingual("m2m100-tiny-random");
  const MtTokenizer tok = load("m2m100-tiny-random");
  EXPECT_EQ(tok.kind(), TokenizerKind::M2M100);
  EXPECT_EQ(tok.language_tokens().front().id, golden("m2m100-tiny-random")["lang_token_first_id"].get<int>());
  EXPECT_EQ(tok.language_tokens().front().token, "__af__");
}

TEST(MtTokenizer, MarianMatchesReferenceIds) {
  const MtTokenizer tok = load("marian-tiny-random");
  EXPECT_EQ(tok.kind(), TokenizerKind::Marian);
  const json g = golden("marian-tiny-random");
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    EXPECT_EQ(tok.encode_source(c["text"].get<std::string>(), std::nullopt), c["input_ids"].get<std::vector<int>>());
    // Decoding uses target.spm; a piece it lacks comes back as written ("▁f" in case3's default run).
    for (const auto& r : c["runs"]) EXPECT_EQ(tok.decode(r["sequence"].get<std::vector<int>>()), r["text"]);
  }
  EXPECT_EQ(tok.eos_id(), 0);
  EXPECT_EQ(tok.pad_id(), 259);
}

TEST(MtTokenizer, EmptyTextIsOnlyTheMarkers) {
  const MtTokenizer tok = load("nllb-tiny-random");
  const int eng = language_id(tok, "en");
  EXPECT_EQ(tok.encode_source("", eng), (std::vector<int>{eng, 2}));
  EXPECT_EQ(tok.decode(std::vector<int>{2, eng, 2}), "");
}

TEST(MtTokenizer, CleanUpTokenizationJoinsPunctuation) {
  EXPECT_EQ(clean_up_tokenization("Hello , world ! I do n't know ."), "Hello, world! I don't know.");
}

TEST(MtTokenizer, InvalidUtf8IsBadInput) {
  const MtTokenizer tok = load("marian-tiny-random");
  try {
    tok.encode("abc\xff");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  }
}

TEST(MtTokenizer, GarbageSentencePieceFileIsBadModel) {
  const auto dir = test::temp_dir("mt_garbage_spm");
  for (const char* f : {"vocab.json", "tokenizer_config.json", "target.spm"})
    std::filesystem::copy_file(test::data_path(std::string("models/marian-tiny-random/") + f), dir / f);
  std::ofstream(dir / "source.spm") << "this is not a protobuf";
  try {
    MtTokenizer::load(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel);
    EXPECT_NE(std::string(e.what()).find("source.spm"), std::string::npos) << e.what();
  }
}

TEST(MtTokenizer, GarbageVocabIsBadModel) {
  const auto dir = test::temp_dir("mt_garbage_vocab");
  for (const char* f : {"sentencepiece.bpe.model", "tokenizer_config.json"})
    std::filesystem::copy_file(test::data_path(std::string("models/m2m100-tiny-random/") + f), dir / f);
  std::ofstream(dir / "vocab.json") << "{\"a\": \"not an id\"}";
  EXPECT_THROW(MtTokenizer::load(dir), Error);
  std::ofstream(dir / "vocab.json") << "[1, 2";
  EXPECT_THROW(MtTokenizer::load(dir), Error);
}

}  // namespace
}  // namespace parley::mt
