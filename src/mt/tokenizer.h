// The tokenizers of the translation checkpoints, giving the ids and text that transformers gives:
//
//   NllbTokenizer    sentencepiece.bpe.model; ids are SentencePiece's + 1 after the fairseq four
//                    (<s>0 <pad>1 </s>2 <unk>3, SentencePiece's own unk -> 3), then the FLORES-200
//                    codes ("fra_Latn") in the order of the folder's additional_special_tokens, then
//                    <mask>. Source: [src_code] text </s> (the order of transformers >= 4.28).
//   M2M100Tokenizer  vocab.json (piece -> id) + sentencepiece.bpe.model for the pieces; the language
//                    tokens "__fr__" follow the vocabulary, then num_madeup_words "<madeupwordN>".
//                    Source: [__src__] text </s>.
//   MarianTokenizer  source.spm for encoding, target.spm for decoding, one vocab.json for the ids
//                    (separate_vocabs is not supported). A leading ">>xxx<<" (a multi-target
//                    model's target prefix) is one token. Source: text </s>.
//
// decode() is the reference's decode(ids, skip_special_tokens=True) with its default
// clean_up_tokenization_spaces. Immutable after load and safe to share between threads.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/languages.h"

namespace parley::mt {

enum class TokenizerKind { Nllb, M2M100, Marian };

// A language token of the model: its id, the token as written and the language table's row.
struct LanguageToken {
  int id = 0;
  std::string token;                        // "fra_Latn", "__fr__", ">>fra<<"
  const text::Language* language = nullptr;  // nullptr when the table lacks it
};

class MtTokenizer {
 public:
  MtTokenizer() = default;

  // Reads the tokenizer files of a model folder; the kind comes from tokenizer_config.json's
  // tokenizer_class (else from the files present). Throws Error(BadModel) naming a missing, corrupt
  // or inconsistent file.
  static MtTokenizer load(const std::filesystem::path& folder);

  TokenizerKind kind() const;
  // Token ids of `text` without special tokens (the reference's encode(add_special_tokens=False)).
  // Throws Error(BadInput) when the text is not valid UTF-8.
  std::vector<int> encode(std::string_view text) const;
  // The encoder input: NLLB/M2M100 [source language token] + ids + </s>; Marian ids + </s>
  // (`source_language` ignored: a Marian model's prefix is part of the text).
  std::vector<int> encode_source(std::string_view text, std::optional<int> source_language) const;
  // Text of `ids`, special tokens skipped.
  std::string decode(std::span<const int> ids) const;

  // The model's language tokens, in id order.
  const std::vector<LanguageToken>& language_tokens() const;
  // The token of `language` (any script variant of the same ISO 639-3 when the exact row is missing);
  // nullptr when the model has none.
  const LanguageToken* language_token(const text::Language& language) const;

  // A Marian pair model's languages as tokenizer_config.json names them ("de", "en"; a group such
  // as "ROMANCE" for a multi-target model); empty for the others.
  const std::string& pair_source() const;
  const std::string& pair_target() const;

  int eos_id() const;
  int pad_id() const;
  int unk_id() const;
  // One past the largest id this tokenizer produces.
  int size() const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// transformers' clean_up_tokenization: " ." -> ".", " ?" -> "?", " !" -> "!", " ," -> ",",
// " ' " -> "'", " n't" -> "n't", " 'm", " 's", " 've", " 're" likewise.
std::string clean_up_tokenization(std::string text);

}  // namespace parley::mt
