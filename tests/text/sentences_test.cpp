// Sentence splitting for speech synthesis (text/sentences.h).
#include "text/sentences.h"

#include <gtest/gtest.h>

namespace parley::sentences {
namespace {

using Strings = std::vector<std::string>;

// Every non-space character of `text`, in order (splitting must drop nothing).
std::string letters(const std::string& text) {
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

std::string letters(const Strings& pieces) {
  std::string out;
  for (const auto& p : pieces) out += letters(p);
  return out;
}

TEST(Sentences, SplitsAtTerminatorsFollowedBySpace) {
  EXPECT_EQ(split("Hey there! This is a test! Is it? Yes."),
            (Strings{"Hey there!", "This is a test!", "Is it?", "Yes."}));
  EXPECT_EQ(split("  One.  "), (Strings{"One."}));
  EXPECT_EQ(split(""), Strings{});
  EXPECT_EQ(split("   \n "), Strings{});
}

TEST(Sentences, KeepsClosingQuotesAndRunsOfMarks) {
  EXPECT_EQ(split("He said \"stop.\" Then he left?! Really..."),
            (Strings{"He said \"stop.\"", "Then he left?!", "Really..."}));
  EXPECT_EQ(split("(It works.) Next."), (Strings{"(It works.)", "Next."}));
}

TEST(Sentences, DoesNotSplitAbbreviationsInitialsNumbersOrLowercaseContinuations) {
  EXPECT_EQ(split("Mr. Smith met Dr. Jones at 3.30 today. J. R. R. Tolkien wrote it."),
            (Strings{"Mr. Smith met Dr. Jones at 3.30 today.", "J. R. R. Tolkien wrote it."}));
  EXPECT_EQ(split("Bring fruit, e.g. apples. Done."), (Strings{"Bring fruit, e.g. apples.", "Done."}));
  EXPECT_EQ(split("See example.com for more. ok"), (Strings{"See example.com for more. ok"}));
}

TEST(Sentences, BlankLinesEndParagraphs) {
  EXPECT_EQ(split("A title\n\nThe body goes on\nover two lines"),
            (Strings{"A title", "The body goes on\nover two lines"}));
}

TEST(Sentences, CjkStopsNeedNoSpace) {
  EXPECT_EQ(split("\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82\xe5\x86\x8d\xe8\xa7\x81\xef\xbc\x81"),
            (Strings{"\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82", "\xe5\x86\x8d\xe8\xa7\x81\xef\xbc\x81"}));
}

TEST(SplitToFit, ReturnsTheWholeTextWhenItFits) {
  EXPECT_EQ(split_to_fit("  short  ", [](std::string_view) { return true; }), (Strings{"short"}));
}

TEST(SplitToFit, CutsAtClausesThenWordsThenCharacters) {
  const auto at_most = [](size_t n) { return [n](std::string_view s) { return s.size() <= n; }; };
  // Clauses first (and "1,000" is not a clause boundary).
  EXPECT_EQ(split_to_fit("first part, second part; 1,000 more", at_most(15)),
            (Strings{"first part,", "second part;", "1,000 more"}));
  // Words when a clause alone is too long, packed greedily.
  EXPECT_EQ(split_to_fit("one two three four five", at_most(9)), (Strings{"one two", "three", "four five"}));
  // Characters for a word that alone is too long (UTF-8 kept whole).
  const Strings chars = split_to_fit("abcd\xc3\xa9" "fgh", at_most(3));
  EXPECT_EQ(chars, (Strings{"abc", "d\xc3\xa9", "fgh"}));
}

TEST(SplitToFit, DropsNothing) {
  const std::string text =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit; sed do eiusmod tempor incididunt ut labore "
      "et dolore magna aliqua. Supercalifragilisticexpialidocious, antidisestablishmentarianism!";
  for (size_t n : {4, 7, 12, 30, 80}) {
    const Strings pieces = split_to_fit(text, [n](std::string_view s) { return s.size() <= n; });
    EXPECT_EQ(letters(pieces), letters(text)) << n;
    for (const auto& p : pieces) EXPECT_LE(p.size(), n) << p;
  }
}

TEST(Whitespace, PythonsIsspaceAndIllFormedBytes) {
  EXPECT_EQ(trim("\xe3\x80\x80 x y\t\n"), "x y");  // ideographic space is whitespace, as in Python
  EXPECT_TRUE(is_space(0x85));
  EXPECT_FALSE(is_space(0x200b));  // zero-width space is not
  EXPECT_EQ(trim(" \xff "), "\xff");  // an ill-formed byte is kept, and read safely
  EXPECT_EQ(split("A.\xc3"), (Strings{"A.\xc3"}));
}

}  // namespace
}  // namespace parley::sentences
