#include "server/request_body.h"

#include <memory>

#include "core/printable.h"
#include "server/api_error.h"
#include "server/connections.h"

namespace parley::server {

namespace {

using Clock = std::chrono::steady_clock;

bool is_json(const httplib::Request& req) { return req.get_header_value("Content-Type").find("json") != std::string::npos; }

std::string size_text(size_t bytes) {
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MB" : std::to_string(bytes >> 10) + " KB";
}

// Counts every byte against the limits. Past max_bytes it keeps reading (and dropping) for a while,
// so that the connection stays in step and the client gets the 413 instead of a reset.
class Meter {
 public:
  explicit Meter(const BodyLimits& limits) : limits_(limits), start_(Clock::now()), last_(start_) {}

  // False: stop reading now (the connection must then be closed).
  bool take(size_t n) {
    total_ += n;
    last_ = Clock::now();
    if (Clock::now() - start_ > limits_.deadline) {
      timed_out_ = true;
      return false;
    }
    // Drop at most another max_bytes (at least 16 MiB) before giving up on the connection.
    size_t slack = std::max<size_t>(limits_.max_bytes, 16u << 20);
    return total_ <= limits_.max_bytes + slack;
  }
  bool over() const { return total_ > limits_.max_bytes; }
  bool timed_out() const { return timed_out_; }

  [[noreturn]] void fail_read() const {
    if (request_body_too_slow()) {
      throw ApiError(408, "request_timeout", "the request body arrived slower than the server's minimum transfer rate");
    }
    if (!timed_out_ && Clock::now() - last_ >= limits_.read_timeout - std::chrono::milliseconds(100)) {
      throw ApiError(408, "request_timeout",
                     "the client stopped sending the request body for " + std::to_string(limits_.read_timeout.count()) + " seconds");
    }
    if (timed_out_) {
      throw ApiError(408, "request_timeout",
                     "the request body did not arrive within " + std::to_string(limits_.deadline.count()) + " seconds");
    }
    if (over()) fail_too_large();
    throw ApiError(400, "invalid_body", "could not read the request body (malformed framing or multipart data)");
  }
  [[noreturn]] void fail_too_large() const {
    throw ApiError(413, "file_too_large",
                   "the request body is larger than the server's limit of " + size_text(limits_.max_bytes));
  }

 private:
  const BodyLimits& limits_;
  Clock::time_point start_;
  Clock::time_point last_;  // when the last bytes arrived
  size_t total_ = 0;
  bool timed_out_ = false;
};

// httplib feeds a body that says multipart/form-data to its own multipart parser, which loses data
// when a read ends inside the opening boundary (0.11). Parley parses multipart itself (multipart.h),
// so the header is hidden while httplib reads the raw bytes. The handler's Request is const, but it
// is httplib's own non-const object, which it reads again only after the handler returns.
class HiddenContentType {
 public:
  explicit HiddenContentType(const httplib::Request& req) : req_(const_cast<httplib::Request&>(req)) {
    auto it = req_.headers.find("Content-Type");
    if (it != req_.headers.end()) {
      value_ = it->second;
      req_.headers.erase(it);
      hidden_ = true;
    }
  }
  ~HiddenContentType() {
    if (hidden_) req_.headers.emplace("Content-Type", value_);
  }
  HiddenContentType(const HiddenContentType&) = delete;
  HiddenContentType& operator=(const HiddenContentType&) = delete;

 private:
  httplib::Request& req_;
  std::string value_;
  bool hidden_ = false;
};

// The raw body, counted against the limits (a JSON body's own) as it arrives.
std::string read_raw(const httplib::Request& req, const httplib::ContentReader& reader, BodyLimits limits) {
  if (is_json(req)) limits.max_bytes = std::min(limits.max_bytes, limits.max_json_bytes);
  Meter meter(limits);
  std::string raw;
  bool ok;
  {
    HiddenContentType hidden(req);
    ok = reader([&](const char* data, size_t n) {
      if (!meter.take(n)) return false;
      if (!meter.over()) raw.append(data, n);
      return true;
    });
  }
  if (!ok) meter.fail_read();
  if (meter.over()) meter.fail_too_large();
  return raw;
}

}  // namespace

const FormPart* RequestBody::part(const std::string& name) const {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<std::string> RequestBody::field(const std::string& name) const {
  const FormPart* p = part(name);
  if (!p) return std::nullopt;
  return p->data;
}

RequestBody read_body(const httplib::Request& req, const httplib::ContentReader& reader, const BodyLimits& limits) {
  RequestBody body;
  body.multipart = req.is_multipart_form_data();
  std::string boundary;
  if (body.multipart) {
    boundary = multipart_boundary(req.get_header_value("Content-Type"));
    // Read the body even when the header is bad, so the connection stays usable.
    std::string raw = read_raw(req, reader, limits);
    if (boundary.empty()) throw ApiError(400, "invalid_body", "multipart/form-data without a valid boundary parameter");
    body.parts = parse_multipart(raw, boundary, limits.max_parts);
    for (const auto& p : body.parts) {
      if (p.filename.empty() && p.data.size() > limits.max_field_bytes) {
        throw ApiError(413, "field_too_large",
                       "form field '" + printable(p.name) + "' is larger than " + std::to_string(limits.max_field_bytes >> 10) + " KB", p.name);
      }
    }
  } else {
    body.raw = read_raw(req, reader, limits);
  }
  return body;
}

std::optional<ApiError> check_framing(const httplib::Request& req, const BodyLimits& limits) {
  const size_t max_bytes = is_json(req) ? limits.max_json_bytes : limits.max_bytes;
  if (!req.has_header("Content-Length")) return std::nullopt;
  if (req.has_header("Transfer-Encoding") || req.get_header_value_count("Content-Length") > 1)
    return ApiError(400, "invalid_body", "a request may declare its body's length once, and not alongside Transfer-Encoding");
  const std::string value = req.get_header_value("Content-Length");
  if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string::npos)
    return ApiError(400, "invalid_body", "Content-Length must be a decimal number of bytes");
  if (std::stoull(value) > max_bytes) {
    return ApiError(413, "file_too_large",
                    "the request body is larger than the server's limit of " + size_text(max_bytes));
  }
  return std::nullopt;
}

void check_json_depth(std::string_view json, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw ApiError(400, "invalid_json", "the JSON body is nested deeper than " + std::to_string(max_depth) + " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

bool discard_body(const httplib::Request& req, const httplib::ContentReader& reader, const BodyLimits& limits) {
  Meter meter(limits);
  HiddenContentType hidden(req);
  return reader([&](const char*, size_t n) { return meter.take(n) && !meter.over(); });
}

void respond_and_close(httplib::Response& res, int status, std::string body, const std::string& content_type) {
  res.status = status;
  auto text = std::make_shared<std::string>(std::move(body));
  res.set_content_provider(text->size(), content_type.c_str(),
                           [text](size_t offset, size_t length, httplib::DataSink& sink) {
                             sink.write(text->data() + offset, length);
                             return false;  // "failed": httplib closes the connection after this response
                           });
}

}  // namespace parley::server
