// A small HTTP(S) client over libcurl for talking to the Hub: metadata requests and resumable downloads
// into a file. Every transfer has a connect timeout and a stall timeout, so nothing hangs; transient
// failures (dropped connections, timeouts, 408/429/5xx) are retried with a doubling delay.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::hub {

struct HttpSettings {
  int connect_timeout_s = 10;  // to open a connection
  int read_timeout_s = 10;     // a transfer that receives nothing for this long is abandoned
  int max_retries = 4;         // further attempts after a transient failure
  int retry_delay_ms = 1000;   // wait before the first retry, doubling each time (capped at 8x)
  std::string user_agent = "parley/0.1.0";
};

struct HttpResponse {
  long status = 0;                             // the last response's status
  std::string url;                             // the URL that gave it (after redirects followed)
  std::map<std::string, std::string> headers;  // the last response's headers, names in lower case
  std::string body;                            // the body, up to the caller's limit

  // A header's value, or "" when absent; `name` in lower case.
  std::string header(const std::string& name) const;
  bool is_redirect() const { return status >= 300 && status < 400; }
};

// What a download into a file ended with.
struct FileResponse {
  HttpResponse response;  // the final response (its body holds an error page's start, never file bytes)
  uint64_t file_size = 0;  // bytes in the file afterwards
  uint64_t received = 0;   // file bytes that came over the network, over all attempts
};

class HttpClient {
 public:
  explicit HttpClient(HttpSettings settings);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET or HEAD. Redirects are not followed, except relative ones (same server, e.g. a renamed
  // repository), as huggingface_hub does for metadata. The body is kept up to `max_body` bytes (more is
  // an error). Throws Error(Network) when no answer came after the retries.
  HttpResponse fetch(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                     size_t max_body);

  // GET following redirects, writing the body into the open file `fd`, which holds `have` bytes already:
  // the rest is asked for with "Range: bytes=have-", and a server that answers 200 with the whole file
  // instead overwrites from the start. A dropped or stalled transfer is resumed from what arrived.
  // More than `expected_size` bytes (when known) aborts. HTTP errors are returned (the file is left as
  // it was); transport failures after the retries throw Error(Network).
  FileResponse download(const std::string& url, const std::vector<std::string>& headers, int fd, uint64_t have,
                        std::optional<uint64_t> expected_size, const std::function<void(uint64_t)>& on_progress);

 private:
  struct Impl;
  Impl* impl_;
};

// Resolves a Location header against the URL it came from ("/x" and "x" forms as well as absolute
// URLs); returns "" when it is not an http(s) URL.
std::string resolve_location(const std::string& base_url, const std::string& location);

// Scheme, host and port of a URL ("http://h:1/x" -> "http://h:1"), to tell whether two URLs are the same
// server (credentials are only sent to the endpoint).
std::string url_origin(const std::string& url);

}  // namespace parley::hub
