#include "text/sentences.h"

#include <algorithm>
#include <array>
#include <cctype>

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

namespace {

bool is_terminator(char32_t c) {
  return c == '.' || c == '!' || c == '?' || c == 0x2026 /* … */ || c == 0x203d /* ‽ */ || c == 0x3002 /* 。 */ ||
         c == 0xff01 /* ！ */ || c == 0xff1f /* ？ */ || c == 0xff0e /* ． */;
}

bool is_cjk_terminator(char32_t c) { return c == 0x3002 || c == 0xff01 || c == 0xff1f || c == 0xff0e; }

bool is_closer(char32_t c) {
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0x201d /* ” */ || c == 0x2019 /* ’ */ ||
         c == 0xbb /* » */ || c == 0x300d /* 」 */ || c == 0x300f /* 』 */ || c == 0xff09 /* ） */;
}

bool is_lower_ascii(char32_t c) { return c >= 'a' && c <= 'z'; }

// Words after which a full stop rarely ends a sentence (compared in lower case, without the dot).
bool is_abbreviation(std::string_view word) {
  static constexpr std::array<std::string_view, 24> kAbbreviations = {
      "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "no",
      "fig", "approx", "dept", "est", "inc", "ltd", "co", "mt", "gen", "col"};
  std::string lower(word);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) != kAbbreviations.end()) return true;
  // A single capital letter: an initial, as in "J. R. R. Tolkien".
  return word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]));
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
    if (is_lower_ascii(next_code_point(text, p))) return false;  // "e.g. this", "approx. five"
  }
  return !is_abbreviation(word_before(text, term_begin));
}

void push_trimmed(std::vector<std::string>& out, std::string_view piece) {
  piece = trim(piece);
  if (!piece.empty()) out.emplace_back(piece);
}

}  // namespace

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    const size_t here = pos;
    const char32_t c = next_code_point(text, pos);
    if (c == '\n') {  // a blank line (only spaces between two line breaks) ends a paragraph
      size_t p = pos;
      while (p < text.size()) {
        size_t q = p;
        const char32_t d = next_code_point(text, q);
        if (d == '\n') {
          push_trimmed(out, text.substr(start, here - start));
          start = pos = q;
          break;
        }
        if (!is_space(d)) break;
        p = q;
      }
      continue;
    }
    if (!is_terminator(c)) continue;
    // Swallow runs like "?!", "..." and closing quotes or brackets.
    size_t end = pos;
    bool cjk = is_cjk_terminator(c);
    while (end < text.size()) {
      size_t p = end;
      const char32_t d = next_code_point(text, p);
      if (!is_terminator(d) && !is_closer(d)) break;
      cjk = cjk || is_cjk_terminator(d);
      end = p;
    }
    size_t next = end;
    bool space_follows = false;
    while (next < text.size()) {
      size_t p = next;
      if (!is_space(next_code_point(text, p))) break;
      space_follows = true;
      next = p;
    }
    pos = end;
    if (!(space_follows || cjk || next >= text.size())) continue;  // "3.14", "a.m.", "example.com"
    if (!ends_sentence(text, here, c, next)) continue;
    push_trimmed(out, text.substr(start, end - start));
    start = end;
  }
  push_trimmed(out, text.substr(start));
  return out;
}

// ----------------------------------------------------------------------------- split_to_fit

namespace {

enum class Level { Clauses, Words, Characters };

bool is_clause_mark(char32_t c) {
  return c == ',' || c == ';' || c == ':' || c == 0x2014 /* — */ || c == 0x2013 /* – */ || c == 0x3001 /* 、 */ ||
         c == 0xff0c /* ， */ || c == 0xff1b /* ； */;
}

// Byte offsets where `text` may be cut at this level (each unit is [cut_i, cut_{i+1})).
std::vector<size_t> cut_points(std::string_view text, Level level) {
  std::vector<size_t> cuts{0};
  size_t pos = 0;
  bool prev_space = false, prev_clause = false, wide_clause = false;
  while (pos < text.size()) {
    const size_t here = pos;
    const char32_t c = next_code_point(text, pos);
    const bool space = is_space(c);
    switch (level) {
      case Level::Clauses:  // cut after a clause mark and the spaces that follow it ("1,000" stays whole)
        if (!space) {
          if (prev_clause && (prev_space || wide_clause)) cuts.push_back(here);
          prev_clause = is_clause_mark(c);
          wide_clause = c >= 0x3000;  // CJK marks need no space after them
        }
        break;
      case Level::Words:  // cut where a word starts after spaces
        if (prev_space && !space && here > 0) cuts.push_back(here);
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
      fit(text, static_cast<Level>(static_cast<int>(level) + 1), fits, out);
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
    if (last == first + 1 && !fits(trim(piece))) {
      if (level == Level::Characters) {
        push_trimmed(out, piece);
      } else {
        fit(piece, static_cast<Level>(static_cast<int>(level) + 1), fits, out);
      }
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

}  // namespace parley::sentences
