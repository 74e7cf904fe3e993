#include "whisper/languages.h"

#include <cctype>

#include "text/languages.h"

namespace parley::whisper {

namespace {

// Whisper names two languages otherwise than the table's English names ("Burmese", "Norwegian
// Nynorsk"); the rest are the table's names in lower case.
constexpr std::pair<std::string_view, std::string_view> kOwnSpellings[] = {{"my", "myanmar"}, {"nn", "nynorsk"}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> language_name(std::string_view code) {
  for (const auto& [whisper_code, name] : kOwnSpellings)
    if (code == whisper_code) return std::string(name);
  for (const text::Language& l : text::all_languages())  // the first row: zh is Chinese, not its variant
    if (l.whisper == code && !code.empty()) return lower(l.name);
  return std::nullopt;
}

std::optional<std::string> language_code_of_name(std::string_view name) {
  const text::Language* l = text::find_language(name);
  if (!l || l->whisper.empty()) return std::nullopt;
  return std::string(l->whisper);
}

}  // namespace parley::whisper
