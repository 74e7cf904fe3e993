// What a Hugging Face tokenizer folder declares, read from either of its two layouts:
//   - the "slow" files: vocab.json + merges.txt (+ added_tokens.json), or
//   - the "fast" file tokenizer.json (vocabulary, merges and added tokens in one JSON document),
// plus special_tokens_map.json, tokenizer_config.json and config.json, which both layouts share.
// This is plain data; WhisperTokenizer gives it meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hf/model_dir.h"
#include "text/bpe.h"

namespace parley {

struct TokenizerFiles {
  struct Added {
    std::string content;
    int id = 0;
    bool special = false;  // tokenizer.json's "special" flag (the slow files have none)
  };
  // A special token as the reference's tokenizer object holds it: a plain string, or an AddedToken
  // whose lstrip/rstrip say whether it eats the whitespace beside it when found in input text.
  struct Special {
    std::string content;
    bool added_token = false;
    bool lstrip = false, rstrip = false;
  };

  std::string source;  // the files, for messages
  std::vector<ByteLevelBpe::Entry> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // best rank first
  std::vector<Added> added;
  // bos, eos, unk, sep, pad, cls, mask, then the additional special tokens: the reference's
  // all_special_tokens_extended order (a later entry with the same content wins).
  std::vector<Special> specials;
  bool declares_additional_specials = false;
  std::optional<std::string> unk_token;
  bool add_prefix_space = false;
  std::string errors = "replace";        // bytes.decode(errors=...) for decoded byte runs
  std::optional<int64_t> model_vocab_size;  // config.json's vocab_size
};

// Largest token id Parley accepts from a file (bigger ones are refused before anything is allocated).
inline constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

// Reads the folder; throws Error(BadModel) naming the file and the problem when something is missing,
// malformed or out of range.
TokenizerFiles read_tokenizer_files(const ModelDir& dir);

// merges.txt text -> pairs. A first line starting with "#version" is a header; blank lines and lines
// that are not exactly two symbols are skipped (they could never match a pair).
std::vector<std::pair<std::string, std::string>> parse_merges_txt(std::string_view text, const std::string& source);

}  // namespace parley
