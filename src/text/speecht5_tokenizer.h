// SpeechT5's text tokenizer: a SentencePiece character model (spm_char.model) plus the added tokens
// of the model folder, giving the ids that transformers 4.27.1's SpeechT5Tokenizer gives.
//
// The reference's behaviour, reproduced here:
// - the text is first split on the special and added tokens (`<s>`, `</s>`, `<unk>`, `<pad>`, `<mask>`,
//   `<ctc_blank>`, ...): a literal "</s>" in the text becomes the end-of-sequence id, and whitespace
//   around such a token is dropped (unless the token's lstrip/rstrip flags say otherwise);
// - every other stretch goes through SentencePiece with the model's own normaliser (NFKC, collapsing
//   whitespace, a leading "▁"), piece by piece; a character the model lacks becomes `<unk>`;
// - nothing is appended: in 4.27.1 SpeechT5Tokenizer does not add `</s>` (later versions do). The
//   golden ids in tests/data were produced by 4.27.1 and end with the text's last character.
//
// Immutable after load and safe to share between threads.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class SpeechT5Tokenizer {
 public:
  SpeechT5Tokenizer() = default;

  // Reads spm_char.model, and added_tokens.json / special_tokens_map.json / tokenizer_config.json when
  // present, from a model folder. Throws Error(BadModel) for a missing or corrupt model file.
  static SpeechT5Tokenizer load(const std::filesystem::path& folder);

  // Token ids of `text` (UTF-8; throws Error(BadInput) when it is not valid UTF-8).
  std::vector<int> encode(std::string_view text) const;

  // True when some id is an ordinary character of the model: not `<unk>`, not a special or added
  // token, not the word-boundary piece alone. Text without one has nothing to say.
  bool has_speakable(std::span<const int> ids) const;

  // The distinct characters of `text` the model lacks (each would be read as `<unk>`), in order of
  // first appearance. Whitespace is never among them.
  std::vector<std::string> unknown_characters(std::string_view text) const;
  // `text` with each character the model lacks replaced by its letter without accents where the
  // model has that (é -> e, ß stays), as the audio course's recipe for fine-tuning SpeechT5 on another
  // language maps its data: such a checkpoint was trained on the folded text. Known characters are
  // left as they are, so text the model fully knows is unchanged (and so are the reference's ids).
  std::string fold_unknown(std::string_view text) const;

  // SentencePiece pieces plus added tokens (ids run from 0 to this - 1).
  int vocab_size() const;
  int unk_id() const;
  bool loaded() const { return impl_ != nullptr; }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace parley
