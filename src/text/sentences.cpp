#include "text/sentences.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "text/utf8.h"

namespace parley::sentences {

// ----------------------------------------------------------------------------- whitespace

namespace {

// The code point at s[pos], advancing pos; an ill-formed byte reads as U+FFFD and advances by one,
// so no input can make a scan read past the end.
char32_t next_code_point(std::string_view s, size_t& pos) {
  if (utf8::sequence_length(s, pos) == 0) {
    ++pos;
    return 0xfffd;
  }
  return utf8::next_code_point(s, pos);
}

}  // namespace

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string_view trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t p = b;
    if (!is_space(next_code_point(s, p))) break;
    b = p;
  }
  size_t e = b, last_end = b;  // end of the last non-space code point
  while (e < s.size()) {
    size_t p = e;
    const bool space = is_space(next_code_point(s, p));
    e = p;
    if (!space) last_end = e;
  }
  return s.substr(b, last_end - b);
}

// ----------------------------------------------------------------------------- sentences
//
// Hand rules over Unicode's character properties (ICU's), not ICU's sentence BreakIterator. Measured on
// the 23 texts of tests/text/sentences_test.cpp (English cases and one real text per script): the hand
// rules split 23 as wanted, the BreakIterator 15 (root locale, and also with "en@ss=standard", its
// abbreviation filter). Its misses are by design, not tuning: it splits after initials ("J. R. R."),
// at every single line break, inside a quotation the sentence goes on after ("「…。」と言った"), at
// Burmese ၊ (a comma in use, but Sentence_Terminal in Unicode), and not at Khmer ។, Tibetan ། or the
// Greek question mark, which Unicode does not count as terminators. (ICU does serve below: the
// Sentence_Terminal property, and the word dictionaries of split_to_fit().)

namespace {

// The code point that ends just before byte `pos` (0 at the start).
char32_t code_point_before(std::string_view text, size_t pos) {
  if (pos == 0) return 0;
  size_t b = pos - 1;
  while (b > 0 && pos - b < 4 && (static_cast<unsigned char>(text[b]) & 0xc0) == 0x80) --b;
  size_t p = b;
  const char32_t c = next_code_point(text, p);
  return p == pos ? c : 0xfffd;
}

bool is_greek_letter(char32_t c) { return (c >= 0x0370 && c <= 0x03ff) || (c >= 0x1f00 && c <= 0x1fff); }

// What ends a sentence: Unicode's Sentence_Terminal characters (. ! ? and danda । ॥, Arabic ؟ and ۔,
// Armenian ։, Ethiopic ። ፧ ፨, CJK 。！？．｡, Mongolian, Syriac, ...), and marks writers use that way that
// Unicode leaves out: … , Khmer ។ ៕, Tibetan shad ། and ༎, the Greek question mark U+037E (and ";" right
// after a Greek letter, the same character as Greeks type it). Not Burmese ၊, a comma in use. Thai
// marks no sentence end (a space separates sentences and phrases alike): Thai text stays one piece here
// and split_to_fit() cuts it at spaces.
bool is_terminator(char32_t c, char32_t before) {
  if (c == ';') return is_greek_letter(before);
  if (c == 0x104a) return false;
  return c == 0x2026 || c == 0x17d4 || c == 0x17d5 || c == 0x0f0d || c == 0x0f0e || c == 0x037e ||
         u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_S_TERM);
}

// Terminators that end a sentence only before a space (or the end): those Latin, Greek and Cyrillic text
// also uses inside numbers, names and addresses ("3.14", "a.m.", "Yahoo!", "example.com"). In the other
// scripts (CJK, Devanagari, Arabic, Ethiopic, Burmese, Khmer, Tibetan, ...) a terminator is only ever
// one, and the next sentence may follow with no space.
bool needs_space_after(char32_t c) { return c < 0x0530 || (c >= 0x2000 && c <= 0x2e7f); }

// Closing quotes and brackets that stay with the sentence they close: Unicode's closing and final
// punctuation ) ] } ” ’ » 」 』 ） ..., and the ASCII quotes.
bool is_closer(char32_t c) {
  if (c == '"' || c == '\'') return true;
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_END_PUNCTUATION || type == U_FINAL_PUNCTUATION;
}

// Words after which a full stop rarely ends a sentence (compared in lower case, without the dot): English,
// and a few German, French and Spanish titles and abbreviations.
bool is_abbreviation(std::string_view word) {
  static constexpr std::array<std::string_view, 35> kAbbreviations = {
      "mr",  "mrs", "ms",   "dr",   "prof", "sr",   "jr",  "st",  "vs",  "etc", "e.g", "i.e",
      "cf",  "no",  "fig",  "approx", "dept", "est", "inc", "ltd", "co",  "mt",  "gen", "col",
      "bzw", "vgl", "z.b",  "d.h",  "nr",   "mme", "mlle", "sra", "srta", "dra", "ud"};
  std::string lower(word);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) != kAbbreviations.end()) return true;
  // A single letter: an initial, as in "J. R. R. Tolkien", or "z. B.".
  return word.size() == 1 && std::isalpha(static_cast<unsigned char>(word[0]));
}

