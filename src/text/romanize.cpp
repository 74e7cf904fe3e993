// romanize(): text split into runs of one script, each run romanized by its own table (tables from
// romanize_tables.cpp, case restored here) or, for Han and accented Latin, by ICU's transliterators.
#include "text/romanize.h"

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <cstdio>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "text/romanize_tables.h"
#include "text/utf8.h"

namespace parley::text {
namespace {

using CodePoints = std::u32string;

CodePoints decode(std::string_view s) {
  CodePoints out;
  for (size_t pos = 0; pos < s.size();) out.push_back(utf8::next_code_point(s, pos));
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  icu::UnicodeString(static_cast<UChar32>(c)).toUTF8String(out);
}

// One script's table: single letters, pairs, and pairs/letters that apply at a word's start.
struct LetterTable {
  std::unordered_map<CodePoints, std::string> entries;  // keys "x", "xy", "^x", "^xy"
  size_t longest = 1;

  explicit LetterTable(std::string_view spec) {
    size_t pos = 0;
    while (pos < spec.size()) {
      size_t end = spec.find(' ', pos);
      if (end == std::string_view::npos) end = spec.size();
      std::string_view entry = spec.substr(pos, end - pos);
      pos = end + 1;
      size_t eq = entry.find('=', 1);  // "==" style entries never occur; '=' at 0 would be a key
      if (entry.empty() || eq == std::string_view::npos) continue;
      CodePoints key = decode(entry.substr(0, eq));
      entries[key] = std::string(entry.substr(eq + 1));
      longest = std::max(longest, key.size() - (key[0] == U'^' ? 1 : 0));
    }
  }
  const std::string* find(const CodePoints& key, bool word_start) const {
    if (word_start) {
      auto it = entries.find(U"^" + key);
      if (it != entries.end()) return &it->second;
    }
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
  }
};

bool is_letter_or_mark(char32_t c) {
  return u_isalpha(static_cast<UChar32>(c)) || (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_M_MASK);
}

// Upper-case letters keep their case as uroman does: the first letter of the Latin for a capital,
// all of it inside a word in capitals ("ΨΑΡΙ" → "PSARI", "Ψάρι" → "Psari").
void append_cased(std::string& out, const std::string& latin, bool upper, bool word_upper) {
  if (!upper || latin.empty()) {
    out += latin;
    return;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(latin);
  icu::UnicodeString cased = word_upper ? u.toUpper() : u.tempSubString(0, 1).toUpper() + u.tempSubString(1);
  cased.toUTF8String(out);
}

// Hebrew's dagesh and shin/sin dots sort after the vowel points in Unicode's canonical order
// (בַּ is bet, patah, dagesh); the tables read them as part of the letter, so they move next to it.
CodePoints with_dagesh_first(CodePoints text) {
  auto letter_dot = [](char32_t c) { return c == 0x05BC || c == 0x05C1 || c == 0x05C2; };
  for (size_t i = 1; i < text.size(); ++i) {
    for (size_t j = i; j >= 2 && letter_dot(text[j]) && text[j - 1] >= 0x0591 && text[j - 1] <= 0x05BB; --j)
      std::swap(text[j], text[j - 1]);
  }
  return text;
}

// A run of a cased or uncased alphabet through its table, longest match first.
void romanize_with_table(const LetterTable& table, const CodePoints& input, std::string& out) {
  const CodePoints run = with_dagesh_first(input);
  CodePoints lower;
  for (char32_t c : run) lower.push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
  for (size_t i = 0; i < run.size();) {
    const bool word_start = i == 0 || !is_letter_or_mark(run[i - 1]);
    size_t taken = 0;
    const std::string* latin = nullptr;
    for (size_t n = std::min(table.longest, run.size() - i); n >= 1 && !latin; --n) {
      latin = table.find(lower.substr(i, n), word_start);
      if (latin) taken = n;
    }
    if (!latin) {  // a sign the table does not name: ASCII stays, anything else is dropped
      if (run[i] < 0x80) out.push_back(static_cast<char>(run[i]));
      ++i;
      continue;
    }
    // uroman writes some capitals as two capitals even in a capitalised word (Ц "TS", Θ "TH").
    static const CodePoints all_capitals = U"цђљњґїθψ";
    const bool upper = lower[i] != run[i];
    const bool whole = upper && all_capitals.find(lower[i]) != CodePoints::npos;
    const bool next_upper = i + taken < run.size() && u_isupper(static_cast<UChar32>(run[i + taken]));
    const bool prev_upper = i > 0 && u_isupper(static_cast<UChar32>(run[i - 1]));
    append_cased(out, *latin, upper, whole || next_upper || prev_upper);
    i += taken;
  }
}


std::vector<std::string> split_words(std::string_view spec) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(' ', pos);
    if (end == std::string_view::npos) end = spec.size();
    if (end > pos) out.emplace_back(spec.substr(pos, end - pos));
    pos = end + 1;
  }
  for (std::string& w : out)
    if (w == "_") w.clear();
  return out;
}

// Devanagari, Bengali, Tamil: consonants carry an inherent "a" unless a vowel sign or the virama
// follows; scripts of Hindi's family drop it at a word's end after a lone consonant (not after "y").
class IndicRomanizer {
 public:
  explicit IndicRomanizer(const tables::IndicScript& script) : script_(script) {
    for (const auto* spec : {&tables::kIndicBase, &script.overrides}) {
      for (const std::string& entry : split_words(*spec)) {
        size_t eq = entry.find('=');
        latin_[std::stoi(entry.substr(0, eq), nullptr, 16)] = entry.substr(eq + 1);
      }
    }
  }
  void romanize(const CodePoints& run, std::string& out) const {
    for (size_t i = 0; i < run.size(); ++i) {
      const int offset = offset_of(run[i]);
      if (offset < 0) {
        if (run[i] < 0x80) out.push_back(static_cast<char>(run[i]));
        continue;
      }
      std::string latin = latin_[offset];
      const int next = i + 1 < run.size() ? offset_of(run[i + 1]) : -1;
      if (is_consonant(offset) && next == 0x3c && nukta_offset(offset) >= 0) {  // क़ → q
        latin = latin_[nukta_offset(offset)];
        ++i;
      }
      out += latin;
      if (is_consonant(offset) && needs_schwa(run, i)) out += 'a';
    }
  }

