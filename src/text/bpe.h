// Byte-level byte-pair encoding (the GPT-2 scheme that Whisper's vocabulary uses).
//
// vocab.json and merges.txt spell tokens in a printable alphabet: each of the 256 byte values is
// mapped to one code point (GPT-2's bytes_to_unicode), so that spaces and control bytes become
// visible characters ("Ġ" is the space byte). This class holds the vocabulary as raw bytes, the merge
// table as a hash map from a pair of symbols to its rank, and runs the merge loop on one pre-token.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/string_map.h"

namespace parley {

// GPT-2's reversible byte <-> code point alphabet.
char32_t byte_to_symbol_char(uint8_t b);
// The byte a vocabulary character stands for; nullopt for characters outside the alphabet.
std::optional<uint8_t> symbol_char_to_byte(char32_t c);
// Raw bytes spelled in the vocabulary alphabet (UTF-8), e.g. " hi" -> "Ġhi".
std::string bytes_to_symbol_text(std::string_view bytes);

class ByteLevelBpe {
 public:
  struct Entry {
    std::string text;  // as written in vocab.json (valid UTF-8)
    int id;
  };
  // `vocab`: token text -> id (ids unique and >= 0); `merges`: pairs of token texts, best rank first.
  // `unk_id`: what a merge result missing from the vocabulary becomes (as the reference does with its
  // unknown token); without it such a result is an Error(BadModel). Throws Error(BadModel) on
  // duplicate ids or texts. `source` names the files in messages.
  ByteLevelBpe(std::vector<Entry> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
               std::optional<int> unk_id, const std::string& source);
  ~ByteLevelBpe();
  ByteLevelBpe(const ByteLevelBpe&) = delete;
  ByteLevelBpe& operator=(const ByteLevelBpe&) = delete;

  // Appends the token ids of one pre-token (raw bytes). Thread-safe; results are cached per pre-token.
  void encode_word(std::string_view word, std::vector<int>& out) const;

  // The vocabulary entry with this id: its vocab.json text and the raw bytes it stands for (a text
  // with characters outside the byte alphabet stands for its own UTF-8). nullptr when the id is not
  // in the vocabulary.
  const std::string* text_of(int id) const;
  const std::string* bytes_of(int id) const;
  std::optional<int> find(std::string_view text) const;
  // One past the largest vocabulary id.
  int id_end() const { return static_cast<int>(id_text_.size()); }
  size_t size() const { return text_to_id_.size(); }
  size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    int rank;
    int result;  // symbol
  };
  int symbol_of(std::string_view text, bool create);
  std::optional<Merge> merge_of(int left, int right) const;
  void run_merges(std::vector<int>& symbols) const;

  // Merge symbols are spelled in the byte alphabet: vocabulary ids [0, id_end()) whose text is, then
  // merge results missing from the vocabulary (ids from id_end() up; the reference handles those as
  // strings too and maps them to its unknown token at the end).
  std::vector<bool> in_alphabet_;  // id -> its text is spelled in the byte alphabet
  StringMap<int> extra_symbols_;
  std::vector<std::string> extra_texts_;
  int byte_symbol_[256];
  std::unordered_map<uint64_t, Merge> merges_;  // (left << 32 | right) -> rank, result

  std::vector<std::string> id_text_;   // id -> vocab.json text ("" where no entry)
  std::vector<std::string> id_bytes_;  // id -> raw bytes
  std::vector<bool> id_present_;
  StringMap<int> text_to_id_;
  std::optional<int> unk_id_;
  std::string source_;

  struct Cache;
  std::unique_ptr<Cache> cache_;
};

}  // namespace parley
