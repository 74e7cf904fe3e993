// Whisper's tokenizer: byte-level BPE over a GPT-2 style vocabulary, plus Whisper's special tokens
// (<|endoftext|>, <|startoftranscript|>, languages, tasks, <|notimestamps|>) and the timestamp ids
// that follow <|notimestamps|>.
//
// Semantics are those of the reference's slow WhisperTokenizer (transformers 4.27.1) on the published
// files: encode = encode(text, add_special_tokens=False); decode = decode(ids, skip_special_tokens);
// decode_with_timestamps = decode(ids, decode_with_timestamps=True). Where the reference depends on a
// file-layout accident, Parley follows the ids the files declare (see docs in whisper_tokenizer.cpp):
//   - special ids are always the ones added_tokens.json / tokenizer.json declare;
//   - ids >= <|notimestamps|> + 1 are timestamps: decode() drops them, decode_with_timestamps() prints
//     them as "<|1.08|>", whether or not the files list them as added tokens.
// Every id and size comes from the files; nothing Whisper-specific is hard-coded except the names of
// the special tokens. Immutable after load; all methods are thread-safe; copies share the data.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hf/model_dir.h"

namespace parley {

class WhisperTokenizer {
 public:
  // Reads vocab.json + merges.txt (+ added_tokens.json), or tokenizer.json when the folder lacks
  // the first two; special_tokens_map.json, tokenizer_config.json and config.json (vocab_size) when
  // present. Throws Error(BadModel) for missing or malformed files.
  static WhisperTokenizer load(const ModelDir& dir);

  // Token ids of `text` (no prefix or end token added). Special-token text inside `text` (e.g.
  // "<|en|>") becomes that token, as in the reference. Throws Error(BadInput) unless `text` is UTF-8.
  std::vector<int> encode(std::string_view text) const;

  // Text of `ids`. Byte runs are decoded as Python's bytes.decode("utf-8", "replace") does, so a
  // sequence that stops inside a character ends in U+FFFD; special tokens split byte runs.
  // skip_special_tokens drops the special tokens; timestamp ids never produce text here.
  // Throws Error(BadInput) for an id < 0 or >= vocab_size().
  std::string decode(std::span<const int> ids, bool skip_special_tokens = true) const;

  // Text with special tokens shown and timestamps as "<|t|>" (t = (id - timestamp_begin) * precision,
  // two decimals). Like the reference, special tokens are always shown here.
  std::string decode_with_timestamps(std::span<const int> ids, double time_precision = 0.02) const;

  // Added, special and vocabulary tokens by their text (vocabulary tokens in vocab.json spelling,
  // e.g. "Ġhello"); nullopt when unknown.
  std::optional<int> token_to_id(std::string_view token) const;
  // The reference's convert_ids_to_tokens: the added token's text or the vocab.json spelling; ""
  // for ids the files do not name (timestamps in older files). Throws Error(BadInput) when out of range.
  std::string id_to_token(int id) const;

  bool is_special(int id) const;    // a special token (dropped by skip_special_tokens) or a timestamp
  bool is_timestamp(int id) const;  // id >= timestamp_begin()
  // The model's vocabulary size (config.json's vocab_size, e.g. 51865 or 51866); without config.json,
  // one past the largest id the tokenizer files name.
  int vocab_size() const;

  int eot() const;            // <|endoftext|>
  int sot() const;            // <|startoftranscript|>
  int translate() const;      // <|translate|>
  int transcribe() const;     // <|transcribe|>
  int no_timestamps() const;  // <|notimestamps|>
  int timestamp_begin() const;  // <|notimestamps|> + 1: the id of time 0.00
  std::optional<int> start_of_lm() const;    // <|startoflm|>
  std::optional<int> start_of_prev() const;  // <|startofprev|>
  std::optional<int> no_speech() const;      // <|nospeech|>, or <|nocaptions|> in older files

  // Language codes ("en", "zh", ...) in id order: the tokens between <|startoftranscript|> and
  // <|translate|>. 99 in the v1/v2 vocabulary, 100 in v3's (which adds <|yue|>).
  const std::vector<std::string>& languages() const;
  std::optional<int> language_id(std::string_view code) const;  // <|code|>

 private:
  struct Impl;
  explicit WhisperTokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace parley
