#include "vits/tokenizer.h"

#include <unicode/uchar.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "text/romanize.h"
#include "text/sentences.h"
#include "text/utf8.h"

namespace parley::vits {

namespace {

constexpr int64_t kBlankId = 0;  // the reference intersperses the token of id 0

std::vector<std::pair<std::string, int64_t>> read_vocab(const std::filesystem::path& file, int64_t vocab_size) {
  const std::string source = file.string();
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    bad_model(source + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object() || j.empty()) bad_model(source + ": must be a JSON object of characters to ids");
  std::vector<std::pair<std::string, int64_t>> vocab;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number_integer()) bad_model(source + ": the id of \"" + key + "\" is not an integer");
    const int64_t id = value.get<int64_t>();
    if (id < 0 || id >= vocab_size)
      bad_model(source + ": id " + std::to_string(id) + " is outside the model's vocabulary of " +
                std::to_string(vocab_size));
    if (key.empty() || !utf8::is_valid(key)) bad_model(source + ": an entry is empty or not UTF-8");
    vocab.emplace_back(key, id);
  }
  return vocab;
}

}  // namespace

VitsTokenizer::VitsTokenizer(std::vector<std::pair<std::string, int64_t>> vocab, bool add_blank, bool normalize,
                             bool is_uroman, std::string language)
    : vocab_(std::move(vocab)), add_blank_(add_blank), normalize_(normalize), is_uroman_(is_uroman),
      language_(std::move(language)) {}

VitsTokenizer VitsTokenizer::load(const std::filesystem::path& folder, int64_t vocab_size) {
  const auto vocab_file = folder / "vocab.json";
  if (!std::filesystem::is_regular_file(vocab_file)) bad_model("model folder " + folder.string() + " has no vocab.json");
  auto vocab = read_vocab(vocab_file, vocab_size);
  bool add_blank = true, normalize = true, is_uroman = false;
  std::string language;
  const auto config_file = folder / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(config_file)) {
    nlohmann::json c;
    try {
      c = nlohmann::json::parse(read_file(config_file));
    } catch (const nlohmann::json::exception& e) {
      bad_model(config_file.string() + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!c.is_object()) bad_model(config_file.string() + ": not a JSON object");
    auto flag = [&](const char* key, bool fallback) {
      if (!c.contains(key) || c[key].is_null()) return fallback;
      if (!c[key].is_boolean()) bad_model(config_file.string() + ": \"" + key + "\" must be true or false");
      return c[key].get<bool>();
    };
    add_blank = flag("add_blank", true);
    normalize = flag("normalize", true);
    is_uroman = flag("is_uroman", false);
    if (flag("phonemize", false))
      bad_model(config_file.string() + ": phonemized (espeak) VITS checkpoints are not supported");
    if (c.contains("language") && c["language"].is_string()) language = c["language"].get<std::string>();
  }
  return VitsTokenizer(std::move(vocab), add_blank, normalize, is_uroman, std::move(language));
}

std::string VitsTokenizer::romanized(std::string_view text) const {
  // transformers leaves romanization to the caller (it only warns); MMS-TTS was trained on uroman's
  // output, so Parley romanizes here, before lower-casing, as the MMS recipe does.
  if (!is_uroman_) return std::string(text);
  return text::romanize(text);
}

int64_t VitsTokenizer::vocab_id(std::string_view c) const {
  for (const auto& [key, id] : vocab_)
    if (key == c) return id;
  return -1;
}

std::string VitsTokenizer::prepare(std::string_view raw) const {
  utf8::require_valid(raw, "the text");
  const std::string text = romanized(raw);
  std::string normal;
  for (size_t pos = 0; pos < text.size();) {
    bool matched = false;
    if (normalize_)
      for (const auto& entry : vocab_) {  // the first entry in file order that matches, kept as it is
        if (text.compare(pos, entry.first.size(), entry.first) == 0) {
          normal += entry.first;
          pos += entry.first.size();
          matched = true;
          break;
        }
      }
    if (matched) continue;
    const char32_t cp = utf8::next_code_point(text, pos);
    utf8::append_code_point(normal, normalize_ ? static_cast<char32_t>(u_tolower(static_cast<UChar32>(cp))) : cp);
  }
  if (language_ == "ron") {  // the reference writes ț (comma below) as ţ (cedilla) for Romanian
    for (size_t p; (p = normal.find("\xC8\x9B")) != std::string::npos;) normal.replace(p, 2, "\xC5\xA3");
  }
  std::string kept;
  for (size_t pos = 0; pos < normal.size();) {
    const size_t start = pos;
    utf8::next_code_point(normal, pos);
    const std::string_view c(normal.data() + start, pos - start);
    if (vocab_id(c) >= 0) kept += c;
  }
  return std::string(sentences::trim(kept));
}

std::vector<int64_t> VitsTokenizer::encode(std::string_view text) const {
  if (sentences::trim(text).empty()) bad_input("the text is empty");
  const std::string prepared = prepare(text);
  if (prepared.empty())
    bad_input("nothing to say in this language's alphabet: no character of the text is in the voice's vocabulary");
  std::vector<int64_t> ids;
  if (add_blank_) ids.push_back(kBlankId);
  for (size_t pos = 0; pos < prepared.size();) {
    const size_t start = pos;
    utf8::next_code_point(prepared, pos);
    ids.push_back(vocab_id(std::string_view(prepared.data() + start, pos - start)));
    if (add_blank_) ids.push_back(kBlankId);
  }
  return ids;
}

}  // namespace parley::vits
