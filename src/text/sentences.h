// Sentence splitting for speech synthesis and translation, and the whitespace rules it shares with the
// SpeechT5 tokenizer.
//
// Text-to-speech models take a bounded number of tokens (SpeechT5: max_text_positions), translation
// models are trained on sentences and take a bounded number of positions, and streaming wants the first
// sentence early. `split()` cuts text into sentences, in every script; `split_to_fit()` cuts one piece
// further, at clause punctuation, then between words (at spaces, then where ICU's dictionaries see
// words in scripts written without spaces), then (a last resort for a "word" that alone is too long)
// between characters, so that every piece satisfies a caller's length test. Nothing is dropped: the
// pieces hold every non-space character of the input, in order.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sentences {

// Sentences of `text`, trimmed, none empty, each with its terminator and closing quotes or brackets.
// A sentence ends after a terminator of any script: . ! ? … and the others Unicode names
// (Sentence_Terminal: Devanagari danda । ॥, Arabic ؟ and ۔, Armenian ։, Ethiopic ። ፧ ፨, Burmese ။,
// CJK 。！？．), plus Khmer ។ ៕, Tibetan shad ། ༎ and the Greek question mark (; after a Greek letter).
// After . ! ? and other Latin punctuation only when whitespace or the end follows, and not after common
// abbreviations ("Mr.", "e.g."), single initials ("J. Smith"), or when the next word starts in lower
// case; the other scripts' terminators need no space after them ("你好。再见！"). Also at a blank
// line. Thai has no sentence punctuation: Thai text stays one sentence (split_to_fit cuts it at spaces).
std::vector<std::string> split(std::string_view text);

// Pieces of `text`, trimmed, in order, each with fits(piece) true (a single character that does not fit
// is returned alone: the caller decides). Returns {trimmed text} when it fits as a whole.
std::vector<std::string> split_to_fit(std::string_view text, const std::function<bool(std::string_view)>& fits);
// The same with a length: pieces with measure(piece) <= max_units (tokens of a model, characters, ...).
std::vector<std::string> split_to_fit(std::string_view text, size_t max_units,
                                      const std::function<size_t(std::string_view)>& measure);

// --- whitespace (scans treat an ill-formed byte as one non-space character) ---
// Python's str.isspace() for a code point (the whitespace the reference strips around special tokens).
bool is_space(char32_t c);
// `s` without leading and trailing whitespace.
std::string_view trim(std::string_view s);

}  // namespace parley::sentences
