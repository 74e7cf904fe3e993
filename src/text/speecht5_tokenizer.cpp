#include "text/speecht5_tokenizer.h"

#include <sentencepiece_processor.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/files.h"
#include "hf/model_dir.h"
#include "text/sentences.h"
#include "text/utf8.h"

namespace parley {

namespace fs = std::filesystem;

// A token the text is split on before SentencePiece sees it.
struct SplitToken {
  std::string text;
  int id = 0;
  bool lstrip = true;  // drop whitespace before it
  bool rstrip = true;  // drop whitespace after it
  bool special = false;
};

struct SpeechT5Tokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
  std::map<std::string, int> added;  // added_tokens.json
  std::vector<SplitToken> split_tokens;
  int vocab_size = 0;
  int word_boundary_id = -1;  // the "▁" piece

  int token_id(std::string_view piece) const {
    auto it = added.find(std::string(piece));
    if (it != added.end()) return it->second;
    return sp.PieceToId(piece);  // unknown pieces map to <unk>
  }
  void encode_plain(std::string_view text, std::vector<int>& ids) const;
};

namespace {


// A special token named in special_tokens_map.json or tokenizer_config.json: a plain string (which the
// reference strips on both sides) or an AddedToken dict with its own lstrip/rstrip flags.
void read_special(const nlohmann::json& value, std::vector<SplitToken>& out) {
  SplitToken t;
  t.special = true;
  if (value.is_string()) {
    t.text = value.get<std::string>();
  } else if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    t.text = value["content"].get<std::string>();
    t.lstrip = value.value("lstrip", false);
    t.rstrip = value.value("rstrip", false);
  } else {
    return;
  }
  if (t.text.empty()) return;
  for (const auto& e : out)
    if (e.text == t.text) return;
  out.push_back(std::move(t));
}

void read_special_map(const nlohmann::json& j, std::vector<SplitToken>& out) {
  if (!j.is_object()) return;
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token", "mask_token", "sep_token", "cls_token"})
    if (j.contains(key)) read_special(j[key], out);
  if (j.contains("additional_special_tokens") && j["additional_special_tokens"].is_array())
    for (const auto& v : j["additional_special_tokens"]) read_special(v, out);
}

std::string_view rstrip_space(std::string_view s) {
  const std::string_view t = sentences::trim(s);
  return t.empty() ? t : s.substr(0, static_cast<size_t>(t.data() - s.data()) + t.size());
}

std::string_view lstrip_space(std::string_view s) {
  const std::string_view t = sentences::trim(s);
  return t.empty() ? t : s.substr(static_cast<size_t>(t.data() - s.data()));
}

}  // namespace

SpeechT5Tokenizer SpeechT5Tokenizer::load(const fs::path& folder) {
  ModelDir dir(folder);
  auto impl = std::make_shared<Impl>();
  const fs::path model_file = dir.require("spm_char.model");
  const std::string bytes = read_file(model_file);
  const auto status = impl->sp.LoadFromSerializedProto(bytes);
  if (!status.ok()) bad_model(model_file.string() + " is not a SentencePiece model (" + status.ToString() + ")");
  const int pieces = impl->sp.GetPieceSize();
  impl->vocab_size = pieces;

  if (auto added = dir.optional_json("added_tokens.json")) {
    if (!added->is_object()) bad_model((folder / "added_tokens.json").string() + " is not a JSON object");
    for (auto& [token, id] : added->items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (1 << 24))
        bad_model((folder / "added_tokens.json").string() + ": the id of \"" + token + "\" is not a valid token id");
      impl->added[token] = static_cast<int>(id.get<int64_t>());
      impl->vocab_size = std::max(impl->vocab_size, static_cast<int>(id.get<int64_t>()) + 1);
    }
  }

  // Special tokens as transformers collects them: the map file, else tokenizer_config.json, else the
  // class defaults of SpeechT5Tokenizer.
  std::vector<SplitToken> specials;
  if (auto m = dir.optional_json("special_tokens_map.json")) {
    read_special_map(*m, specials);
  } else if (auto c = dir.optional_json("tokenizer_config.json")) {
    read_special_map(*c, specials);
  }
  if (specials.empty())
    for (const char* t : {"<s>", "</s>", "<unk>", "<pad>"}) read_special(nlohmann::json(t), specials);
  // Added tokens are split on too; as plain AddedTokens they strip on both sides.
  for (const auto& [token, id] : impl->added) read_special(nlohmann::json(token), specials);
  for (auto& t : specials) t.id = impl->token_id(t.text);
  impl->split_tokens = std::move(specials);
  impl->word_boundary_id = impl->sp.PieceToId("\xe2\x96\x81");  // "▁"
  if (impl->word_boundary_id == impl->sp.unk_id()) impl->word_boundary_id = -1;

  SpeechT5Tokenizer tok;
  tok.impl_ = std::move(impl);
  return tok;
}

