// The server's log on stderr: one line per request (time, client, method, path, status, bytes,
// duration), and its other lines (start, stop), as text for people or, with --log-format json, as one
// JSON object per line for log collectors. Either way a line cannot be forged from a request: text
// escapes control bytes, JSON escapes everything JSON needs.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "server/server.h"

namespace parley::server {

struct RequestRecord {
  std::string client;  // remote address
  std::string method;
  std::string path;    // as decoded; escaped when written
  int status = 0;
  size_t bytes = 0;    // response body bytes
  double seconds = 0;  // from the request's head to its last byte (a stream's end)
};

// Text: "parley: 2026-01-01T12:00:00Z 127.0.0.1 GET /health 200 123 0.4 ms".
// JSON: {"time": "...", "client": "...", "method": "...", "path": "...", "status": 200, "bytes": 123,
//        "duration_ms": 0.4}.
void log_request(LogFormat format, const RequestRecord& record);

// Another line of the server's: text "parley: MESSAGE", JSON {"time": "...", "level": "info",
// "message": "MESSAGE"}; written to `out` (stdout for the "listening on" line) and flushed.
void log_message(LogFormat format, const std::string& message, std::FILE* out = stderr);

}  // namespace parley::server
