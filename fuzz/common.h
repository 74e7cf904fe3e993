// Shared pieces of the fuzz targets (fuzz_*.cpp): what counts as a clean answer to hostile bytes, and
// small helpers to cut one fuzz input into several.
//
// A target passes bytes to a parser. Parley's contract (docs/ARCHITECTURE.md) is that bad input ends
// in a parley::Error (or, in the server, an ApiError) with a one-line message; anything else is a
// finding: a crash, a sanitizer report, another exception type escaping, a huge allocation (libFuzzer's
// -malloc_limit_mb), a hang (-timeout), or a property of the result that does not hold (FUZZ_CHECK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "server/api_error.h"

namespace parley::fuzz {

// Prints what broke and aborts, so libFuzzer saves the input as a crash.
[[noreturn]] void violated(const char* what, const char* file, int line);

// The message of an error Parley throws must be one line (CLI output, HTTP error bodies, logs).
void check_message(const char* message);

// Runs `fn`; parley::Error and server::ApiError are the expected way to refuse bad bytes. Any other
// exception propagates out of the fuzz target, which libFuzzer reports as a crash.
template <class F>
void refuse_cleanly(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    check_message(e.what());
  } catch (const server::ApiError& e) {
    check_message(e.what());
  }
}

// `data` cut at each `sep` byte into at most `max_pieces` pieces (the last one keeps the rest).
std::vector<std::string_view> split(std::string_view data, char sep, size_t max_pieces);

// A file under tests/data, for targets that load a fixture once (tokenizers).
std::string data_path(const std::string& relative);

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace parley::fuzz

#define FUZZ_CHECK(cond) \
  do { \
    if (!(cond)) ::parley::fuzz::violated(#cond, __FILE__, __LINE__); \
  } while (0)
