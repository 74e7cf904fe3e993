// The SpeechT5 tokenizer against the reference's ids (tools/make_speecht5_goldens.py recorded them
// with transformers 4.27.1 for every SpeechT5 tokenizer in tests/data).
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "text/speecht5_tokenizer.h"

namespace parley {
namespace {

TEST(SpeechT5Tokenizer, MatchesTheReferenceOnTrickyText) {
  const auto golden = nlohmann::json::parse(read_file(test::data_path("cases/speecht5-tokenizer/golden.json")));
  ASSERT_GE(golden.at("models").size(), 3u);
  for (const auto& [model, cases] : golden.at("models").items()) {
    const SpeechT5Tokenizer tok = SpeechT5Tokenizer::load(test::data_path("models/" + model));
    for (const auto& c : cases) {
      const std::string text = c.at("text").get<std::string>();
      EXPECT_EQ(tok.encode(text), c.at("ids").get<std::vector<int>>()) << model << ": '" << text << "'";
    }
  }
}

TEST(SpeechT5Tokenizer, DoesNotAppendEndOfSequence) {
  // transformers 4.27.1 adds no </s> (later versions do); the fixture's golden ids end with '!'.
  const SpeechT5Tokenizer tok = SpeechT5Tokenizer::load(test::data_path("models/speecht5-tiny-random"));
  const std::vector<int> ids = tok.encode("Hi!");
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(ids.back(), 2);
}

TEST(SpeechT5Tokenizer, SpeakableMeansAKnownOrdinaryCharacter) {
  const SpeechT5Tokenizer tok = SpeechT5Tokenizer::load(test::data_path("models/speecht5-tiny-random"));
  EXPECT_TRUE(tok.has_speakable(tok.encode("a")));
  EXPECT_FALSE(tok.has_speakable(tok.encode("")));
  EXPECT_FALSE(tok.has_speakable(tok.encode("   ")));
  EXPECT_FALSE(tok.has_speakable(tok.encode("\xe6\x97\xa5\xe6\x9c\xac \xc3\xa9")));  // unknown characters only
  EXPECT_FALSE(tok.has_speakable(tok.encode("<mask> </s>")));                       // special tokens only
  EXPECT_EQ(tok.unk_id(), 3);
  EXPECT_EQ(tok.vocab_size(), 80);
}

// Letters the model lacks: listed once each (whitespace never), and folded to their base letter where
// the model has it, as the audio course's fine-tuning recipe maps its data; what the model knows stays.
TEST(SpeechT5Tokenizer, UnknownCharactersAreListedAndAccentsFolded) {
  const SpeechT5Tokenizer tok = SpeechT5Tokenizer::load(test::data_path("models/speecht5-small-a"));
  const std::string text = "Caf\u00e9 in M\u00fcnchen, caf\u00e9 \u00df \u65e5\u3000ok";
  EXPECT_EQ(tok.unknown_characters(text),
            (std::vector<std::string>{"\u00e9", "\u00fc", "\u00df", "\u65e5"}));
  EXPECT_EQ(tok.fold_unknown(text), "Cafe in Munchen, cafe \u00df \u65e5\u3000ok");
  EXPECT_EQ(tok.unknown_characters(tok.fold_unknown(text)), (std::vector<std::string>{"\u00df", "\u65e5"}));
  EXPECT_EQ(tok.fold_unknown("Plain text."), "Plain text.");
  EXPECT_TRUE(tok.unknown_characters("Plain text.").empty());
}

TEST(SpeechT5Tokenizer, RejectsInvalidUtf8) {
  const SpeechT5Tokenizer tok = SpeechT5Tokenizer::load(test::data_path("models/speecht5-tiny-random"));
  try {
    tok.encode("abc\xff\xfe");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos);
  }
}

TEST(SpeechT5Tokenizer, CorruptModelFileIsABadModel) {
  const auto dir = test::temp_dir("spm");
  write_file_atomic(dir / "spm_char.model", "this is not a protobuf");
  try {
    SpeechT5Tokenizer::load(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
  }
  std::filesystem::remove(dir / "spm_char.model");
  EXPECT_THROW(SpeechT5Tokenizer::load(dir), Error);  // missing
}

}  // namespace
}  // namespace parley