void SpeechT5Tokenizer::Impl::encode_plain(std::string_view text, std::vector<int>& ids) const {
  if (text.empty()) return;
  std::vector<std::string> pieces;
  const auto status = sp.Encode(text, &pieces);
  if (!status.ok()) fail(ErrorKind::Internal, "SentencePiece failed: " + status.ToString());
  for (const auto& p : pieces) ids.push_back(token_id(p));
}

std::vector<int> SpeechT5Tokenizer::encode(std::string_view text) const {
  if (!impl_) fail(ErrorKind::Internal, "SpeechT5Tokenizer used before load()");
  utf8::require_valid(text, "the text");
  // Split on special tokens, leftmost first and the longest at a position (the reference's trie).
  struct Part {
    std::string_view text;
    const SplitToken* token = nullptr;
  };
  std::vector<Part> parts;
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    const SplitToken* best = nullptr;
    for (const auto& t : impl_->split_tokens)
      if (text.compare(pos, t.text.size(), t.text) == 0 && (!best || t.text.size() > best->text.size())) best = &t;
    if (!best) {
      utf8::next_code_point(text, pos);  // valid: checked above
      continue;
    }
    parts.push_back({text.substr(start, pos - start)});
    parts.push_back({best->text, best});
    pos += best->text.size();
    start = pos;
  }
  parts.push_back({text.substr(start)});
  // Whitespace next to a special token goes, as the reference's tokenize() does.
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].token) continue;
    if (parts[i].token->rstrip && i + 1 < parts.size() && !parts[i + 1].token)
      parts[i + 1].text = lstrip_space(parts[i + 1].text);
    if (parts[i].token->lstrip && i > 0 && !parts[i - 1].token) parts[i - 1].text = rstrip_space(parts[i - 1].text);
  }
  std::vector<int> ids;
  for (const auto& p : parts) {
    if (p.token) {
      ids.push_back(p.token->id);
    } else {
      impl_->encode_plain(p.text, ids);
    }
  }
  return ids;
}

bool SpeechT5Tokenizer::has_speakable(std::span<const int> ids) const {
  if (!impl_) return false;
  for (int id : ids) {
    if (id < 0 || id >= impl_->sp.GetPieceSize()) continue;  // added tokens
    if (id == impl_->word_boundary_id || impl_->sp.IsUnknown(id) || impl_->sp.IsControl(id)) continue;
    bool special = false;
    for (const auto& t : impl_->split_tokens) special = special || t.id == id;
    if (!special) return true;
  }
  return false;
}

namespace {

// `c` decomposed (NFD) with its combining marks dropped: "é" -> "e", "Å" -> "A"; "" when nothing is left.
std::string without_accents(char32_t c) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) fail(ErrorKind::Internal, "ICU has no NFD normalizer");
  const icu::UnicodeString decomposed = nfd->normalize(icu::UnicodeString(static_cast<UChar32>(c)), status);
  icu::UnicodeString kept;
  for (int32_t i = 0; i < decomposed.length(); i = decomposed.moveIndex32(i, 1)) {
    const UChar32 cp = decomposed.char32At(i);
    if (u_charType(cp) != U_NON_SPACING_MARK) kept.append(cp);
  }
  std::string out;
  kept.toUTF8String(out);
  return out;
}

}  // namespace

std::vector<std::string> SpeechT5Tokenizer::unknown_characters(std::string_view text) const {
  utf8::require_valid(text, "the text");
  std::vector<std::string> unknown;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = utf8::next_code_point(text, pos);
    const std::string ch(text.substr(start, pos - start));
    if (u_isUWhiteSpace(static_cast<UChar32>(c)) || std::find(unknown.begin(), unknown.end(), ch) != unknown.end()) continue;
    const std::vector<int> ids = encode(ch);
    if (std::find(ids.begin(), ids.end(), unk_id()) != ids.end()) unknown.push_back(ch);
  }
  return unknown;
}

std::string SpeechT5Tokenizer::fold_unknown(std::string_view text) const {
  const std::vector<std::string> unknown = unknown_characters(text);
  if (unknown.empty()) return std::string(text);
  std::string out;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = utf8::next_code_point(text, pos);
    const std::string ch(text.substr(start, pos - start));
    std::string folded = ch;
    if (std::find(unknown.begin(), unknown.end(), ch) != unknown.end()) {
      const std::string base = without_accents(c);
      const std::vector<int> ids = encode(base);
      if (!base.empty() && std::find(ids.begin(), ids.end(), unk_id()) == ids.end()) folded = base;
    }
    out += folded;
  }
  return out;
}

int SpeechT5Tokenizer::vocab_size() const { return impl_ ? impl_->vocab_size : 0; }
int SpeechT5Tokenizer::unk_id() const { return impl_ ? impl_->sp.unk_id() : -1; }

}  // namespace parley
