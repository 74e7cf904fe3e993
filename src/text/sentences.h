// Sentence splitting for speech synthesis, and the whitespace rules it shares with the SpeechT5 tokenizer.
//
// Text-to-speech models take a bounded number of tokens (SpeechT5: max_text_positions), and streaming
// wants the first sentence early. `split()` cuts text into sentences; `split_to_fit()` cuts one piece
// further, at clause punctuation, then between words, then (a last resort for a "word" that alone is
// too long) between characters, so that every piece satisfies a caller's length test. Nothing is
// dropped: the pieces hold every non-space character of the input, in order.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sentences {

// Sentences of `text`, trimmed, none empty. A sentence ends after . ! ? … (and the CJK full stops),
// with any closing quotes or brackets, when whitespace or the end follows (CJK stops need no space);
// also at a blank line. Not after common abbreviations ("Mr.", "e.g."), single initials ("J. Smith"),
// or when the next word starts in lower case.
std::vector<std::string> split(std::string_view text);

// Pieces of `text`, trimmed, in order, each with fits(piece) true (a single character that does not fit
// is returned alone: the caller decides). Returns {trimmed text} when it fits as a whole.
std::vector<std::string> split_to_fit(std::string_view text, const std::function<bool(std::string_view)>& fits);

// --- whitespace (scans treat an ill-formed byte as one non-space character) ---
// Python's str.isspace() for a code point (the whitespace the reference strips around special tokens).
bool is_space(char32_t c);
// `s` without leading and trailing whitespace.
std::string_view trim(std::string_view s);

}  // namespace parley::sentences
