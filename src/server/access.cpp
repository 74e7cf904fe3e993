#include "server/access.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/printable.h"

namespace parley::server {

namespace {

// What the web page needs and no more: its own scripts, styles, icon and API; audio it plays from
// blob: URLs it makes itself (and may read back: connect-src blob:, which reaches nothing remote); no
// inline script or style, no plugins, no framing (clickjacking).
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob:; "
    "connect-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A Host header's name without its port, lowercase: "[::1]:8080" -> "[::1]", "Example.org." -> "example.org".
std::string host_name(std::string_view host) {
  host = trim(host);
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return lowercase(host);
}

void set_once(httplib::Response& res, const char* name, const std::string& value) {
  if (!res.has_header(name)) res.set_header(name, value);
}

}  // namespace

std::vector<std::string> split_api_keys(std::string_view list) {
  std::vector<std::string> keys;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view key = trim(list.substr(0, comma));
    if (!key.empty()) keys.emplace_back(key);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return keys;
}

void add_environment_api_keys(AccessOptions& access) {
  const char* list = std::getenv("PARLEY_API_KEY");
  if (!list) return;
  for (std::string& key : split_api_keys(list)) access.api_keys.push_back(std::move(key));
}

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Walks the whole expected key whatever `given` holds: the time depends only on the key's length.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = given.empty() ? 0 : static_cast<unsigned char>(given[i % given.size()]);
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

bool open_without_key(const std::string& method, const std::string& path) {
  if (method != "GET" && method != "HEAD") return false;
  if (path == "/health") return true;
  return path != "/metrics" && path.rfind("/v1/", 0) != 0 && path != "/v1";
}

AccessControl::AccessControl(AccessOptions options, std::string bound_host) : options_(std::move(options)) {
  const std::string bound = bound_host.find(':') != std::string::npos ? "[" + bound_host + "]" : bound_host;
  hosts_ = {host_name(bound), "localhost", "127.0.0.1", "[::1]"};
  for (const std::string& h : options_.allowed_hosts) {
    if (h == "*") any_host_ = true;
    hosts_.push_back(host_name(h));
  }
}

bool AccessControl::host_allowed(std::string_view host_header) const {
  if (any_host_) return true;
  const std::string name = host_name(host_header);
  return std::find(hosts_.begin(), hosts_.end(), name) != hosts_.end();
}

bool AccessControl::cors_origin(std::string_view origin) const {
  const std::string o = lowercase(trim(origin));
  for (const std::string& allowed : options_.cors_origins) {
    if (allowed == "*" || lowercase(allowed) == o) return true;
  }
  return false;
}

bool AccessControl::origin_allowed(const httplib::Request& req) const {
  const std::string origin = lowercase(trim(req.get_header_value("Origin")));
  const std::string host = lowercase(trim(req.get_header_value("Host")));
  // The page's own origin; https too, for a TLS proxy in front that passes the Host on.
  if (!host.empty() && (origin == "http://" + host || origin == "https://" + host)) return true;
  return cors_origin(origin);
}

bool AccessControl::key_accepted(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  std::string_view given = trim(header);
  if (given.size() < 7 || lowercase(given.substr(0, 7)) != "bearer ") return false;
  given = trim(given.substr(7));
  bool accepted = false;
  for (const std::string& key : options_.api_keys) accepted |= constant_time_equal(given, key);  // no early exit
  return accepted;
}

std::optional<ApiError> AccessControl::check(const httplib::Request& req) const {
  if (req.has_header("Host") && !host_allowed(req.get_header_value("Host"))) {
    return ApiError(403, "host_not_allowed",
                    "this server does not answer to the host '" + printable(req.get_header_value("Host"), 100) +
                        "' (see parley serve --allowed-host)");
  }
  if (req.method == "POST" && req.has_header("Origin") && !origin_allowed(req)) {
    return ApiError(403, "origin_not_allowed",
                    "requests from the origin '" + printable(req.get_header_value("Origin"), 100) +
                        "' are not allowed (see parley serve --cors-origin)");
  }
  // A CORS preflight carries no credentials (browsers never send them on OPTIONS); it changes nothing.
  if (options_.api_keys.empty() || req.method == "OPTIONS" || open_without_key(req.method, req.path) ||
      key_accepted(req))
    return std::nullopt;
  if (!req.has_header("Authorization")) {
    return ApiError(401, "missing_api_key",
                    "You didn't provide an API key. Provide it in an Authorization header using Bearer auth "
                    "(i.e. Authorization: Bearer YOUR_KEY).");
  }
  return ApiError(401, "invalid_api_key", "Incorrect API key provided.");
}

bool AccessControl::answer_preflight(const httplib::Request& req, httplib::Response& res) const {
  if (req.method != "OPTIONS" || !req.has_header("Origin") || !req.has_header("Access-Control-Request-Method"))
    return false;
  if (!cors_origin(req.get_header_value("Origin"))) {
    res.status = 403;
    res.set_content(ApiError(403, "origin_not_allowed", "cross-origin requests from this origin are not allowed").json(),
                    "application/json");
    return true;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST");
  // The configured origin is trusted: it may send the headers it asks for (OpenAI's clients add
  // their own); Authorization and Content-Type always.
  std::string headers = "Authorization, Content-Type";
  const std::string asked = printable(req.get_header_value("Access-Control-Request-Headers"), 1000);
  if (!asked.empty()) headers += ", " + asked;
  res.set_header("Access-Control-Allow-Headers", headers);
  res.set_header("Access-Control-Max-Age", "600");
  return true;
}

void AccessControl::add_headers(const httplib::Request& req, httplib::Response& res) const {
  set_once(res, "X-Content-Type-Options", "nosniff");
  set_once(res, "Referrer-Policy", "no-referrer");
  set_once(res, "Content-Security-Policy", kContentSecurityPolicy);
  set_once(res, "X-Frame-Options", "DENY");
  if (!options_.cors_origins.empty()) {
    set_once(res, "Vary", "Origin");
    if (req.has_header("Origin") && cors_origin(req.get_header_value("Origin"))) {
      set_once(res, "Access-Control-Allow-Origin", req.get_header_value("Origin"));
      set_once(res, "Access-Control-Expose-Headers", "Retry-After");
    }
  }
}

}  // namespace parley::server
