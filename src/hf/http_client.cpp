#include "hf/http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include <curl/curl.h>

#include "core/error.h"

namespace parley::hub {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void ensure_curl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// A URL for messages: signed CDN URLs carry long query strings that say nothing to a user.
std::string display_url(const std::string& url) { return url.substr(0, url.find('?')); }

bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool is_transient_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

void wait_before_retry(const HttpSettings& settings, int attempt) {
  int factor = 1 << std::min(attempt, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(settings.retry_delay_ms) * factor));
}

// Collects the status line and headers; a new status line (after a redirect or a 100 Continue) starts over.
struct HeaderSink {
  HttpResponse* response;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  size_t n = size * count;
  std::string line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    sink->response->headers.clear();
    size_t space = line.find(' ');
    sink->response->status = space == std::string::npos ? 0 : std::strtol(line.c_str() + space + 1, nullptr, 10);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t begin = line.find_first_not_of(" \t", colon + 1);
  sink->response->headers[name] = begin == std::string::npos ? "" : line.substr(begin);
  return n;
}

struct BodySink {
  std::string* body;
  size_t max_body;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  size_t n = size * count;
  if (sink->body->size() + n > sink->max_body) {
    sink->overflow = true;
    return 0;
  }
  sink->body->append(data, n);
  return n;
}

// State of one GET into a file. The first body bytes decide what the answer means: an error page goes
// to `response->body`, a 200 replaces what the file held, a 206 must continue exactly where it stops.
struct FileSink {
  HttpResponse* response;
  int fd;
  uint64_t pos;
  std::optional<uint64_t> limit;
  const std::function<void(uint64_t)>* on_progress;
  uint64_t received = 0;
  bool started = false;
  bool error_page = false;
  bool overflow = false;
  bool range_mismatch = false;
  int io_errno = 0;
};

// "bytes 100-199/200" -> 100
std::optional<uint64_t> content_range_start(const std::string& value) {
  if (value.rfind("bytes ", 0) != 0) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long start = std::strtoull(value.c_str() + 6, &end, 10);
  if (errno != 0 || end == value.c_str() + 6 || *end != '-') return std::nullopt;
  return start;
}

bool start_file_body(FileSink* sink) {
  sink->started = true;
  long status = sink->response->status;
  if (status < 200 || status >= 300) {
    sink->error_page = true;
  } else if (status == 206) {
    auto start = content_range_start(sink->response->header("content-range"));
    if (!start || *start != sink->pos) {
      sink->range_mismatch = true;
      return false;
    }
  } else if (sink->pos > 0) {
    // The server ignored our Range and sends the whole file: start the file over.
    if (::ftruncate(sink->fd, 0) != 0) {
      sink->io_errno = errno;
      return false;
    }
    sink->pos = 0;
  }
  return true;
}

size_t on_file_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<FileSink*>(user);
  size_t n = size * count;
  if (!sink->started && !start_file_body(sink)) return 0;
  if (sink->error_page) {
    std::string& body = sink->response->body;
    body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (sink->limit && sink->pos + n > *sink->limit) {
    sink->overflow = true;
    return 0;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(sink->fd, data + done, n - done, static_cast<off_t>(sink->pos + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      sink->io_errno = errno ? errno : EIO;
      sink->pos += done;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  sink->pos += n;
  sink->received += n;
  if (*sink->on_progress) (*sink->on_progress)(sink->pos);
  return n;
}

// Abandons a transfer that receives nothing for `read_timeout_s` (plus the connect time before the first
// byte). libcurl's own low-speed limit averages over a few seconds, so after a burst it would let a
// stalled server hold the transfer several seconds longer than asked.
struct Watchdog {
  std::chrono::steady_clock::time_point last;
  curl_off_t seen = 0;
  std::chrono::milliseconds first_byte_limit, idle_limit;
  bool fired = false;

  explicit Watchdog(const HttpSettings& s)
      : last(std::chrono::steady_clock::now()),
        first_byte_limit(1000LL * (s.connect_timeout_s + s.read_timeout_s)),
        idle_limit(1000LL * s.read_timeout_s) {}
};

int on_transfer_info(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* w = static_cast<Watchdog*>(user);
  auto now = std::chrono::steady_clock::now();
  if (dlnow != w->seen) {
    w->seen = dlnow;
    w->last = now;
    return 0;
  }
  if (now - w->last > (dlnow == 0 ? w->first_byte_limit : w->idle_limit)) {
    w->fired = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

class HeaderList {
 public:
  explicit HeaderList(const std::vector<std::string>& headers) {
    for (const auto& h : headers) list_ = curl_slist_append(list_, h.c_str());
  }
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

std::string transfer_error(CURLcode code, const char* errbuf, const std::string& url, const Watchdog& watchdog,
                           int read_timeout_s) {
  std::string detail = watchdog.fired ? "no data received for " + std::to_string(read_timeout_s) + " s (timed out)"
                       : errbuf[0]    ? errbuf
                                      : curl_easy_strerror(code);
  return "request to " + display_url(url) + " failed: " + detail;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::Impl {
  HttpSettings settings;
  CURL* curl = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};

  // Options every request shares; `headers` and `watchdog` must outlive the transfer.
  void prepare(const std::string& url, const HeaderList& headers, HeaderSink* header_sink, Watchdog* watchdog) {
    curl_easy_reset(curl);  // keeps the connection cache, so requests to the Hub reuse connections
    errbuf[0] = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout_s));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, watchdog);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, settings.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, header_sink);
  }

  // One metadata request with retries; the answer is returned as is (redirects included).
  HttpResponse fetch_once(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                          size_t max_body) {
    HeaderList header_list(headers);
    for (int attempt = 0;; ++attempt) {
      HttpResponse response;
      response.url = url;
      HeaderSink header_sink{&response};
      BodySink body_sink{&response.body, max_body};
      Watchdog watchdog(settings);
      prepare(url, header_list, &header_sink, &watchdog);
      if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_sink);
      // Metadata is small: a whole request that takes minutes is stuck, whatever trickles in.
      curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(std::max(60, 4 * settings.read_timeout_s)));
      CURLcode code = curl_easy_perform(curl);
      if (body_sink.overflow)
        fail(ErrorKind::Network, "the answer from " + display_url(url) + " is larger than " +
                                     std::to_string(max_body) + " bytes");
      bool retry = code == CURLE_OK ? is_transient_status(response.status) : is_transient(code) || watchdog.fired;
      if (retry && attempt < settings.max_retries) {
        wait_before_retry(settings, attempt);
        continue;
      }
      if (code != CURLE_OK) fail(ErrorKind::Network, transfer_error(code, errbuf, url, watchdog, settings.read_timeout_s));
      return response;
    }
  }
};

