// romanize() against uroman's own output (tests/data/romanization/<script>.tsv, written by
// tools/make_romanization_pairs.py with uroman's Perl original). Each script has a floor for the share
// of lines that come out exactly as uroman writes them and a ceiling for the character error rate
// (edit distance / length of uroman's line); the floors sit a little under what romanize() reaches
// today (docs/romanization.md), so that a change that loses agreement fails here.
#include "text/romanize.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "common/test_util.h"
#include "core/error.h"
#include "text/utf8.h"

namespace parley {
namespace {

struct Agreement {
  std::string script;
  double min_exact;  // share of lines equal to uroman's
  double max_cer;    // character error rate over the whole file
};

void PrintTo(const Agreement& a, std::ostream* os) { *os << a.script; }

std::u32string code_points(const std::string& s) {
  std::u32string out;
  for (size_t pos = 0; pos < s.size();) out.push_back(utf8::next_code_point(s, pos));
  return out;
}

size_t edit_distance(const std::u32string& a, const std::u32string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

class RomanizeAgreement : public ::testing::TestWithParam<Agreement> {};

TEST_P(RomanizeAgreement, AgreesWithUroman) {
  const Agreement& want = GetParam();
  std::ifstream in(test::data_path("romanization/" + want.script + ".tsv"));
  ASSERT_TRUE(in) << want.script;
  size_t lines = 0, exact = 0, errors = 0, length = 0;
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string reference = line.substr(tab + 1);
    std::string ours = text::romanize(line.substr(0, tab));
    while (!ours.empty() && ours.back() == ' ') ours.pop_back();  // the pairs keep no trailing spaces
    ++lines;
    if (ours == reference) ++exact;
    errors += edit_distance(code_points(ours), code_points(reference));
    length += code_points(reference).size();
    if (ours != reference) std::printf("  [%s] ours:   %s\n  [%s] uroman: %s\n", want.script.c_str(), ours.c_str(),
                                       want.script.c_str(), reference.c_str());
  }
  ASSERT_GE(lines, 8u);
  const double exact_share = static_cast<double>(exact) / lines;
  const double cer = static_cast<double>(errors) / length;
  std::printf("%s: %zu/%zu lines exact, character error rate %.4f\n", want.script.c_str(), exact, lines, cer);
  EXPECT_GE(exact_share, want.min_exact);
  EXPECT_LE(cer, want.max_cer);
}

// Measured values are in docs/romanization.md; these floors are a little under them.
INSTANTIATE_TEST_SUITE_P(Scripts, RomanizeAgreement,
                         ::testing::Values(Agreement{"arabic", 0.9, 0.005}, Agreement{"armenian", 0.75, 0.008},
                                           Agreement{"bengali", 0.85, 0.005}, Agreement{"cyrillic", 0.9, 0.003},
                                           Agreement{"devanagari", 0.95, 0.002}, Agreement{"ethiopic", 1.0, 0.001},
                                           Agreement{"georgian", 1.0, 0.001}, Agreement{"greek", 1.0, 0.001},
                                           Agreement{"han", 0.85, 0.015}, Agreement{"hangul", 1.0, 0.001},
                                           Agreement{"hebrew", 0.8, 0.035}, Agreement{"japanese", 0.95, 0.002},
                                           Agreement{"latin", 0.95, 0.002}, Agreement{"tamil", 0.85, 0.005},
                                           Agreement{"thai", 0.85, 0.04}),
                         [](const auto& info) { return info.param.script; });

TEST(Romanize, AsciiAndEmptyTextPassUnchanged) {
  EXPECT_EQ(text::romanize(""), "");
  EXPECT_EQ(text::romanize("Hello, world! 42 (ok)"), "Hello, world! 42 (ok)");
}

TEST(Romanize, KeepsCaseAsUromanDoes) {
  EXPECT_EQ(text::romanize("Щука ЩУКА щука"), "Shchuka SHCHUKA shchuka");
  EXPECT_EQ(text::romanize("Цена Θέμα"), "TSena THema");
}

TEST(Romanize, MixedScriptsEachGoThroughTheirOwnRules) {
  EXPECT_EQ(text::romanize("Москва и 서울, Αθήνα"), "Moskva i seoul, Athena");
}

TEST(Romanize, UncoveredScriptIsAOneLineErrorNamingIt) {
  for (const std::string& text : {std::string("ഇന്ത്യ"), std::string("Hello ⠓⠑⠇⠇⠕")}) {
    try {
      text::romanize(text);
      FAIL() << "romanized " << text;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_NE(message.find("romanization does not cover the"), std::string::npos) << message;
      EXPECT_NE(message.find(text::script_of(text)), std::string::npos) << message;
    }
  }
  EXPECT_EQ(text::script_of("ഇന്ത്യ"), "Malayalam");
  EXPECT_EQ(text::script_of("Hello ⠓"), "Braille");
}

TEST(Romanize, InvalidUtf8IsRefused) {
  EXPECT_THROW(text::romanize("abc\xff"), Error);
}

TEST(Romanize, ScriptOfAndCoverage) {
  EXPECT_EQ(text::script_of("Привет"), "Cyrillic");
  EXPECT_EQ(text::script_of("Hello, 123"), "Latin");
  EXPECT_EQ(text::script_of("3 नमस्ते"), "Devanagari");
  for (const char* covered : {"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Bengali", "Tamil",
                              "Thai", "Ethiopic", "Georgian", "Armenian", "Hangul", "Han", "Hiragana", "Katakana"})
    EXPECT_TRUE(text::romanization_covers(covered)) << covered;
  EXPECT_FALSE(text::romanization_covers("Malayalam"));
  EXPECT_FALSE(text::romanization_covers("no such script"));
}

}  // namespace
}  // namespace parley
