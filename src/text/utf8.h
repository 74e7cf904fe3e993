// UTF-8 helpers shared by the tokenizers: validity checks and Python-compatible lossy decoding.
//
// Model vocabularies store byte sequences, and a decoded token sequence can stop in the middle of a
// character. The reference turns such bytes into text with Python's bytes.decode("utf-8", "replace"),
// which follows Unicode's "maximal subpart" practice: every maximal prefix of a well-formed sequence
// that cannot be completed becomes ONE U+FFFD, and every other bad byte becomes its own U+FFFD.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::utf8 {

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates U+D800..U+DFFF and values above U+10FFFF are ill-formed); nullopt when all is valid.
std::optional<size_t> first_invalid(std::string_view bytes);
inline bool is_valid(std::string_view bytes) { return !first_invalid(bytes); }

// Throws Error(kind) "<what> is not valid UTF-8 (byte N)" unless `bytes` is well-formed (BadModel
// suits model files, BadInput user text).
void require_valid(std::string_view bytes, std::string_view what, ErrorKind kind = ErrorKind::BadInput);

// Length of the well-formed sequence starting at bytes[pos] (1..4), or 0 when it is ill-formed.
size_t sequence_length(std::string_view bytes, size_t pos);

// Length of the maximal subpart at bytes[pos]: the bytes that one U+FFFD replaces (at least 1), for a
// position where sequence_length() is 0.
size_t maximal_subpart(std::string_view bytes, size_t pos);

// How bytes.decode("utf-8", errors=...) treats ill-formed input.
enum class OnError { Replace, Ignore, Strict };

// Well-formed UTF-8 copy of `bytes`: ill-formed parts replaced by U+FFFD (Replace), dropped (Ignore),
// or Error(BadInput) (Strict). Appends to `out`.
void append_decoded(std::string& out, std::string_view bytes, OnError mode = OnError::Replace);
inline std::string decode_lossy(std::string_view bytes) {
  std::string out;
  append_decoded(out, bytes, OnError::Replace);
  return out;
}

// Appends the UTF-8 encoding of code point `cp` (must be a Unicode scalar value).
void append_code_point(std::string& out, char32_t cp);

// Decodes the well-formed sequence at bytes[pos]; returns the code point and advances pos. The caller
// guarantees well-formedness (e.g. after require_valid).
char32_t next_code_point(std::string_view bytes, size_t& pos);

}  // namespace parley::utf8
