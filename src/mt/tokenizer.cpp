#include "mt/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "hf/model_dir.h"
#include "text/sentences.h"
#include "text/tokenizer_files.h"
#include "text/utf8.h"

namespace parley::mt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWordBoundary = "\xe2\x96\x81";  // "▁"
constexpr int kNllbOffset = 1;  // fairseq's ids are SentencePiece's + 1 (NllbTokenizer.fairseq_offset)

std::unique_ptr<sentencepiece::SentencePieceProcessor> load_spm(const ModelDir& dir, const std::string& name) {
  const fs::path file = dir.require(name);
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = sp->LoadFromSerializedProto(read_file(file));
  if (!status.ok()) bad_model(file.string() + " is not a SentencePiece model (" + status.ToString() + ")");
  return sp;
}

// vocab.json: {"piece": id, ...} with ids in 0..kMaxTokenId.
std::unordered_map<std::string, int> read_vocab(const ModelDir& dir) {
  const std::string source = (dir.path() / "vocab.json").string();
  const nlohmann::json j = dir.json("vocab.json");
  if (!j.is_object() || j.empty()) bad_model(source + " is not a JSON object of pieces and ids");
  std::unordered_map<std::string, int> vocab;
  for (const auto& [piece, id] : j.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kMaxTokenId)
      bad_model(source + ": the id of \"" + piece + "\" is not a valid token id");
    vocab[piece] = static_cast<int>(id.get<int64_t>());
  }
  return vocab;
}

// additional_special_tokens of special_tokens_map.json, else tokenizer_config.json (strings or
// AddedToken objects).
std::vector<std::string> additional_specials(const ModelDir& dir) {
  std::vector<std::string> out;
  for (const char* file : {"special_tokens_map.json", "tokenizer_config.json"}) {
    auto j = dir.optional_json(file);
    if (!j || !j->is_object() || !j->contains("additional_special_tokens")) continue;
    const auto& list = (*j)["additional_special_tokens"];
    if (!list.is_array()) bad_model((dir.path() / file).string() + ": additional_special_tokens is not a list");
    for (const auto& v : list) {
      if (v.is_string()) out.push_back(v.get<std::string>());
      else if (v.is_object() && v.contains("content") && v["content"].is_string()) out.push_back(v["content"].get<std::string>());
    }
    if (!out.empty()) return out;
  }
  return out;
}

// The language-table row a language token names ("fra_Latn", "__fr__", ">>fra<<", ">>cmn_Hans<<").
const text::Language* row_of_token(std::string_view token) {
  if (token.size() > 4 && token.substr(0, 2) == ">>" && token.substr(token.size() - 2) == "<<")
    token = token.substr(2, token.size() - 4);
  return text::find_language(token);
}

}  // namespace

struct MtTokenizer::Impl {
  TokenizerKind kind = TokenizerKind::Nllb;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> source, target;  // target: Marian only
  std::unordered_map<std::string, int> vocab;                           // M2M100, Marian
  std::vector<std::string> pieces;                                      // id -> token (every id)
  std::vector<char> special;                                            // id -> skipped by decode
  std::vector<LanguageToken> languages;
  std::unordered_map<std::string, int> added;  // language tokens, <mask>, madeup words
  int eos = 2, pad = 1, unk = 3;
  std::string pair_source, pair_target;  // Marian's tokenizer_config.json source_lang / target_lang

  int token_id(const std::string& piece) const;
  void set_piece(int id, const std::string& token, bool is_special) {
    if (id >= static_cast<int>(pieces.size())) {
      pieces.resize(static_cast<size_t>(id) + 1);
      special.resize(static_cast<size_t>(id) + 1, 0);
    }
    pieces[id] = token;
    special[id] = is_special;
  }
  void add_token(int id, const std::string& token, bool is_language) {
    added[token] = id;
    set_piece(id, token, true);
    if (is_language) languages.push_back({id, token, row_of_token(token)});
  }
  void load_nllb(const ModelDir& dir);
  void load_m2m100(const ModelDir& dir);
  void load_marian(const ModelDir& dir);
  void index_vocab();
  int vocab_id(const std::string& token, const std::string& source) const {
    auto it = vocab.find(token);
    if (it == vocab.end()) bad_model(source + " has no \"" + token + "\"");
    return it->second;
  }
};

int MtTokenizer::Impl::token_id(const std::string& piece) const {
  if (auto it = added.find(piece); it != added.end()) return it->second;
  if (kind == TokenizerKind::Nllb) {
    static const std::map<std::string, int, std::less<>> fairseq = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
    if (auto it = fairseq.find(piece); it != fairseq.end()) return it->second;
    const int sp_id = source->PieceToId(piece);
    return sp_id == 0 ? unk : sp_id + kNllbOffset;  // SentencePiece's 0 is its unk
  }
  auto it = vocab.find(piece);
  return it == vocab.end() ? unk : it->second;
}

