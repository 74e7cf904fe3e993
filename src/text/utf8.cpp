#include "text/utf8.h"

#include <cstdint>

#include "core/error.h"

namespace parley::utf8 {

namespace {

// The well-formed byte sequences of Unicode's Table 3-7: a lead byte fixes the length and the allowed
// range of the second byte (narrower after E0, ED, F0 and F4, which excludes overlong forms,
// surrogates and values above U+10FFFF); later bytes are always 80..BF.
struct LeadRule {
  uint8_t length;  // 0: not a lead byte
  uint8_t second_lo, second_hi;
};

LeadRule lead_rule(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Number of bytes from `pos` that follow the rule of their lead byte (stops at the first misfit).
size_t matching_prefix(std::string_view bytes, size_t pos, const LeadRule& rule) {
  size_t n = 1;
  while (n < rule.length && pos + n < bytes.size()) {
    const auto c = static_cast<uint8_t>(bytes[pos + n]);
    const bool ok = n == 1 ? (c >= rule.second_lo && c <= rule.second_hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) break;
    ++n;
  }
  return n;
}

}  // namespace

size_t sequence_length(std::string_view bytes, size_t pos) {
  const LeadRule rule = lead_rule(static_cast<uint8_t>(bytes[pos]));
  if (rule.length == 0) return 0;
  return matching_prefix(bytes, pos, rule) == rule.length ? rule.length : 0;
}

size_t maximal_subpart(std::string_view bytes, size_t pos) {
  const LeadRule rule = lead_rule(static_cast<uint8_t>(bytes[pos]));
  if (rule.length == 0) return 1;
  return matching_prefix(bytes, pos, rule);
}

std::optional<size_t> first_invalid(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (static_cast<uint8_t>(bytes[pos]) < 0x80) {  // fast path for ASCII
      ++pos;
      continue;
    }
    const size_t n = sequence_length(bytes, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

void require_valid(std::string_view bytes, std::string_view what, ErrorKind kind) {
  if (auto bad = first_invalid(bytes)) {
    fail(kind, std::string(what) + " is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
  }
}

void append_decoded(std::string& out, std::string_view bytes, OnError mode) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    while (pos < bytes.size()) {  // copy the longest well-formed run in one go
      const size_t n = static_cast<uint8_t>(bytes[pos]) < 0x80 ? 1 : sequence_length(bytes, pos);
      if (n == 0) break;
      pos += n;
    }
    out.append(bytes.substr(start, pos - start));
    if (pos == bytes.size()) break;
    if (mode == OnError::Strict) bad_input("decoded text is not valid UTF-8 (byte " + std::to_string(pos) + ")");
    if (mode == OnError::Replace) out.append("\xEF\xBF\xBD");  // U+FFFD
    pos += maximal_subpart(bytes, pos);
  }
}

void append_code_point(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t next_code_point(std::string_view bytes, size_t& pos) {
  const auto b0 = static_cast<uint8_t>(bytes[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  const size_t n = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  char32_t cp = b0 & (0xFF >> (n + 1));
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<uint8_t>(bytes[pos + i]) & 0x3F);
  pos += n;
  return cp;
}

}  // namespace parley::utf8