 private:
  int offset_of(char32_t c) const {
    return c >= script_.block && c < script_.block + 0x80 ? static_cast<int>(c - script_.block) : -1;
  }
  static bool is_consonant(int o) { return (o >= 0x15 && o <= 0x39) || (o >= 0x58 && o <= 0x5f); }
  static bool is_sign(int o) { return (o >= 0x3e && o <= 0x4d) || (o >= 0x62 && o <= 0x63); }
  static int nukta_offset(int o) {
    switch (o) {
      case 0x15: return 0x58;
      case 0x16: return 0x59;
      case 0x17: return 0x5a;
      case 0x1c: return 0x5b;
      case 0x21: return 0x5c;
      case 0x22: return 0x5d;
      case 0x2b: return 0x5e;
      case 0x2f: return 0x5f;
      default: return -1;
    }
  }
  // Whether the consonant at run[i] is followed by its inherent vowel.
  bool needs_schwa(const CodePoints& run, size_t i) const {
    const int next = i + 1 < run.size() ? offset_of(run[i + 1]) : -1;
    if (next >= 0 && is_sign(next)) return false;
    if (next == 0x3c) return needs_schwa(run, i + 1);
    if (!script_.drops_final_schwa) return true;
    const bool word_end = next < 0 || !(is_consonant(next) || (next >= 0x01 && next <= 0x14));
    if (!word_end || offset_of(run[i]) == 0x2f) return true;
    const bool after_cluster = i >= 2 && (offset_of(run[i - 1]) == 0x4d || offset_of(run[i - 1]) == 0x02);
    const bool word_is_one_letter = i == 0 || offset_of(run[i - 1]) < 0;
    return after_cluster || word_is_one_letter;
  }

