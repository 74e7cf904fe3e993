// UTF-8 helpers against Python's bytes.decode("utf-8", errors=...) (goldens from
// tools/make_tokenizer_goldens.py).
#include "text/utf8.h"

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"

namespace parley {
namespace {

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(Utf8, MatchesPythonDecodeOnEdgeCasesAndDamagedText) {
  const auto golden = nlohmann::json::parse(read_file(test::data_path("cases/tokenizer/golden.json")));
  const auto& cases = golden.at("utf8");
  ASSERT_GT(cases.size(), 300u);
  for (const auto& c : cases) {
    const std::string bytes = from_hex(c.at("hex").get<std::string>());
    SCOPED_TRACE(c.at("hex").get<std::string>());
    EXPECT_EQ(utf8::is_valid(bytes), c.at("valid").get<bool>());
    EXPECT_EQ(utf8::decode_lossy(bytes), c.at("replace").get<std::string>());
    std::string ignored;
    utf8::append_decoded(ignored, bytes, utf8::OnError::Ignore);
    EXPECT_EQ(ignored, c.at("ignore").get<std::string>());
    if (c.at("valid").get<bool>()) {
      EXPECT_NO_THROW(utf8::require_valid(bytes, "x"));
    } else {
      EXPECT_THROW(utf8::require_valid(bytes, "x"), Error);
      std::string strict;
      EXPECT_THROW(utf8::append_decoded(strict, bytes, utf8::OnError::Strict), Error);
    }
  }
}

TEST(Utf8, FirstInvalidReportsTheOffset) {
  EXPECT_EQ(utf8::first_invalid("abc"), std::nullopt);
  EXPECT_EQ(utf8::first_invalid(std::string("ab\xC3", 3)), 2u);
  EXPECT_EQ(utf8::first_invalid(std::string("\xE2\x82\xAC\xED\xA0\x80", 6)), 3u);  // a surrogate after "€"
  try {
    utf8::require_valid(std::string("ok\xFF", 3), "the text");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_STREQ(e.what(), "the text is not valid UTF-8 (byte 2)");
  }
}

TEST(Utf8, CodePointsRoundTrip) {
  for (char32_t cp : {U'\0', U'A', U'\u00E9', U'\u0800', U'\uFFFD', U'\U00010000', U'\U0001F642', U'\U0010FFFF'}) {
    std::string s;
    utf8::append_code_point(s, cp);
    ASSERT_TRUE(utf8::is_valid(s));
    size_t pos = 0;
    EXPECT_EQ(utf8::next_code_point(s, pos), cp);
    EXPECT_EQ(pos, s.size());
  }
}

}  // namespace
}  // namespace parley
