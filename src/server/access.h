// Who may use the server, and from where (docs/server.md, "Security model"):
//   - API keys: with keys configured, every route but /health and the web page's files needs
//     `Authorization: Bearer KEY` (OpenAI's scheme), else 401 in OpenAI's error shape;
//   - the Host header must name this server (the bound address, localhost names, --allowed-host), else
//     403: a page on another site whose name was rebound to this address (DNS rebinding) is refused;
//   - a state-changing request (POST) that carries an Origin must come from the server's own origin or
//     a --cors-origin, else 403: another site's page cannot drive the server through the user's browser;
//   - CORS headers, and answers to preflight OPTIONS requests, only for the --cors-origin origins;
//   - security headers on every answer (a Content-Security-Policy the page satisfies, no framing).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "server/api_error.h"

namespace parley::server {

struct AccessOptions {
  std::vector<std::string> api_keys;       // empty: no key needed
  std::vector<std::string> allowed_hosts;  // besides the defaults; "*": any Host
  std::vector<std::string> cors_origins;   // "scheme://host[:port]" or "*"
};

// The keys in a comma-separated list (PARLEY_API_KEY), blanks around each removed, empty ones dropped.
std::vector<std::string> split_api_keys(std::string_view list);

// Adds the keys of the environment variable PARLEY_API_KEY (comma-separated) to `access`.
void add_environment_api_keys(AccessOptions& access);

// Whether `a` equals `b`, in a time that does not depend on where they differ (a key compared with
// an early exit would let a client find it byte by byte from the answer times).
bool constant_time_equal(std::string_view a, std::string_view b);

class AccessControl {
 public:
  // `bound_host`: the address the server listens on, a Host it is always reached by.
  AccessControl(AccessOptions options, std::string bound_host);

  // The checks of a request before it is routed, in order: Host (403), Origin of a POST (403), the
  // API key (401, with its WWW-Authenticate header to set). nullopt: allowed.
  std::optional<ApiError> check(const httplib::Request& req) const;
  // A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) from a configured
  // origin: answered 204 with the methods and headers allowed. False when `req` is not one.
  bool answer_preflight(const httplib::Request& req, httplib::Response& res) const;
  // The headers every answer carries: security headers; CORS headers for a configured origin.
  void add_headers(const httplib::Request& req, httplib::Response& res) const;

  bool host_allowed(std::string_view host_header) const;
  // An Origin header is allowed: the origin the request reached (http or https, the same Host) or a
  // configured CORS origin.
  bool origin_allowed(const httplib::Request& req) const;
  bool key_accepted(const httplib::Request& req) const;
  bool cors_origin(std::string_view origin) const;

 private:
  AccessOptions options_;
  std::vector<std::string> hosts_;  // allowed Host names, lowercase, without port
  bool any_host_ = false;
};

// Paths open without an API key: /health (load balancers' probes) and the web page's own files (the
// page loads, then asks the user for the key). Everything under /v1/ and /metrics needs the key.
bool open_without_key(const std::string& method, const std::string& path);

}  // namespace parley::server