HttpClient::HttpClient(HttpSettings settings) : impl_(new Impl) {
  ensure_curl_initialized();
  impl_->settings = std::move(settings);
  impl_->curl = curl_easy_init();
  if (!impl_->curl) {
    delete impl_;
    fail(ErrorKind::Internal, "cannot start libcurl");
  }
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(impl_->curl);
  delete impl_;
}

HttpResponse HttpClient::fetch(const std::string& method, const std::string& url,
                               const std::vector<std::string>& headers, size_t max_body) {
  std::string current = url;
  for (int hop = 0;; ++hop) {
    HttpResponse response = impl_->fetch_once(method, current, headers, max_body);
    std::string location = response.header("location");
    bool relative = !location.empty() && location.find("://") == std::string::npos && location.rfind("//", 0) != 0;
    if (!response.is_redirect() || !relative) return response;
    if (hop >= 5) fail(ErrorKind::Network, "too many redirects from " + display_url(url));
    current = resolve_location(current, location);
    if (current.empty()) fail(ErrorKind::Network, "bad redirect from " + display_url(url));
  }
}

FileResponse HttpClient::download(const std::string& url, const std::vector<std::string>& headers, int fd,
                                  uint64_t have, std::optional<uint64_t> expected_size,
                                  const std::function<void(uint64_t)>& on_progress) {
  const HttpSettings& settings = impl_->settings;
  CURL* curl = impl_->curl;
  uint64_t pos = have;
  uint64_t received = 0;
  for (int attempt = 0;;) {
    std::vector<std::string> request_headers = headers;
    if (pos > 0) request_headers.push_back("Range: bytes=" + std::to_string(pos) + "-");
    HeaderList header_list(request_headers);
    FileResponse result;
    result.response.url = url;
    HeaderSink header_sink{&result.response};
    FileSink sink{&result.response, fd, pos, expected_size, &on_progress};
    Watchdog watchdog(settings);
    impl_->prepare(url, header_list, &header_sink, &watchdog);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_file_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    CURLcode code = curl_easy_perform(curl);
    received += sink.received;
    result.received = received;
    char* effective = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
      result.response.url = effective;
    long status = result.response.status;
    if (code == CURLE_OK && !sink.started && status == 200 && pos > 0) {
      // An empty 200 answer to a Range request: the file is empty.
      if (::ftruncate(fd, 0) != 0) sink.io_errno = errno;
      sink.pos = 0;
    }
    if (sink.overflow)
      fail(ErrorKind::Network, display_url(url) + " sent more than the announced " +
                                   std::to_string(expected_size.value_or(0)) + " bytes");
    if (sink.io_errno) fail(ErrorKind::Internal, std::string("cannot write the download: ") + std::strerror(sink.io_errno));
    bool progressed = sink.pos > pos;
    pos = sink.pos;
    if (progressed) attempt = 0;  // a transfer that moves forward is never given up on for old failures
    bool http_error = code == CURLE_OK && (status < 200 || status >= 300);
    if (code == CURLE_OK && !http_error) {
      result.file_size = pos;
      return result;
    }
    if (sink.range_mismatch) {
      // The server answered a different range than asked: fetch the whole file again.
      if (::ftruncate(fd, 0) != 0) fail(ErrorKind::Internal, std::string("cannot write the download: ") + std::strerror(errno));
      pos = 0;
    }
    bool retry = sink.range_mismatch || (http_error ? is_transient_status(status) : is_transient(code) || watchdog.fired);
    if (retry && attempt < settings.max_retries) {
      wait_before_retry(settings, attempt++);
      continue;
    }
    if (http_error) {
      result.file_size = pos;
      return result;
    }
    if (sink.range_mismatch) fail(ErrorKind::Network, display_url(url) + " keeps answering the wrong byte range");
    fail(ErrorKind::Network, transfer_error(code, impl_->errbuf, url, watchdog, settings.read_timeout_s));
  }
}

std::string resolve_location(const std::string& base_url, const std::string& location) {
  ensure_curl_initialized();
  CURLU* u = curl_url();
  std::string out;
  char* text = nullptr;
  char* scheme = nullptr;
  if (u && curl_url_set(u, CURLUPART_URL, base_url.c_str(), 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      (std::strcmp(scheme, "http") == 0 || std::strcmp(scheme, "https") == 0) &&
      curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK) {
    out = text;
  }
  curl_free(text);
  curl_free(scheme);
  curl_url_cleanup(u);
  return out;
}

std::string url_origin(const std::string& url) {
  ensure_curl_initialized();
  CURLU* u = curl_url();
  std::string out;
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    out = std::string(scheme) + "://" + host + ":" + port;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

}  // namespace parley::hub
