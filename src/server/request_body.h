// Reading a request body within limits, whatever its framing (Content-Length, chunked, gzip) or
// shape (multipart/form-data or raw bytes).
//
// httplib reads a chunked body into memory without a size limit unless the handler streams it, so
// every route that takes a body reads it through read_body(), which counts bytes as they arrive.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "server/api_error.h"
#include "server/multipart.h"

namespace parley::server {

struct BodyLimits {
  size_t max_bytes = 25u << 20;            // the whole body (413 beyond)
  std::chrono::seconds deadline{60};       // the whole body must arrive in this time (408 beyond)
  std::chrono::seconds read_timeout{10};   // httplib's silence limit; a read failing after it: 408
  size_t max_parts = 16;                   // multipart parts
  size_t max_field_bytes = 64u << 10;      // each multipart part that is not a file
  // A JSON body (Content-Type ...json) carries options and at most a few KB of text: kept small, so
  // that no body can make the parser's tree hundreds of times its size.
  size_t max_json_bytes = 1u << 20;
};

// Nesting deeper than this is refused before a JSON body is parsed (no request needs more than 3).
constexpr size_t kMaxJsonDepth = 32;

// Scans a JSON text for its nesting depth without parsing it (strings skipped); throws
// ApiError(400, "invalid_json") past max_depth, before the parser builds a tree of it.
void check_json_depth(std::string_view json, size_t max_depth = kMaxJsonDepth);

struct RequestBody {
  bool multipart = false;
  std::vector<FormPart> parts;  // multipart/form-data, in order
  std::string raw;              // anything else

  const FormPart* part(const std::string& name) const;        // first part with that name
  std::optional<std::string> field(const std::string& name) const;  // its data
};

// Reads the body of `req` through httplib's reader. Throws ApiError: 413 over max_bytes, 408 past
// the deadline, 400 for a malformed multipart body or too many parts. When it throws, the body may
// not have been read to its end: the caller must then close the connection (respond_and_close).
RequestBody read_body(const httplib::Request& req, const httplib::ContentReader& reader, const BodyLimits& limits);

// The request head's body framing, checked before any of the body is read: a Content-Length that is
// not a plain decimal number, or one next to Transfer-Encoding (request smuggling), is a 400; one over
// max_bytes a 413, at once (the connection is then closed: respond_and_close). Null when acceptable.
// A JSON body's limit is BodyLimits::max_json_bytes instead of max_bytes.
std::optional<ApiError> check_framing(const httplib::Request& req, const BodyLimits& limits);

// Reads and drops the body of a request that is answered without it (404, 405), within the same
// limits; returns false when the connection must be closed because the body was not read to its end.
bool discard_body(const httplib::Request& req, const httplib::ContentReader& reader, const BodyLimits& limits);

// Sets `res` to `body` and makes httplib close the connection after sending it. httplib 0.11 has no
// API for that: a content provider that reports failure after writing everything is the one way to
// end its keep-alive loop, and the client still receives the whole response.
void respond_and_close(httplib::Response& res, int status, std::string body, const std::string& content_type);

}  // namespace parley::server
