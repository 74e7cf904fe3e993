// GPT-2's pre-tokenisation, which Whisper's tokenizer inherits: text is cut into contractions, letter
// runs, digit runs, other-symbol runs and whitespace runs (each optionally led by one space) before BPE
// sees it, so merges never cross those borders.
//
// The pattern is the reference's, run by ICU's regular-expression engine. ICU was chosen over PCRE2
// because its Unicode data (ICU 72: Unicode 15.0) gives \p{L}, \p{N} and \s exactly the sets that the
// reference's Python `regex` module uses, code point for code point (checked over all 1.1M code
// points); PCRE2 10.42 has Unicode 14 (about 4,400 letters fewer) and counts U+180E as a space.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

namespace parley {

class Gpt2PreTokenizer {
 public:
  Gpt2PreTokenizer();  // compiles the pattern once; the object is then read-only and thread-safe
  ~Gpt2PreTokenizer();
  Gpt2PreTokenizer(const Gpt2PreTokenizer&) = delete;
  Gpt2PreTokenizer& operator=(const Gpt2PreTokenizer&) = delete;

  // The pieces of `text` (valid UTF-8), in order; together they are exactly `text`.
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Python's str.isspace(): general category Zs or bidirectional class WS, B or S (this includes the
// separators U+001C..U+001F and U+0085, which \s does not). The reference strips text around special
// tokens with str.strip(), so this is the whitespace that matters there.
bool is_python_space(char32_t c);

// Python's str.lstrip() / str.rstrip() / str.strip() without arguments, on valid UTF-8.
std::string_view lstrip_python(std::string_view s);
std::string_view rstrip_python(std::string_view s);
inline std::string_view strip_python(std::string_view s) { return rstrip_python(lstrip_python(s)); }

}  // namespace parley
