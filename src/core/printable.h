// Text from an untrusted file, made safe to put inside a one-line error message.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace parley {

// Control bytes (newlines, NUL, escape sequences) become \xNN, and text longer than `max_len`
// bytes is cut with "...", so a hostile name can neither break a message into several lines
// nor flood a log.
inline std::string printable(std::string_view s, size_t max_len = 120) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_len; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max_len) out += "...";
  return out;
}

}  // namespace parley