void MtTokenizer::Impl::load_nllb(const ModelDir& dir) {
  source = load_spm(dir, "sentencepiece.bpe.model");
  const int sp_size = source->GetPieceSize();
  for (int i = 0; i < sp_size; ++i) set_piece(i + kNllbOffset, source->IdToPiece(i), false);
  const char* fairseq[] = {"<s>", "<pad>", "</s>", "<unk>"};
  for (int i = 0; i < 4; ++i) set_piece(i, fairseq[i], true);
  std::vector<std::string> codes;
  for (auto& c : additional_specials(dir))
    if (c.size() == 8 && c[3] == '_') codes.push_back(c);  // "fra_Latn"
  if (codes.empty()) bad_model(dir.path().string() + ": no FLORES-200 language codes in special_tokens_map.json");
  for (size_t i = 0; i < codes.size(); ++i) add_token(sp_size + kNllbOffset + static_cast<int>(i), codes[i], true);
  add_token(sp_size + kNllbOffset + static_cast<int>(codes.size()), "<mask>", false);
}

void MtTokenizer::Impl::index_vocab() {
  for (const auto& [piece, id] : vocab) set_piece(id, piece, false);
}

void MtTokenizer::Impl::load_m2m100(const ModelDir& dir) {
  vocab = read_vocab(dir);
  source = load_spm(dir, "sentencepiece.bpe.model");
  index_vocab();
  const std::string source_name = (dir.path() / "vocab.json").string();
  for (const char* t : {"<s>", "<pad>", "</s>", "<unk>"}) set_piece(vocab_id(t, source_name), t, true);
  pad = vocab_id("<pad>", source_name);
  eos = vocab_id("</s>", source_name);
  unk = vocab_id("<unk>", source_name);
  std::vector<std::string> codes;
  for (auto& c : additional_specials(dir))
    if (c.size() > 4 && c.substr(0, 2) == "__" && c.substr(c.size() - 2) == "__") codes.push_back(c);
  if (codes.empty())
    for (auto code : text::m2m100_codes()) codes.push_back("__" + std::string(code) + "__");
  const int first = static_cast<int>(vocab.size());  // M2M100Tokenizer: encoder_size + i
  for (size_t i = 0; i < codes.size(); ++i) add_token(first + static_cast<int>(i), codes[i], true);
  int madeup = 0;
  if (auto cfg = dir.optional_json("tokenizer_config.json"))
    madeup = static_cast<int>(json_int_or(*cfg, "num_madeup_words", 0, (dir.path() / "tokenizer_config.json").string()));
  if (madeup < 0 || madeup > 1000) bad_model(dir.path().string() + ": num_madeup_words out of range");
  const int after = first + static_cast<int>(codes.size());
  for (int i = 0; i < madeup; ++i) set_piece(after + i, "<madeupword" + std::to_string(i) + ">", false);
}

