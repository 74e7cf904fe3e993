#include "text/tokenizer_files.h"

#include "core/error.h"
#include "core/files.h"
#include "text/pretokenizer.h"
#include "text/utf8.h"

namespace parley {

namespace {

using nlohmann::json;

int checked_id(const json& v, const std::string& source, const std::string& what) {
  if (!v.is_number_integer()) bad_model(source + ": the id of " + what + " is not an integer");
  const auto id = v.get<int64_t>();
  if (id < 0 || id > kMaxTokenId) bad_model(source + ": the id of " + what + " is out of range: " + std::to_string(id));
  return static_cast<int>(id);
}

// vocab.json and added_tokens.json are one flat object of text -> id. Reading them with the SAX
// interface into the final vector is several times faster than building a JSON tree of 50,000 keys.
class FlatIdObjectReader : public nlohmann::json_sax<json> {
 public:
  explicit FlatIdObjectReader(std::vector<ByteLevelBpe::Entry>& out) : out_(out) {}
  std::string problem;

  bool start_object(std::size_t) override { return ++depth_ == 1 || fail("nested objects"); }
  bool end_object() override { return --depth_ == 0 || fail("nested objects"); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool number_integer(number_integer_t v) override { return id(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return id(v > static_cast<number_unsigned_t>(kMaxTokenId) ? kMaxTokenId + 1 : static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return fail("the id of \"" + key_ + "\" is not an integer"); }
  bool null() override { return fail("the id of \"" + key_ + "\" is not an integer"); }
  bool boolean(bool) override { return null(); }
  bool string(string_t&) override { return null(); }
  bool binary(binary_t&) override { return null(); }
  bool start_array(std::size_t) override { return fail("a list where an object or id belongs"); }
  bool end_array() override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return fail("not valid JSON");
  }

 private:
  bool id(int64_t v) {
    if (depth_ != 1) return fail("an id outside the object");
    if (v < 0 || v > kMaxTokenId) return fail("the id of \"" + key_ + "\" is out of range: " + std::to_string(v));
    out_.push_back({std::move(key_), static_cast<int>(v)});
    return true;
  }
  bool fail(const std::string& what) {
    if (problem.empty()) problem = what;
    return false;
  }
  std::vector<ByteLevelBpe::Entry>& out_;
  std::string key_;
  int depth_ = 0;
};

std::vector<ByteLevelBpe::Entry> read_flat_id_file(const ModelDir& dir, const std::string& file) {
  const std::string bytes = read_file(dir.require(file));
  std::vector<ByteLevelBpe::Entry> entries;
  FlatIdObjectReader reader(entries);
  const bool ok = json::sax_parse(bytes, &reader);
  if (!ok || !reader.problem.empty()) {
    bad_model(file + ": " + (reader.problem.empty() ? "not a JSON object of token ids" : reader.problem));
  }
  return entries;
}

std::vector<ByteLevelBpe::Entry> read_vocab_object(const json& j, const std::string& source) {
  if (!j.is_object()) bad_model(source + ": the vocabulary is not a JSON object");
  std::vector<ByteLevelBpe::Entry> vocab;
  vocab.reserve(j.size());
  for (const auto& [text, id] : j.items()) vocab.push_back({text, checked_id(id, source, "\"" + text + "\"")});
  return vocab;
}

// Splits on Python's whitespace, as str.split() does.
std::vector<std::string_view> split_python_whitespace(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t pos = 0, start = std::string_view::npos;
  while (pos < line.size()) {
    const size_t here = pos;
    const auto b = static_cast<uint8_t>(line[pos]);
    bool space;
    if (b < 0x80) {  // ASCII: \t \n \v \f \r, the separators 0x1C..0x1F, and ' '
      space = (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x20);
      ++pos;
    } else {
      space = is_python_space(utf8::next_code_point(line, pos));
    }
    if (space) {
      if (start != std::string_view::npos) parts.push_back(line.substr(start, here - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = here;
    }
  }
  if (start != std::string_view::npos) parts.push_back(line.substr(start));
  return parts;
}

// A special token value in tokenizer_config.json or special_tokens_map.json: a string, or an object
// with "content" (and lstrip/rstrip) describing an AddedToken.
TokenizerFiles::Special special_value(const json& v, bool string_is_added_token, const std::string& source) {
  TokenizerFiles::Special s;
  if (v.is_string()) {
    s.content = v.get<std::string>();
    s.added_token = string_is_added_token;
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    s.content = v["content"].get<std::string>();
    s.added_token = true;
    s.lstrip = json_bool_or(v, "lstrip", false, source);
    s.rstrip = json_bool_or(v, "rstrip", false, source);
  } else {
    bad_model(source + ": a special token must be a string or an object with \"content\"");
  }
  utf8::require_valid(s.content, source + " special token", ErrorKind::BadModel);
  return s;
}

// The special tokens the reference ends up with. WhisperTokenizer's constructor defaults bos to
// <|startoftranscript|> and eos/unk to <|endoftext|>, wraps string bos/eos/unk/pad from
// tokenizer_config.json in AddedTokens that keep surrounding spaces, and from_pretrained then sets
// every entry of special_tokens_map.json over them: strings there become plain strings again.
void read_specials(const ModelDir& dir, TokenizerFiles& f) {
  static const char* kKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                "pad_token", "cls_token", "mask_token"};
  std::vector<std::optional<TokenizerFiles::Special>> named(std::size(kKeys));
  named[0] = TokenizerFiles::Special{"<|startoftranscript|>", true};
  named[1] = TokenizerFiles::Special{"<|endoftext|>", true};
  named[2] = TokenizerFiles::Special{"<|endoftext|>", true};
  std::vector<TokenizerFiles::Special> additional;
  auto apply = [&](const json& j, bool strings_are_added_tokens, const std::string& source) {
    if (!j.is_object()) bad_model(source + " is not a JSON object");
    for (size_t k = 0; k < std::size(kKeys); ++k) {
      auto it = j.find(kKeys[k]);
      if (it == j.end() || it->is_null()) continue;
      const bool wrapped = strings_are_added_tokens && (k == 0 || k == 1 || k == 2 || k == 4);  // bos eos unk pad
      named[k] = special_value(*it, wrapped, source);
    }
    auto it = j.find("additional_special_tokens");
    if (it != j.end() && !it->is_null()) {
      if (!it->is_array()) bad_model(source + ": \"additional_special_tokens\" must be a list");
      additional.clear();
      for (const auto& v : *it) additional.push_back(special_value(v, false, source));
      f.declares_additional_specials = true;
    }
  };
  if (auto cfg = dir.optional_json("tokenizer_config.json")) {
    apply(*cfg, true, "tokenizer_config.json");
    f.add_prefix_space = json_bool_or(*cfg, "add_prefix_space", f.add_prefix_space, "tokenizer_config.json");
    f.errors = json_string_or(*cfg, "errors", f.errors, "tokenizer_config.json");
  }
  if (auto map = dir.optional_json("special_tokens_map.json")) apply(*map, false, "special_tokens_map.json");
  for (auto& s : named) {
    if (s) f.specials.push_back(*s);
  }
  f.specials.insert(f.specials.end(), additional.begin(), additional.end());
  if (named[2]) f.unk_token = named[2]->content;
}

void read_slow_files(const ModelDir& dir, TokenizerFiles& f) {
  f.source = "vocab.json";
  f.vocab = read_flat_id_file(dir, "vocab.json");
  const auto merges_path = dir.require("merges.txt");
  f.merges = parse_merges_txt(read_file(merges_path), "merges.txt");
  if (dir.has("added_tokens.json")) {
    for (auto& e : read_flat_id_file(dir, "added_tokens.json")) {
      utf8::require_valid(e.text, "added_tokens.json token", ErrorKind::BadModel);
      f.added.push_back({std::move(e.text), e.id, false});
    }
  }
}

// The documented tokenizer.json format of Hugging Face `tokenizers`: model {type "BPE", vocab,
// merges as "a b" strings (older files) or ["a", "b"] pairs (newer)}, added_tokens [{id, content,
// special, ...}], and a ByteLevel pre-tokenizer. Options that change BPE's result are refused.
void read_fast_file(const ModelDir& dir, TokenizerFiles& f) {
  const std::string src = "tokenizer.json";
  f.source = src;
  const json j = dir.json(src);
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) bad_model(src + " has no \"model\" object");
  const json& model = j["model"];
  if (json_string_or(model, "type", "BPE", src) != "BPE") bad_model(src + ": only BPE models are supported");
  if (json_number_or(model, "dropout", 0, src) != 0 || json_bool_or(model, "byte_fallback", false, src) ||
      json_bool_or(model, "ignore_merges", false, src) ||
      !json_string_or(model, "continuing_subword_prefix", "", src).empty() ||
      !json_string_or(model, "end_of_word_suffix", "", src).empty()) {
    bad_model(src + ": BPE options other than Whisper's (dropout, byte fallback, ...) are not supported");
  }
  if (j.contains("normalizer") && !j["normalizer"].is_null()) bad_model(src + ": a normalizer is not supported");
  const json* pre = j.contains("pre_tokenizer") ? &j["pre_tokenizer"] : nullptr;
  if (!pre || !pre->is_object() || json_string_or(*pre, "type", "", src) != "ByteLevel") {
    bad_model(src + ": only a ByteLevel pre-tokenizer is supported");
  }
  f.add_prefix_space = json_bool_or(*pre, "add_prefix_space", false, src);
  f.vocab = read_vocab_object(model.contains("vocab") ? model["vocab"] : json(), src + " model.vocab");
  if (!model.contains("merges") || !model["merges"].is_array()) bad_model(src + ": model.merges must be a list");
  for (const auto& m : model["merges"]) {
    if (m.is_string()) {
      const auto& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        bad_model(src + ": merge \"" + s + "\" is not two symbols separated by one space");
      }
      f.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      f.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      bad_model(src + ": a merge must be \"a b\" or [\"a\", \"b\"]");
    }
  }
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    if (!j["added_tokens"].is_array()) bad_model(src + ": added_tokens must be a list");
    for (const auto& t : j["added_tokens"]) {
      if (!t.is_object() || !t.contains("content") || !t["content"].is_string() || !t.contains("id")) {
        bad_model(src + ": an added token needs \"id\" and \"content\"");
      }
      const auto content = t["content"].get<std::string>();
      utf8::require_valid(content, src + " added token", ErrorKind::BadModel);
      f.added.push_back({content, checked_id(t["id"], src, "\"" + content + "\""),
                         json_bool_or(t, "special", false, src)});
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_merges_txt(std::string_view text, const std::string& source) {
  utf8::require_valid(text, source, ErrorKind::BadModel);
  std::vector<std::pair<std::string, std::string>> merges;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // The reference drops the first line unconditionally (and the last, expecting a final newline).
    // Published merges.txt files start with "#version: 0.2" and end with a newline, where both rules
    // agree; dropping only a real header also keeps the first merge of a header-less file, as
    // Hugging Face `tokenizers` does.
    if (first && line.substr(0, 8) == "#version") {
      first = false;
      continue;
    }
    first = false;
    const auto parts = split_python_whitespace(line);
    if (parts.size() == 2) merges.emplace_back(std::string(parts[0]), std::string(parts[1]));
  }
  return merges;
}

TokenizerFiles read_tokenizer_files(const ModelDir& dir) {
  TokenizerFiles f;
  if (dir.has("vocab.json") || dir.has("merges.txt")) {
    read_slow_files(dir, f);  // reports which of the pair is missing
  } else if (dir.has("tokenizer.json")) {
    read_fast_file(dir, f);
  } else {
    bad_model("model folder " + dir.path().string() +
              " has no tokenizer files (vocab.json and merges.txt, or tokenizer.json)");
  }
  read_specials(dir, f);
  if (auto cfg = dir.optional_json("config.json")) {
    if (cfg->contains("vocab_size") && !(*cfg)["vocab_size"].is_null()) {
      const int64_t n = json_int(*cfg, "vocab_size", "config.json");
      if (n <= 0 || n > kMaxTokenId + 1) bad_model("config.json: vocab_size is out of range: " + std::to_string(n));
      f.model_vocab_size = n;
    }
  }
  return f;
}

}  // namespace parley