// The word ending just before byte `end` (letters, digits and inner dots, no spaces).
std::string_view word_before(std::string_view text, size_t end) {
  size_t b = end;
  while (b > 0) {
    const unsigned char ch = static_cast<unsigned char>(text[b - 1]);
    if (ch >= 0x80 || std::isspace(ch) || ch == '(' || ch == '"' || ch == '\'') break;
    --b;
  }
  return text.substr(b, end - b);
}

// Whether the full stop(s) at [term_begin, after_closers) end a sentence; `next` indexes the first
// non-space code point after it.
bool ends_sentence(std::string_view text, size_t term_begin, char32_t first_term, size_t next) {
  if (first_term != '.') return true;
  if (next < text.size()) {
    size_t p = next;
    if (u_islower(static_cast<UChar32>(next_code_point(text, p)))) return false;  // "e.g. this", "т. е. это"
  }
  return !is_abbreviation(word_before(text, term_begin));
}

void push_trimmed(std::vector<std::string>& out, std::string_view piece) {
  piece = trim(piece);
  if (!piece.empty()) out.emplace_back(piece);
}

// Where a blank line (only spaces between two line breaks) starting with the line break that ends at
// `pos` ends, or npos when the line break at `pos` is a single one.
size_t blank_line_end(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t q = pos;
    const char32_t d = next_code_point(text, q);
    if (d == '\n') return q;
    if (!is_space(d)) break;
    pos = q;
  }
  return std::string_view::npos;
}

// A run of terminators and closers: "?!", "...", "。」", "।।", ".\")".
struct TerminatorRun {
  size_t end = 0;       // byte offset after it
  bool glued = false;   // one of its terminators needs no space after it
  bool closed = false;  // it ends with a closing quote or bracket
};

TerminatorRun terminator_run(std::string_view text, size_t pos, char32_t first) {
  TerminatorRun run{pos, !needs_space_after(first), false};
  char32_t last = first;
  while (run.end < text.size()) {
    size_t p = run.end;
    const char32_t d = next_code_point(text, p);
    const bool terminator = is_terminator(d, last);
    if (!terminator && !is_closer(d)) break;
    run.glued = run.glued || (terminator && !needs_space_after(d));
    run.closed = !terminator;
    last = d;
    run.end = p;
  }
  return run;
}

bool is_opener(char32_t c) {
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_START_PUNCTUATION || type == U_INITIAL_PUNCTUATION;
}

// Whether a quotation that ends with a terminator also ends the sentence around it: not when the
// sentence goes on in lower case ("Stop!" he said.) or, in scripts without spaces, right after the
// quote (「もう帰る。」と彼は言った。).
bool quote_ends_sentence(std::string_view text, const TerminatorRun& run, bool space_follows, size_t next) {
  if (!run.closed || next >= text.size()) return true;
  size_t p = next;
  const char32_t c = next_code_point(text, p);
  if (u_islower(static_cast<UChar32>(c))) return false;
  return space_follows || !run.glued || is_opener(c);
}

}  // namespace

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    const size_t here = pos;
    const char32_t c = next_code_point(text, pos);
    if (c == '\n') {  // a blank line ends a paragraph
      const size_t end = blank_line_end(text, pos);
      if (end != std::string_view::npos) {
        push_trimmed(out, text.substr(start, here - start));
        start = pos = end;
      }
      continue;
    }
    if (!is_terminator(c, code_point_before(text, here))) continue;
    const TerminatorRun run = terminator_run(text, pos, c);
    size_t next = run.end;
    bool space_follows = false;
    while (next < text.size()) {
      size_t p = next;
      if (!is_space(next_code_point(text, p))) break;
      space_follows = true;
      next = p;
    }
    pos = run.end;
    if (!(space_follows || run.glued || next >= text.size())) continue;  // "3.14", "a.m.", "example.com"
    if (!ends_sentence(text, here, c, next) || !quote_ends_sentence(text, run, space_follows, next)) continue;
    push_trimmed(out, text.substr(start, run.end - start));
    start = run.end;
  }
  push_trimmed(out, text.substr(start));
  return out;
}

// ----------------------------------------------------------------------------- split_to_fit

