// The one error type of Parley: a user-facing, one-line message plus a kind.
//
// Library code never exits or aborts on bad input; it throws parley::Error. The command line prints
// what() and exits non-zero (2 for usage errors), the server maps kind() to an HTTP status.
#pragma once

#include <stdexcept>
#include <string>

namespace parley {

enum class ErrorKind {
  InvalidArgument,   // a bad option or parameter value (CLI usage error, HTTP 400)
  NotFound,          // a file, model or voice that does not exist (HTTP 404 / 400)
  BadInput,          // input data that cannot be used: corrupt audio, empty text (HTTP 422)
  UnsupportedMedia,  // a format Parley cannot read at all (HTTP 415)
  TooLarge,          // input over a configured limit (HTTP 413)
  BadModel,          // a model folder or weight file that is missing pieces or lies about sizes
  Network,           // a download failed
  Busy,              // the server's queue is full (HTTP 503)
  Cancelled,         // the caller gave up (RunControl::cancel: a client that left, Ctrl-C)
  Internal,          // a bug or resource failure
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Short forms for the common kinds.
[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }
[[noreturn]] inline void bad_input(const std::string& message) { throw Error(ErrorKind::BadInput, message); }
[[noreturn]] inline void bad_model(const std::string& message) { throw Error(ErrorKind::BadModel, message); }
[[noreturn]] inline void invalid_argument(const std::string& message) {
  throw Error(ErrorKind::InvalidArgument, message);
}

}  // namespace parley
