#include "text/pretokenizer.h"

#include <cstdint>

#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

#include "core/error.h"
#include "text/utf8.h"

namespace parley {

namespace {

// The reference's pattern (GPT-2's), unchanged: contractions are matched case-sensitively, so "I'LL"
// splits as "I", "'", "LL". `\s+(?!\S)` leaves the last space of a run to lead the next word.
constexpr char kPattern[] = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct UTextCloser {
  void operator()(UText* t) const { utext_close(t); }
};

}  // namespace

struct Gpt2PreTokenizer::Impl {
  std::unique_ptr<icu::RegexPattern> pattern;
};

Gpt2PreTokenizer::Gpt2PreTokenizer() : impl_(std::make_unique<Impl>()) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  impl_->pattern.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(kPattern), 0, parse_error, status));
  if (U_FAILURE(status) || !impl_->pattern) {
    fail(ErrorKind::Internal, std::string("cannot compile the GPT-2 pre-tokenizer pattern: ") + u_errorName(status));
  }
}

Gpt2PreTokenizer::~Gpt2PreTokenizer() = default;

std::vector<std::string_view> Gpt2PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;
  UErrorCode status = U_ZERO_ERROR;
  // A UTF-8 UText lets ICU match the bytes in place; its native indexes are byte offsets.
  std::unique_ptr<UText, UTextCloser> ut(
      utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status));
  // One matcher per call: RegexPattern is shareable between threads, a RegexMatcher is not.
  std::unique_ptr<icu::RegexMatcher> matcher(impl_->pattern->matcher(status));
  if (U_FAILURE(status)) fail(ErrorKind::Internal, std::string("ICU regex: ") + u_errorName(status));
  // `\s+(?!\S)` keeps one backtracking entry per whitespace character, and ICU's default 8 MB stack
  // overflows near a million of them; the stack grows with the input instead (8 bytes a character).
  matcher->setStackLimit(0, status);
  matcher->reset(ut.get());
  size_t covered = 0;
  while (matcher->find(status) && U_SUCCESS(status)) {
    const auto start = static_cast<size_t>(matcher->start64(status));
    const auto end = static_cast<size_t>(matcher->end64(status));
    // Every character matches some branch, so matches tile the text; keep any gap anyway rather
    // than drop text silently.
    if (start > covered) pieces.push_back(text.substr(covered, start - covered));
    pieces.push_back(text.substr(start, end - start));
    covered = end;
  }
  if (U_FAILURE(status)) fail(ErrorKind::Internal, std::string("ICU regex: ") + u_errorName(status));
  if (covered < text.size()) pieces.push_back(text.substr(covered));
  return pieces;
}

bool is_python_space(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  if (u_charType(cp) == U_SPACE_SEPARATOR) return true;
  const auto dir = u_charDirection(cp);
  return dir == U_WHITE_SPACE_NEUTRAL || dir == U_BLOCK_SEPARATOR || dir == U_SEGMENT_SEPARATOR;
}

std::string_view lstrip_python(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    if (!is_python_space(utf8::next_code_point(s, next))) break;
    pos = next;
  }
  return s.substr(pos);
}

std::string_view rstrip_python(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    size_t pos = start;
    if (!is_python_space(utf8::next_code_point(s, pos))) break;
    end = start;
  }
  return s.substr(0, end);
}

}  // namespace parley