  const tables::IndicScript& script_;
  std::string latin_[0x80];
};

// Ethiopic syllables: row consonant + the vowel of the order (ሰ sa, ሱ su, ሲ si, ሳ saa, ሴ see,
// ስ se, ሶ so, ሷ swa); labialised rows (ቈ) take "w" vowels after the row above's consonant.
void romanize_ethiopic(const CodePoints& run, std::string& out) {
  static const std::vector<std::string> rows = split_words(tables::kEthiopicRows);
  static const char* const plain[8] = {"a", "u", "i", "aa", "ee", "e", "o", "wa"};
  static const char* const labial[8] = {"wa", "", "wi", "waa", "wee", "we", "", ""};
  static const LetterTable punctuation(tables::kCommon);
  for (char32_t c : run) {
    const size_t row = (c - 0x1200) / 8, order = (c - 0x1200) % 8;
    if (c >= 0x1200 && row < rows.size()) {
      if (rows[row] == "-") {
        out += rows[row - 1] + labial[order];
      } else {
        out += rows[row] + plain[order];
      }
    } else if (c >= 0x1369 && c <= 0x1371) {  // Ethiopic digits one to nine
      out.push_back(static_cast<char>('1' + (c - 0x1369)));
    } else if (const std::string* p = punctuation.find(CodePoints(1, c), false)) {
      out += *p;
    }
  }
}

// Hangul syllables, jamo by jamo, as uroman spells them (no sound changes across syllables).
void romanize_hangul(const CodePoints& run, std::string& out) {
  static const std::vector<std::string> leading = split_words(tables::kHangulLeading);
  static const std::vector<std::string> vowels = split_words(tables::kHangulVowels);
  static const std::vector<std::string> trailing = split_words(tables::kHangulTrailing);
  for (char32_t c : run) {
    if (c < 0xAC00 || c > 0xD7A3) {
      if (c < 0x80) out.push_back(static_cast<char>(c));
      continue;
    }
    const char32_t s = c - 0xAC00;
    out += leading[s / (21 * 28)] + vowels[(s / 28) % 21] + trailing[s % 28];
  }
}


// ICU transliterators are not safe to share between threads: one per thread.
const icu::Transliterator& icu_transliterator(const char* id) {
  thread_local std::unordered_map<std::string, std::unique_ptr<icu::Transliterator>> cache;
  auto& slot = cache[id];
  if (!slot) {
    UErrorCode status = U_ZERO_ERROR;
    slot.reset(icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
    if (U_FAILURE(status) || !slot) fail(ErrorKind::Internal, std::string("ICU has no transliterator ") + id);
  }
  return *slot;
}

std::string icu_transliterate(const char* id, char32_t c) {
  icu::UnicodeString u(static_cast<UChar32>(c));
  icu_transliterator(id).transliterate(u);
  std::string out;
  u.toUTF8String(out);
  return out;
}

// A run of Chinese numerals as uroman writes it, in digits: 一九七八 "1978", 一万四千 "14000",
// 十五 "15". `run` holds only numerals, at least one of them a digit.
std::string chinese_number(const CodePoints& run) {
  static const CodePoints digits = U"〇一二三四五六七八九";
  static const CodePoints units = U"十百千";
  if (run.find_first_of(U"十百千万亿") == CodePoints::npos) {
    std::string out;
    for (char32_t c : run) out.push_back(static_cast<char>('0' + (c == U'零' ? 0 : digits.find(c))));
    return out;
  }
  uint64_t total = 0, section = 0, digit = 0;
  for (char32_t c : run) {
    if (size_t d = digits.find(c); d != CodePoints::npos) {
      digit = d;
    } else if (size_t u = units.find(c); u != CodePoints::npos) {
      section += (digit ? digit : 1) * (u == 0 ? 10 : u == 1 ? 100 : 1000);
      digit = 0;
    } else if (c == U'万' || c == U'亿') {
      total = (total + section + digit) * (c == U'万' ? 10000 : 100000000);
      section = digit = 0;
    }
  }
  return std::to_string(total + section + digit);
}

// Han: toneless pinyin, syllables run together as uroman writes them; numerals become digits.
void romanize_han(const CodePoints& run, std::string& out) {
  static const CodePoints numerals = U"〇零一二三四五六七八九十百千万亿";
  for (size_t i = 0; i < run.size();) {
    size_t end = i;
    while (end < run.size() && end - i < 12 && numerals.find(run[end]) != CodePoints::npos) ++end;
    const CodePoints number = run.substr(i, end - i);
    if (number.find_first_of(U"〇零一二三四五六七八九") != CodePoints::npos) {
      out += chinese_number(number);
      i = end;
      continue;
    }
    if (run[i] != U'々') {
      for (char ch : icu_transliterate("Han-Latin; Latin-ASCII", run[i]))
        if (ch != ' ') out.push_back(ch);
    }
    ++i;
  }
}

void romanize_kana(const CodePoints& run, std::string& out) {
  static const LetterTable kana(tables::kKana);
  CodePoints hiragana = run;
  for (char32_t& c : hiragana)
    if (c >= 0x30A1 && c <= 0x30F6) c -= 0x60;
  romanize_with_table(kana, hiragana, out);
}

void romanize_latin(const CodePoints& run, std::string& out) {
  static const LetterTable overrides(tables::kLatin);
  for (size_t i = 0; i < run.size(); ++i) {
    const char32_t c = run[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (overrides.find(CodePoints(1, static_cast<char32_t>(u_tolower(c))), false)) {
      romanize_with_table(overrides, run.substr(i, 1), out);
    } else {
      out += icu_transliterate("Latin-ASCII", c);
    }
  }
}

bool is_thai_consonant(char32_t c) { return c >= 0x0E01 && c <= 0x0E2E; }
bool is_thai_vowel(char32_t c) { return (c >= 0x0E30 && c <= 0x0E39) || (c >= 0x0E40 && c <= 0x0E44) || c == 0x0E2D; }

// Thai through its table, after the two changes of order and reading uroman makes: a vowel
// written before its consonant comes after it for ก น ม ป ต (เป "pe", but เด "ed"), and อ is
// the vowel "o" only between consonants (ขอบ "khob"), silent before a vowel or at a syllable's edge.
void romanize_thai(const LetterTable& table, const CodePoints& run, std::string& out) {
  static const CodePoints swapped = U"กนมปต", preposed = U"เแโใไ";
  CodePoints text = run;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (preposed.find(text[i]) != CodePoints::npos && swapped.find(text[i + 1]) != CodePoints::npos) {
      std::swap(text[i], text[i + 1]);
      ++i;
    }
  }
  CodePoints kept;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == U'อ' && !(i > 0 && text[i - 1] == U'ื')) {
      size_t prev = i;  // the letter before, past tone marks (ล้อม "lom")
      while (prev > 0 && text[prev - 1] >= 0x0E48 && text[prev - 1] <= 0x0E4B) --prev;
      const bool between = prev > 0 && is_thai_consonant(text[prev - 1]) && i + 1 < text.size() &&
                           is_thai_consonant(text[i + 1]);
      const bool after_syllable = prev >= 2 && is_thai_vowel(text[prev - 2]);
      if (!between || after_syllable) continue;
    }
    kept.push_back(text[i]);
  }
  romanize_with_table(table, kept, out);
}

