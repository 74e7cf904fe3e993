#include "server/request_log.h"

#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/printable.h"

namespace parley::server {

namespace {

std::string utc_now() {
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return when;
}

// One JSON line; invalid UTF-8 from a request (a path) is replaced rather than thrown on.
void write_json_line(const nlohmann::ordered_json& line, std::FILE* out) {
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(out, "%s\n", text.c_str());
  std::fflush(out);
}

}  // namespace

void log_request(LogFormat format, const RequestRecord& r) {
  const double ms = r.seconds * 1000;
  if (format == LogFormat::Json) {
    write_json_line({{"time", utc_now()},
                     {"client", r.client},
                     {"method", r.method},
                     {"path", r.path.substr(0, 1000)},
                     {"status", r.status},
                     {"bytes", r.bytes},
                     {"duration_ms", std::round(ms * 10) / 10}},
                    stderr);
    return;
  }
  std::fprintf(stderr, "parley: %s %s %s %s %d %zu %.1f ms\n", utc_now().c_str(), printable(r.client, 64).c_str(),
               printable(r.method, 16).c_str(), printable(r.path, 200).c_str(), r.status, r.bytes, ms);
}

void log_message(LogFormat format, const std::string& message, std::FILE* out) {
  if (format == LogFormat::Json) {
    write_json_line({{"time", utc_now()}, {"level", "info"}, {"message", message}}, out);
    return;
  }
  std::fprintf(out, "parley: %s\n", message.c_str());
  std::fflush(out);
}

}  // namespace parley::server
