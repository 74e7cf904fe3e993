#include "text/languages.h"

#include <algorithm>
#include <unordered_map>

#include "core/error.h"
#include "text/sentences.h"

namespace parley::text {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// The query as the index spells forms: trimmed, lower case, without the token brackets of M2M100
// ("__fr__") and Whisper ("<|fr|>").
std::string normalize(std::string_view code) {
  std::string s = lower(sentences::trim(code));
  auto unwrap = [&s](std::string_view open, std::string_view close) {
    if (s.size() > open.size() + close.size() && s.starts_with(open) && s.ends_with(close))
      s = s.substr(open.size(), s.size() - open.size() - close.size());
  };
  unwrap("__", "__");
  unwrap("<|", "|>");
  return s;
}

// Every form of every row (lower case) -> the first row that has it.
class Index {
 public:
  Index() {
    for (const Language& l : all_languages()) {
      for (std::string_view form : {l.name, l.iso1, l.iso3, l.whisper, l.flores, l.m2m100, l.mms_tts}) add(form, l);
      add(l.flores.substr(0, l.flores.find('_')), l);  // FLORES' language part: "arb", "pes", "zsm"
      for (std::string_view alias : alias_list(l)) add(alias, l);
    }
  }
  const Language* find(const std::string& form) const {
    auto it = rows_.find(form);
    return it == rows_.end() ? nullptr : it->second;
  }
  const std::unordered_map<std::string, const Language*>& forms() const { return rows_; }

 private:
  void add(std::string_view form, const Language& l) {
    if (!form.empty()) rows_.emplace(lower(form), &l);
  }
  std::unordered_map<std::string, const Language*> rows_;
};

const Index& index() {
  static const Index kIndex;
  return kIndex;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}
bool is_letter(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "zh-hant", "zh_tw", "pt-br", "uz-cyrl-uz": a known code, then a script and/or a region subtag.
const Language* find_with_subtags(const std::string& s) {
  const size_t sep = s.find_first_of("-_");
  if (sep == std::string::npos || sep == 0 || sep + 1 == s.size()) return nullptr;
  const Language* base = index().find(s.substr(0, sep));
  if (!base) return nullptr;
  std::string_view script, region;
  std::string_view rest = std::string_view(s).substr(sep + 1);
  while (!rest.empty()) {
    const size_t next = rest.find_first_of("-_");
    const std::string_view tag = rest.substr(0, next);
    if (tag.size() == 4 && all_of(tag, is_letter) && script.empty()) {
      script = tag;
    } else if (((tag.size() == 2 && all_of(tag, is_letter)) || (tag.size() == 3 && all_of(tag, is_digit))) &&
               region.empty()) {
      region = tag;
    } else {
      return nullptr;
    }
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
  }
  // Chinese as written in Taiwan, Hong Kong and Macau is Traditional.
  if (script.empty() && base->iso3 == "zho" && (region == "tw" || region == "hk" || region == "mo")) script = "hant";
  if (script.empty()) return base;
  return script_variant(*base, script);
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

namespace {

// Country codes typed for a language ("jp" for Japanese): suggested first, never accepted (they are no
// language's code, and "kr" or "br" are other languages' codes).
const Language* country_hint(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kHints[] = {
      {"jp", "ja"}, {"cn", "zh"}, {"gr", "el"}, {"dk", "da"}, {"se", "sv"}, {"cz", "cs"},
      {"ua", "uk"}, {"il", "he"}, {"vn", "vi"}, {"ir", "fa"}, {"kh", "km"}};
  for (const auto& [country, code] : kHints)
    if (s == country) return find_language(code);
  return nullptr;
}

// How many of the models know a row: ranks suggestions that are equally close.
int coverage(const Language& l) {
  return !l.whisper.empty() + !l.flores.empty() + !l.m2m100.empty() + !l.mms_tts.empty();
}

// The query for a message: one line, at most 40 bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

const Language* find_language(std::string_view code) {
  const std::string s = normalize(code);
  if (s.empty()) return nullptr;
  if (const Language* l = index().find(s)) return l;
  return find_with_subtags(s);
}

std::vector<const Language*> closest_languages(std::string_view code, size_t n) {
  const std::string s = normalize(code);
  if (s.empty() || s.size() > 64) return {};
  const size_t allowed = s.size() <= 3 ? 1 : s.size() <= 7 ? 2 : 3;
  std::unordered_map<const Language*, size_t> best;
  if (const Language* hint = country_hint(s)) best.emplace(hint, 0);
  for (const auto& [form, row] : index().forms()) {
    size_t d = edit_distance(s, form);
    if (s.size() >= 3 && form.starts_with(s)) d = std::min<size_t>(d, 1);  // "portu" -> Portuguese
    if (d > allowed) continue;
    auto [it, fresh] = best.emplace(row, d);
    if (!fresh) it->second = std::min(it->second, d);
  }
  std::vector<const Language*> rows;
  for (const auto& [row, d] : best) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [&best](const Language* a, const Language* b) {
    if (best[a] != best[b]) return best[a] < best[b];
    if (coverage(*a) != coverage(*b)) return coverage(*a) > coverage(*b);
    return a < b;  // table order
  });
  if (rows.size() > n) rows.resize(n);
  return rows;
}

const Language& resolve_language(std::string_view code) {
  if (const Language* l = find_language(code)) return *l;
  std::string message = "unknown language '" + printable(sentences::trim(code)) + "'";
  const std::vector<const Language*> close = closest_languages(code);
  if (close.empty()) {
    message += " (give a code such as fr, fra, fra_Latn or __fr__, or an English name such as French)";
  } else {
    message += " (did you mean ";
    for (size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + describe(*close[i]);
    message += "?)";
  }
  invalid_argument(message);
}

std::string_view short_code(const Language& l) {
  for (std::string_view code : {l.iso1, l.iso3, l.flores, l.mms_tts})
    if (!code.empty() && find_language(code) == &l) return code;
  return l.name;
}

std::vector<std::string_view> alias_list(const Language& l) {
  std::vector<std::string_view> out;
  std::string_view rest = l.aliases;
  while (!rest.empty()) {
    const size_t bar = rest.find('|');
    out.push_back(rest.substr(0, bar));
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return out;
}

std::string describe(const Language& l) { return std::string(short_code(l)) + " (" + std::string(l.name) + ")"; }

const Language* script_variant(const Language& language, std::string_view script) {
  for (const Language& l : all_languages())
    if (l.iso3 == language.iso3 && equal_ignoring_case(l.script, script)) return &l;
  return nullptr;
}

std::vector<std::string_view> m2m100_codes() {
  std::vector<std::string_view> codes;
  for (const Language& l : all_languages())
    if (!l.m2m100.empty()) codes.push_back(l.m2m100);
  std::sort(codes.begin(), codes.end());
  return codes;
}

std::string mms_tts_model(const Language& l) {
  return l.mms_tts.empty() ? std::string() : "facebook/mms-tts-" + std::string(l.mms_tts);
}

}  // namespace parley::text