enum class Handler { Common, Latin, Table, Thai, Indic, Ethiopic, Hangul, Han, Kana, None };

struct ScriptHandler {
  Handler kind = Handler::None;
  const LetterTable* table = nullptr;
  const IndicRomanizer* indic = nullptr;
};

ScriptHandler handler_for(UScriptCode script) {
  static const LetterTable cyrillic(tables::kCyrillic), greek(tables::kGreek), armenian(tables::kArmenian),
      georgian(tables::kGeorgian), hebrew(tables::kHebrew), arabic(tables::kArabic), thai(tables::kThai);
  static const IndicRomanizer devanagari(tables::kDevanagari), bengali(tables::kBengali), tamil(tables::kTamil);
  switch (script) {
    case USCRIPT_COMMON: case USCRIPT_INHERITED: return {Handler::Common};
    case USCRIPT_LATIN: return {Handler::Latin};
    case USCRIPT_CYRILLIC: return {Handler::Table, &cyrillic};
    case USCRIPT_GREEK: return {Handler::Table, &greek};
    case USCRIPT_ARMENIAN: return {Handler::Table, &armenian};
    case USCRIPT_GEORGIAN: return {Handler::Table, &georgian};
    case USCRIPT_HEBREW: return {Handler::Table, &hebrew};
    case USCRIPT_ARABIC: return {Handler::Table, &arabic};
    case USCRIPT_THAI: return {Handler::Thai, &thai};
    case USCRIPT_DEVANAGARI: return {Handler::Indic, nullptr, &devanagari};
    case USCRIPT_BENGALI: return {Handler::Indic, nullptr, &bengali};
    case USCRIPT_TAMIL: return {Handler::Indic, nullptr, &tamil};
    case USCRIPT_ETHIOPIC: return {Handler::Ethiopic};
    case USCRIPT_HANGUL: return {Handler::Hangul};
    case USCRIPT_HAN: return {Handler::Han};
    case USCRIPT_HIRAGANA: case USCRIPT_KATAKANA: case USCRIPT_KATAKANA_OR_HIRAGANA: return {Handler::Kana};
    default: return {};
  }
}

