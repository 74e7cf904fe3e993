// Whisper's language codes and names (whisper/languages.h) through the product's language table:
// Whisper's own names kept exactly (tests/data/languages/whisper_languages.txt, from openai-whisper),
// and any form of a language accepted where a Whisper code is.
#include "whisper/languages.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/test_util.h"
#include "core/error.h"
#include "whisper/config.h"

namespace parley::whisper {
namespace {

std::string error_of(const WhisperConfig& c, const std::string& language) {
  try {
    c.language_id(language);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << language;
  return "";
}

TEST(WhisperLanguages, NamesAreWhispersOwn) {
  std::ifstream in(test::data_path("languages/whisper_languages.txt"));
  int rows = 0;
  for (std::string line; std::getline(in, line); ++rows) {
    const std::string code = line.substr(0, line.find('\t')), name = line.substr(line.find('\t') + 1);
    EXPECT_EQ(language_name(code).value_or("?"), name) << code;
    EXPECT_EQ(language_code_of_name(name).value_or("?"), code) << name;
  }
  EXPECT_EQ(rows, 100);
  EXPECT_FALSE(language_name("fra"));  // a code, but not Whisper's
  EXPECT_FALSE(language_name(""));
  EXPECT_FALSE(language_code_of_name("Acehnese"));  // a language Whisper lacks
}

TEST(WhisperLanguages, AnyFormOfALanguage) {
  EXPECT_EQ(language_code_of_name("ita"), "it");
  EXPECT_EQ(language_code_of_name("zh-TW"), "zh");  // Whisper's zh writes either script
  EXPECT_EQ(language_code_of_name("jav_Latn"), "jw");
  const WhisperConfig c = WhisperConfig::load(test::data_path("models/whisper-tiny-random"));
  EXPECT_EQ(c.language_id("French"), c.language_id("fr"));
  EXPECT_EQ(c.language_id("fra"), c.language_id("fr"));
  EXPECT_EQ(c.language_id("__fr__"), c.language_id("fr"));
  EXPECT_EQ(error_of(c, "frnch"), "unknown language 'frnch' (did you mean fr (French)?)");
  EXPECT_EQ(error_of(c, "ace"), "Whisper does not know ace (Acehnese)");
  EXPECT_NE(error_of(c, "Cantonese").find("this model has no token for yue (Cantonese)"), std::string::npos);
}

}  // namespace
}  // namespace parley::whisper