namespace {

// Clauses, then words between spaces, then words as ICU's dictionaries see them (for scripts written
// without spaces: Chinese, Japanese, Thai, Khmer, Lao, Burmese; in spaced text the pieces of a
// hyphenated or punctuated "word"), then characters.
enum class Level { Clauses, Words, DictionaryWords, Characters };

Level finer(Level level) { return static_cast<Level>(static_cast<int>(level) + 1); }

bool is_clause_mark(char32_t c) {
  return c == ',' || c == ';' || c == ':' || c == 0x2014 /* — */ || c == 0x2013 /* – */ || c == 0x3001 /* 、 */ ||
         c == 0xff0c /* ， */ || c == 0xff1b /* ； */ || c == 0xff1a /* ： */ || c == 0x060c /* Arabic ، */ ||
         c == 0x061b /* Arabic ؛ */ || c == 0x055d /* Armenian ՝ */ || c == 0x0387 /* Greek · */ ||
         c == 0x1363 /* Ethiopic ፣ */ || c == 0x1364 /* Ethiopic ፤ */ || c == 0x104a /* Burmese ၊ */ ||
         c == 0x0f14 /* Tibetan ༔ */;
}

// Byte offsets where ICU's word BreakIterator puts a boundary in `text`.
std::vector<size_t> dictionary_word_cuts(std::string_view text) {
  icu::UnicodeString u;
  std::vector<size_t> byte_at;  // byte offset of each UTF-16 unit, and of the end
  for (size_t pos = 0; pos < text.size();) {
    const size_t here = pos;
    const char32_t c = next_code_point(text, pos);
    const int32_t before = u.length();
    u.append(static_cast<UChar32>(c));
    byte_at.insert(byte_at.end(), static_cast<size_t>(u.length() - before), here);
  }
  byte_at.push_back(text.size());
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> words(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  std::vector<size_t> cuts{0};
  if (U_FAILURE(status)) return cuts;  // no dictionaries: characters it will be
  words->setText(u);
  for (int32_t b = words->next(); b != icu::BreakIterator::DONE && b < u.length(); b = words->next())
    cuts.push_back(byte_at[static_cast<size_t>(b)]);
  return cuts;
}

// Byte offsets where `text` may be cut at this level (each unit is [cut_i, cut_{i+1})).
std::vector<size_t> cut_points(std::string_view text, Level level) {
  if (level == Level::DictionaryWords) {
    std::vector<size_t> cuts = dictionary_word_cuts(text);
    cuts.push_back(text.size());
    return cuts;
  }
  std::vector<size_t> cuts{0};
  size_t pos = 0;
  bool prev_space = false, prev_clause = false, glued_clause = false;
  while (pos < text.size()) {
    const size_t here = pos;
    const char32_t c = next_code_point(text, pos);
    const bool space = is_space(c);
    switch (level) {
      case Level::Clauses:  // cut after a clause mark and the spaces that follow it ("1,000" stays whole)
        if (!space) {
          if (prev_clause && (prev_space || glued_clause)) cuts.push_back(here);
          prev_clause = is_clause_mark(c);
          glued_clause = !needs_space_after(c);  // "、", Arabic "،": no space needed after them
        }
        break;
      case Level::Words:  // cut where a word starts after spaces
        if (prev_space && !space && here > 0) cuts.push_back(here);
        break;
      case Level::DictionaryWords:
        break;
      case Level::Characters:
        if (here > 0) cuts.push_back(here);
        break;
    }
    prev_space = space;
  }
  cuts.push_back(text.size());
  return cuts;
}

void fit(std::string_view text, Level level, const std::function<bool(std::string_view)>& fits,
         std::vector<std::string>& out) {
  text = trim(text);
  if (text.empty()) return;
  if (fits(text)) {
    out.emplace_back(text);
    return;
  }
  const std::vector<size_t> cuts = cut_points(text, level);
  if (cuts.size() <= 2) {  // nothing to cut at this level
    if (level == Level::Characters) {
      out.emplace_back(text);  // one character: the caller decides what to do with it
    } else {
      fit(text, finer(level), fits, out);
    }
    return;
  }
  // Greedy: the longest run of units from `first` that still fits; a unit that alone does not fit
  // goes one level finer.
  size_t first = 0;
  while (first + 1 < cuts.size()) {
    size_t last = first + 1;
    while (last + 1 < cuts.size() && fits(trim(text.substr(cuts[first], cuts[last + 1] - cuts[first])))) ++last;
    const std::string_view piece = text.substr(cuts[first], cuts[last] - cuts[first]);
    if (last == first + 1 && !fits(trim(piece)) && level != Level::Characters) {
      fit(piece, finer(level), fits, out);
    } else {
      push_trimmed(out, piece);
    }
    first = last;
  }
}

}  // namespace

std::vector<std::string> split_to_fit(std::string_view text, const std::function<bool(std::string_view)>& fits) {
  std::vector<std::string> out;
  fit(text, Level::Clauses, fits, out);
  return out;
}

std::vector<std::string> split_to_fit(std::string_view text, size_t max_units,
                                      const std::function<size_t(std::string_view)>& measure) {
  return split_to_fit(text, [&](std::string_view piece) { return measure(piece) <= max_units; });
}

}  // namespace parley::sentences