void romanize_run(const ScriptHandler& h, const CodePoints& run, std::string& out);

// Digits, spaces and punctuation: ASCII stays; marks of other scripts (danda, full-width comma)
// become ASCII; a sign that belongs to the script before it (Arabic comma) goes through that script.
void romanize_common(const CodePoints& run, const ScriptHandler& before, std::string& out) {
  static const LetterTable common(tables::kCommon);
  static const CodePoints space_before = U"（", space_after = U"，、：；）";
  for (size_t i = 0; i < run.size(); ++i) {
    const char32_t c = run[i];
    const CodePoints one(1, c);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (const std::string* latin = common.find(one, false)) {
      // CJK punctuation carries its own spacing; in Latin letters it needs the space ("你好，你" →
      // "nihao, ni"), unless one is already there.
      if (space_before.find(c) != CodePoints::npos && !out.empty() && out.back() != ' ') out.push_back(' ');
      out += *latin;
      if (space_after.find(c) != CodePoints::npos && !(i + 1 < run.size() && run[i + 1] == ' ')) out.push_back(' ');
    } else if (c == 0x3000) {
      out.push_back(' ');
    } else if (before.kind == Handler::Table && before.table->find(one, false)) {
      romanize_run(before, one, out);
    } else if (!(U_GET_GC_MASK(static_cast<UChar32>(c)) & (U_GC_M_MASK | U_GC_CF_MASK))) {
      append_utf8(out, c);  // as uroman: symbols such as "—" and "²" stay
    }
  }
}

void romanize_run(const ScriptHandler& h, const CodePoints& run, std::string& out) {
  switch (h.kind) {
    case Handler::Latin: romanize_latin(run, out); break;
    case Handler::Table: romanize_with_table(*h.table, run, out); break;
    case Handler::Thai: romanize_thai(*h.table, run, out); break;
    case Handler::Indic: h.indic->romanize(run, out); break;
    case Handler::Ethiopic: romanize_ethiopic(run, out); break;
    case Handler::Hangul: romanize_hangul(run, out); break;
    case Handler::Han: romanize_han(run, out); break;
    case Handler::Kana: romanize_kana(run, out); break;
    case Handler::Common: case Handler::None: break;
  }
}

UScriptCode script_code(char32_t c) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
  return U_FAILURE(status) ? USCRIPT_UNKNOWN : script;
}

[[noreturn]] void uncovered(UScriptCode script, char32_t c) {
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
  bad_input(std::string("romanization does not cover the ") + uscript_getName(script) + " script (" + code +
            "); MMS-TTS needs this text in Latin letters");
}

}  // namespace

std::string romanize(std::string_view utf8_text) {
  utf8::require_valid(utf8_text, "text to romanize");
  const CodePoints text = decode(utf8_text);
  std::string out;
  ScriptHandler strong;  // the last script with letters, for the signs that follow it
  for (size_t i = 0; i < text.size();) {
    const UScriptCode script = script_code(text[i]);
    const ScriptHandler h = handler_for(script);
    if (h.kind == Handler::None) uncovered(script, text[i]);
    size_t end = i + 1;
    if (h.kind == Handler::Common) {
      while (end < text.size() && handler_for(script_code(text[end])).kind == Handler::Common) ++end;
      romanize_common(text.substr(i, end - i), strong, out);
    } else {  // the run takes the combining marks (Inherited) that follow its letters
      while (end < text.size() && (script_code(text[end]) == script || script_code(text[end]) == USCRIPT_INHERITED))
        ++end;
      romanize_run(h, text.substr(i, end - i), out);
      strong = h;
    }
    i = end;
  }
  return out;
}

std::string script_of(std::string_view utf8_text) {
  utf8::require_valid(utf8_text, "text");
  for (size_t pos = 0; pos < utf8_text.size();) {
    const UScriptCode script = script_code(utf8::next_code_point(utf8_text, pos));
    if (script != USCRIPT_COMMON && script != USCRIPT_INHERITED && script != USCRIPT_LATIN)
      return uscript_getName(script);
  }
  return "Latin";
}

bool romanization_covers(std::string_view script) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode codes[4];
  const int n = uscript_getCode(std::string(script).c_str(), codes, 4, &status);
  return U_SUCCESS(status) && n >= 1 && handler_for(codes[0]).kind != Handler::None;
}

}  // namespace parley::text
