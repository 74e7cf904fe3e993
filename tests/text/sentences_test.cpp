// Sentence splitting for speech synthesis and translation (text/sentences.h), in every script.
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

// One real text per script, split the way a translator needs: after the terminator, keeping it (and
// closing quotes) with its sentence.
TEST(Sentences, EveryScriptsTerminators) {
  // Chinese and Japanese: no space after the stop; a quotation that the sentence goes on after stays in it.
  EXPECT_EQ(split("今天天气很好。我们去公园散步吧！你想一起来吗？"),
            (Strings{"今天天气很好。", "我们去公园散步吧！", "你想一起来吗？"}));
  EXPECT_EQ(split("「もう帰る。」と彼は言った。明日また来ます｡「はい。」「いいえ。」"),
            (Strings{"「もう帰る。」と彼は言った。", "明日また来ます｡", "「はい。」", "「いいえ。」"}));
  // Devanagari danda and double danda (Hindi, Sanskrit), Bengali.
  EXPECT_EQ(split("मेरा नाम राम है। मैं दिल्ली में रहता हूँ।क्या आप भी वहाँ रहते हैं?"),
            (Strings{"मेरा नाम राम है।", "मैं दिल्ली में रहता हूँ।", "क्या आप भी वहाँ रहते हैं?"}));
  EXPECT_EQ(split("धर्मक्षेत्रे कुरुक्षेत्रे समवेता युयुत्सवः। मामकाः पाण्डवाश्चैव किमकुर्वत सञ्जय॥"),
            (Strings{"धर्मक्षेत्रे कुरुक्षेत्रे समवेता युयुत्सवः।", "मामकाः पाण्डवाश्चैव किमकुर्वत सञ्जय॥"}));
  EXPECT_EQ(split("আমি বাংলায় কথা বলি। তুমি কেমন আছ?"), (Strings{"আমি বাংলায় কথা বলি।", "তুমি কেমন আছ?"}));
  // Arabic question mark, Urdu full stop (also with no space after it), Persian.
  EXPECT_EQ(split("كيف حالك؟ أنا بخير، شكرا. وأنت؟"), (Strings{"كيف حالك؟", "أنا بخير، شكرا.", "وأنت؟"}));
  EXPECT_EQ(split("میرا نام علی ہے۔آپ کا نام کیا ہے؟"), (Strings{"میرا نام علی ہے۔", "آپ کا نام کیا ہے؟"}));
  // Armenian full stop (and its question mark, which sits inside the word), Ethiopic, Burmese (၊ is a comma).
  EXPECT_EQ(split("Ես սիրում եմ Երևանը։ Դու՞ որտեղից ես։"), (Strings{"Ես սիրում եմ Երևանը։", "Դու՞ որտեղից ես։"}));
  EXPECT_EQ(split("ሰላም ነው። ስምህ ማን ነው፧ በጣም ደስ ብሎኛል።"), (Strings{"ሰላም ነው።", "ስምህ ማን ነው፧", "በጣም ደስ ብሎኛል።"}));
  EXPECT_EQ(split("မင်္ဂလာပါ။ ကျွန်တော်၊ ကျောင်းသားပါ။"), (Strings{"မင်္ဂလာပါ။", "ကျွန်တော်၊ ကျောင်းသားပါ။"}));
  // Khmer and Tibetan, whose marks Unicode does not list as sentence terminators.
  EXPECT_EQ(split("ខ្ញុំស្រឡាញ់ភាសាខ្មែរ។អ្នកសុខសប្បាយទេ?"), (Strings{"ខ្ញុំស្រឡាញ់ភាសាខ្មែរ។", "អ្នកសុខសប្បាយទេ?"}));
  EXPECT_EQ(split("ང་བོད་པ་ཡིན། ཁྱེད་རང་ག་ནས་ཡིན།"), (Strings{"ང་བོད་པ་ཡིན།", "ཁྱེད་རང་ག་ནས་ཡིན།"}));
  // Greek question mark: ";" after a Greek letter, or U+037E; an English ";" stays a semicolon.
  EXPECT_EQ(split("Τι κάνεις; Είμαι καλά. Εσύ\u037e Ναι."), (Strings{"Τι κάνεις;", "Είμαι καλά.", "Εσύ\u037e", "Ναι."}));
  EXPECT_EQ(split("First; Second."), (Strings{"First; Second."}));
  // Russian: a lower-case word after a dot continues the sentence (т. е. = that is).
  EXPECT_EQ(split("Привет! Как дела? Всё хорошо, т. е. отлично."),
            (Strings{"Привет!", "Как дела?", "Всё хорошо, т. е. отлично."}));
  // Thai marks no sentence end: left whole.
  EXPECT_EQ(split("ฉันชอบกินข้าว วันนี้อากาศดีมาก"), (Strings{"ฉันชอบกินข้าว วันนี้อากาศดีมาก"}));
}

TEST(Sentences, QuotationsThatTheSentenceGoesOnAfter) {
  EXPECT_EQ(split("\"Stop!\" he said. \"Why?\" She left."), (Strings{"\"Stop!\" he said.", "\"Why?\"", "She left."}));
  EXPECT_EQ(split("Bring fruit, z. B. Äpfel. Done."), (Strings{"Bring fruit, z. B. Äpfel.", "Done."}));
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

// Scripts written without spaces are cut between the words ICU's dictionaries find, not inside them.
TEST(SplitToFit, ScriptsWithoutSpacesAtWords) {
  const auto code_points = [](std::string_view s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return n;
  };
  EXPECT_EQ(split_to_fit("我们今天去北京参观", 5, code_points), (Strings{"我们今天去", "北京参观"}));
  EXPECT_EQ(split_to_fit("ฉันชอบกินข้าวมาก", 7, code_points), (Strings{"ฉันชอบ", "กินข้าว", "มาก"}));
  // Clause marks of other scripts, with or without a space after them.
  EXPECT_EQ(split_to_fit("أنا بخير، شكرا جزيلا", 12, code_points), (Strings{"أنا بخير،", "شكرا جزيلا"}));
  EXPECT_EQ(split_to_fit("ሰላም ነው፣ደስ ብሎኛል", 8, code_points), (Strings{"ሰላም ነው፣", "ደስ ብሎኛል"}));
  // A dash in English text still needs a space after it to be a clause boundary.
  EXPECT_EQ(split_to_fit("well—known words here", 12, code_points), (Strings{"well—known", "words here"}));
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
