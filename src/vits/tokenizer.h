// VitsTokenizer semantics (transformers' models/vits, v4.33), for the MMS-TTS character vocabularies:
//   1. romanization for checkpoints trained on uroman output (is_uroman; see romanized());
//   2. with `normalize`: at each position the first vocabulary entry (file order) that matches the
//      text is kept as it is, anything else is lower-cased (ICU's simple case mapping: Python's
//      str.lower() differs only for the few characters whose lower case is two characters);
//      Romanian's ț is written ţ as the reference does;
//   3. characters outside the vocabulary are dropped, spaces at either end trimmed;
//   4. one id per character, with the blank (id 0) before, between and after them when `add_blank`.
// Text with no character the model knows is Error(BadInput): "nothing to say in this language's
// alphabet".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::vits {

class VitsTokenizer {
 public:
  // Reads vocab.json and tokenizer_config.json (optional; the reference's defaults: add_blank,
  // normalize, no uroman) from `folder`. Ids must lie in [0, vocab_size). Throws Error(BadModel).
  static VitsTokenizer load(const std::filesystem::path& folder, int64_t vocab_size);
  // From parts (tests, fuzzing): entries in the file's order.
  VitsTokenizer(std::vector<std::pair<std::string, int64_t>> vocab, bool add_blank, bool normalize, bool is_uroman,
                std::string language);

  // The text as the model reads it: romanized, normalised, filtered (steps 1-3 above).
  std::string prepare(std::string_view text) const;
  // Input ids of `text`. Throws Error(BadInput) for text that is not UTF-8, empty, or has no
  // character in the vocabulary.
  std::vector<int64_t> encode(std::string_view text) const;

  bool add_blank() const { return add_blank_; }
  bool normalize() const { return normalize_; }
  bool is_uroman() const { return is_uroman_; }
  const std::string& language() const { return language_; }

 private:
  // The ONE place romanization happens: text for an is_uroman checkpoint must be romanized (as
  // uroman does) before anything else; text/romanize.h does it. A script it does not cover is a
  // one-line error (BadInput).
  std::string romanized(std::string_view text) const;
  // The id of the character `c` (one UTF-8 character), or -1 when the vocabulary lacks it.
  int64_t vocab_id(std::string_view c) const;

  std::vector<std::pair<std::string, int64_t>> vocab_;  // file order
  bool add_blank_ = true, normalize_ = true, is_uroman_ = false;
  std::string language_;
};

}  // namespace parley::vits
