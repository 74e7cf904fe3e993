#include "server/request_body.h"

#include <memory>

#include "server/api_error.h"

namespace parley::server {

namespace {

using Clock = std::chrono::steady_clock;

// Counts every byte against the limits. Past max_bytes it keeps reading (and dropping) for a while,
// so that the connection stays in step and the client gets the 413 instead of a reset.
class Meter {
 public:
  Meter(const BodyLimits& limits) : limits_(limits), start_(Clock::now()) {}

  // False: stop reading now (the connection must then be closed).
  bool take(size_t n) {
    total_ += n;
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
    if (timed_out_) {
      throw ApiError(408, "request_timeout",
                     "the request body did not arrive within " + std::to_string(limits_.deadline.count()) + " seconds");
    }
    if (over()) fail_too_large();
    throw ApiError(400, "invalid_body", "could not read the request body (malformed framing or multipart data)");
  }
  [[noreturn]] void fail_too_large() const {
    throw ApiError(413, "file_too_large",
                   "the request body is larger than the server's limit of " + std::to_string(limits_.max_bytes >> 20) + " MB");
  }

 private:
  const BodyLimits& limits_;
  Clock::time_point start_;
  size_t total_ = 0;
  bool timed_out_ = false;
};

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
  Meter meter(limits);
  bool ok;
  if (req.is_multipart_form_data()) {
    body.multipart = true;
    bool too_many = false, field_too_large = false;
    ok = reader(
        [&](const httplib::MultipartFormData& header) {
          if (body.parts.size() >= limits.max_parts) {
            too_many = true;
            return false;
          }
          body.parts.push_back({header.name, header.filename, header.content_type, {}});
          return true;
        },
        [&](const char* data, size_t n) {
          if (!meter.take(n)) return false;
          FormPart& p = body.parts.back();
          if (meter.over()) return true;  // dropping: the answer will be 413
          if (p.filename.empty() && p.data.size() + n > limits.max_field_bytes) {
            field_too_large = true;
            return false;
          }
          p.data.append(data, n);
          return true;
        });
    if (too_many) throw ApiError(400, "too_many_parts", "the form has more than " + std::to_string(limits.max_parts) + " parts");
    if (field_too_large) {
      throw ApiError(413, "field_too_large", "a form field is larger than " + std::to_string(limits.max_field_bytes >> 10) + " KB");
    }
  } else {
    ok = reader([&](const char* data, size_t n) {
      if (!meter.take(n)) return false;
      if (!meter.over()) body.raw.append(data, n);
      return true;
    });
  }
  if (!ok) meter.fail_read();
  if (meter.over()) meter.fail_too_large();
  return body;
}

bool discard_body(const httplib::Request& req, const httplib::ContentReader& reader, const BodyLimits& limits) {
  Meter meter(limits);
  auto drop = [&](const char*, size_t n) { return meter.take(n) && !meter.over(); };
  if (req.is_multipart_form_data()) return reader([](const httplib::MultipartFormData&) { return true; }, drop);
  return reader(drop);
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
