#include "whisper/languages.h"

#include <cctype>
#include <utility>

namespace parley::whisper {

namespace {

struct Language {
  const char* code;
  const char* name;
};

// Whisper's languages in token order (large-v3 adds Cantonese at the end).
constexpr Language kLanguages[] = {
    {"en", "english"},   {"zh", "chinese"},    {"de", "german"},        {"es", "spanish"},    {"ru", "russian"},
    {"ko", "korean"},    {"fr", "french"},     {"ja", "japanese"},      {"pt", "portuguese"}, {"tr", "turkish"},
    {"pl", "polish"},    {"ca", "catalan"},    {"nl", "dutch"},         {"ar", "arabic"},     {"sv", "swedish"},
    {"it", "italian"},   {"id", "indonesian"}, {"hi", "hindi"},         {"fi", "finnish"},    {"vi", "vietnamese"},
    {"he", "hebrew"},    {"uk", "ukrainian"},  {"el", "greek"},         {"ms", "malay"},      {"cs", "czech"},
    {"ro", "romanian"},  {"da", "danish"},     {"hu", "hungarian"},     {"ta", "tamil"},      {"no", "norwegian"},
    {"th", "thai"},      {"ur", "urdu"},       {"hr", "croatian"},      {"bg", "bulgarian"},  {"lt", "lithuanian"},
    {"la", "latin"},     {"mi", "maori"},      {"ml", "malayalam"},     {"cy", "welsh"},      {"sk", "slovak"},
    {"te", "telugu"},    {"fa", "persian"},    {"lv", "latvian"},       {"bn", "bengali"},    {"sr", "serbian"},
    {"az", "azerbaijani"}, {"sl", "slovenian"}, {"kn", "kannada"},      {"et", "estonian"},   {"mk", "macedonian"},
    {"br", "breton"},    {"eu", "basque"},     {"is", "icelandic"},     {"hy", "armenian"},   {"ne", "nepali"},
    {"mn", "mongolian"}, {"bs", "bosnian"},    {"kk", "kazakh"},        {"sq", "albanian"},   {"sw", "swahili"},
    {"gl", "galician"},  {"mr", "marathi"},    {"pa", "punjabi"},       {"si", "sinhala"},    {"km", "khmer"},
    {"sn", "shona"},     {"yo", "yoruba"},     {"so", "somali"},        {"af", "afrikaans"},  {"oc", "occitan"},
    {"ka", "georgian"},  {"be", "belarusian"}, {"tg", "tajik"},         {"sd", "sindhi"},     {"gu", "gujarati"},
    {"am", "amharic"},   {"yi", "yiddish"},    {"lo", "lao"},           {"uz", "uzbek"},      {"fo", "faroese"},
    {"ht", "haitian creole"}, {"ps", "pashto"}, {"tk", "turkmen"},      {"nn", "nynorsk"},    {"mt", "maltese"},
    {"sa", "sanskrit"},  {"lb", "luxembourgish"}, {"my", "myanmar"},    {"bo", "tibetan"},    {"tl", "tagalog"},
    {"mg", "malagasy"},  {"as", "assamese"},   {"tt", "tatar"},         {"haw", "hawaiian"},  {"ln", "lingala"},
    {"ha", "hausa"},     {"ba", "bashkir"},    {"jw", "javanese"},      {"su", "sundanese"},  {"yue", "cantonese"},
};

// Other names people use for some of them.
constexpr Language kAliases[] = {
    {"my", "burmese"},  {"ca", "valencian"},  {"nl", "flemish"},   {"ht", "haitian"},   {"lb", "letzeburgesch"},
    {"ps", "pushto"},   {"pa", "panjabi"},    {"ro", "moldavian"}, {"ro", "moldovan"},  {"si", "sinhalese"},
    {"es", "castilian"}, {"zh", "mandarin"},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> language_name(std::string_view code) {
  for (const auto& l : kLanguages)
    if (code == l.code) return std::string(l.name);
  return std::nullopt;
}

std::optional<std::string> language_code_of_name(std::string_view name) {
  const std::string n = lower(name);
  for (const auto& l : kLanguages)
    if (n == l.name) return std::string(l.code);
  for (const auto& l : kAliases)
    if (n == l.name) return std::string(l.code);
  return std::nullopt;
}

}  // namespace parley::whisper