void MtTokenizer::Impl::load_marian(const ModelDir& dir) {
  if (auto cfg = dir.optional_json("tokenizer_config.json"); cfg && cfg->is_object()) {
    const std::string src = (dir.path() / "tokenizer_config.json").string();
    if (json_bool_or(*cfg, "separate_vocabs", false, src))
      bad_model(dir.path().string() + ": Marian models with separate vocabularies are not supported");
    pair_source = json_string_or(*cfg, "source_lang", "", src);
    pair_target = json_string_or(*cfg, "target_lang", "", src);
  }
  vocab = read_vocab(dir);
  source = load_spm(dir, "source.spm");
  target = load_spm(dir, "target.spm");
  index_vocab();
  const std::string source_name = (dir.path() / "vocab.json").string();
  eos = vocab_id("</s>", source_name);
  unk = vocab_id("<unk>", source_name);
  pad = vocab_id("<pad>", source_name);
  for (int id : {eos, unk, pad}) special[id] = 1;
  for (const auto& [piece, id] : vocab)
    if (piece.size() > 4 && piece.rfind(">>", 0) == 0 && piece.substr(piece.size() - 2) == "<<") {
      added[piece] = id;
      languages.push_back({id, piece, row_of_token(piece)});
    }
  std::sort(languages.begin(), languages.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

MtTokenizer MtTokenizer::load(const fs::path& folder) {
  ModelDir dir(folder);
  std::string cls;
  if (auto cfg = dir.optional_json("tokenizer_config.json"); cfg && cfg->is_object())
    cls = json_string_or(*cfg, "tokenizer_class", "", (folder / "tokenizer_config.json").string());
  auto impl = std::make_shared<Impl>();
  if (cls.rfind("Marian", 0) == 0 || (cls.empty() && dir.has("source.spm"))) {
    impl->kind = TokenizerKind::Marian;
    impl->load_marian(dir);
  } else if (cls.rfind("M2M100", 0) == 0 || (cls.empty() && dir.has("vocab.json"))) {
    impl->kind = TokenizerKind::M2M100;
    impl->load_m2m100(dir);
  } else if (cls.rfind("Nllb", 0) == 0 || cls.empty()) {
    impl->kind = TokenizerKind::Nllb;
    impl->load_nllb(dir);
  } else {
    bad_model((folder / "tokenizer_config.json").string() + ": tokenizer_class " + cls +
              " is not a translation tokenizer Parley knows (NllbTokenizer, M2M100Tokenizer, MarianTokenizer)");
  }
  MtTokenizer tok;
  tok.impl_ = std::move(impl);
  return tok;
}

TokenizerKind MtTokenizer::kind() const { return impl_->kind; }
const std::string& MtTokenizer::pair_source() const { return impl_->pair_source; }
const std::string& MtTokenizer::pair_target() const { return impl_->pair_target; }
int MtTokenizer::eos_id() const { return impl_->eos; }
int MtTokenizer::pad_id() const { return impl_->pad; }
int MtTokenizer::unk_id() const { return impl_->unk; }
int MtTokenizer::size() const { return static_cast<int>(impl_->pieces.size()); }
const std::vector<LanguageToken>& MtTokenizer::language_tokens() const { return impl_->languages; }

const LanguageToken* MtTokenizer::language_token(const text::Language& language) const {
  for (const auto& t : impl_->languages)
    if (t.language == &language) return &t;
  for (const auto& t : impl_->languages)  // another script of the same language
    if (t.language && t.language->iso3 == language.iso3) return &t;
  return nullptr;
}

std::vector<int> MtTokenizer::encode(std::string_view text) const {
  if (!impl_) fail(ErrorKind::Internal, "MtTokenizer used before load()");
  utf8::require_valid(text, "the text");
  std::vector<int> ids;
  if (impl_->kind == TokenizerKind::Marian) {
    // MarianTokenizer.remove_language_code: a ">>xxx<<" prefix is a token of its own.
    const size_t close = text.find("<<");
    if (text.rfind(">>", 0) == 0 && close != std::string_view::npos) {
      ids.push_back(impl_->token_id(std::string(text.substr(0, close + 2))));
      text = text.substr(close + 2);
    }
  }
  if (text.empty()) return ids;
  std::vector<std::string> pieces;
  const auto status = impl_->source->Encode(text, &pieces);
  if (!status.ok()) fail(ErrorKind::Internal, "SentencePiece failed: " + status.ToString());
  for (const auto& p : pieces) ids.push_back(impl_->token_id(p));
  return ids;
}

std::vector<int> MtTokenizer::encode_source(std::string_view text, std::optional<int> source_language) const {
  std::vector<int> ids;
  if (impl_->kind != TokenizerKind::Marian) {
    if (!source_language) invalid_argument("this model needs the source language");
    ids.push_back(*source_language);
  }
  const std::vector<int> body = encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(impl_->eos);
  return ids;
}

std::string MtTokenizer::decode(std::span<const int> ids) const {
  std::vector<std::string> tokens;
  for (int id : ids) {
    const bool known = id >= 0 && id < static_cast<int>(impl_->pieces.size());
    if (!known || impl_->special[id]) continue;  // unknown ids are <unk>, a special token
    tokens.push_back(impl_->pieces[id]);
  }
  std::string text;
  if (impl_->kind == TokenizerKind::Nllb) {
    // NllbTokenizer.convert_tokens_to_string: join, "▁" -> " ".
    for (const auto& t : tokens) {
      for (size_t pos = 0; pos < t.size();) {
        if (t.compare(pos, kWordBoundary.size(), kWordBoundary) == 0) {
          text += ' ';
          pos += kWordBoundary.size();
        } else {
          text += t[pos++];
        }
      }
    }
  } else {
    // SentencePiece decodes the pieces (a piece it lacks comes back as written).
    const auto& sp = impl_->kind == TokenizerKind::Marian ? *impl_->target : *impl_->source;
    const auto status = sp.Decode(tokens, &text);
    if (!status.ok()) fail(ErrorKind::Internal, "SentencePiece failed: " + status.ToString());
  }
  text = std::string(sentences::trim(text));  // str.strip()
  return clean_up_tokenization(std::move(text));
}

std::string clean_up_tokenization(std::string text) {
  static const std::pair<std::string_view, std::string_view> rules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : rules) {
    std::string out;
    size_t pos = 0;
    for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
      out.append(text, pos, hit - pos);
      out += to;
    }
    out.append(text, pos);
    text = std::move(out);
  }
  return text;
}

}  // namespace parley::mt
