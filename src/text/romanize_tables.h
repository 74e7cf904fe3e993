// The letter tables behind romanize() (romanize_tables.cpp), written for Parley from the uroman
// output recorded in tests/data/romanization/ (see docs/romanization.md). A table is a list of
// "letters=latin" entries separated by spaces, lower-case letters only (romanize.cpp restores case);
// "letters" is one code point or a pair that reads as one sound; "^letters" applies at a word's
// start only; an empty right side drops the letter.
#pragma once

#include <string_view>

namespace parley::text::tables {

extern const std::string_view kCyrillic;
extern const std::string_view kGreek;
extern const std::string_view kArmenian;
extern const std::string_view kGeorgian;
extern const std::string_view kHebrew;
extern const std::string_view kArabic;
extern const std::string_view kThai;
extern const std::string_view kLatin;  // only where uroman differs from ICU's Latin-ASCII
extern const std::string_view kKana;   // Hiragana (Katakana is mapped onto it first)
extern const std::string_view kCommon; // punctuation of other scripts, full-width forms

// The Indic blocks share one layout (ISCII): offset in the block (0x00..0x7F) → Latin, per script.
struct IndicScript {
  char32_t block;                 // U+0900 Devanagari, U+0980 Bengali, U+0B80 Tamil
  std::string_view overrides;     // "offset=latin" entries (hex offsets) that differ from kIndicBase
  bool drops_final_schwa;         // Hindi, Marathi, Nepali: a word's last consonant has no "a"
};
extern const std::string_view kIndicBase;
extern const IndicScript kDevanagari;
extern const IndicScript kBengali;
extern const IndicScript kTamil;

// Ethiopic syllables: the consonant of each row of eight (from U+1200), "-" for the labialised rows.
extern const std::string_view kEthiopicRows;

// Hangul jamo: leading consonants, vowels, trailing consonants ("-" for none), in Unicode order.
extern const std::string_view kHangulLeading;
extern const std::string_view kHangulVowels;
extern const std::string_view kHangulTrailing;

}  // namespace parley::text::tables
