// Helpers shared by the route handlers (see routes.h).
#include <charconv>
#include <cmath>

#include "server/api_error.h"
#include "server/routes.h"
#include "text/languages.h"
#include "text/sentences.h"

namespace parley::server {

void set_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  res.status = status;
  res.set_content(ApiError(status, code, message).json(), "application/json");
}

namespace {

// Turns whatever `fn` throws into the matching JSON error. Returns the status of the error.
int catch_errors(httplib::Response& res, const std::function<void()>& fn, std::string& body) {
  ApiError error(500, "internal_error", "internal error");
  try {
    fn();
    return 0;
  } catch (...) {
    error = to_api_error(std::current_exception());
  }
  res = httplib::Response();
  res.status = error.status();
  if (error.status() == 503) res.set_header("Retry-After", "1");
  body = error.json();
  return error.status();
}

}  // namespace

httplib::Server::HandlerWithContentReader with_body(Context& ctx, BodyHandler handle) {
  return [&ctx, handle = std::move(handle)](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
    bool body_done = false;
    std::string error_body;
    int status = catch_errors(res, [&] {
      RequestBody body = read_body(req, reader, ctx.limits);
      body_done = true;
      handle(req, body, res);
    }, error_body);
    if (status == 0) return;
    if (body_done) {
      res.set_content(error_body, "application/json");
    } else {
      respond_and_close(res, status, error_body, "application/json");
    }
  };
}

httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> handle) {
  return [handle = std::move(handle)](const httplib::Request& req, httplib::Response& res) {
    std::string error_body;
    if (catch_errors(res, [&] { handle(req, res); }, error_body) != 0) res.set_content(error_body, "application/json");
  };
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::vector<float> decode_upload(Context& ctx, std::string_view bytes, const std::string& filename, Timings& timings) {
  if (bytes.empty()) throw ApiError(400, "empty_file", "the uploaded audio file is empty", "file");
  auto start = std::chrono::steady_clock::now();
  auto too_long = [&] {
    char msg[160];
    std::snprintf(msg, sizeof msg, "the audio is longer than this server's limit of %.0f seconds", ctx.options.max_audio_seconds);
    return ApiError(413, "audio_too_long", msg, "file");
  };
  std::vector<float> samples;
  try {
    samples = ctx.codec.decode(bytes, filename, ctx.options.max_audio_seconds);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::TooLarge) throw too_long();
    throw;
  }
  timings.emplace_back("decode", ms_since(start));
  if (samples.empty()) throw ApiError(422, "invalid_audio", "the audio file contains no samples", "file");
  // The codec's limit is checked again here, in case a decoder only checks it approximately.
  if (static_cast<double>(samples.size()) > ctx.options.max_audio_seconds * 16000) throw too_long();
  return samples;
}

nlohmann::ordered_json timings_json(Context& ctx, const Timings& timings, double total_ms) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [stage, ms] : timings) {
    out[stage + "_ms"] = std::round(ms * 10) / 10;
    ctx.metrics.observe_stage(stage, ms / 1000);
  }
  out["total_ms"] = std::round(total_ms * 10) / 10;
  return out;
}

std::string option(const httplib::Request& req, const RequestBody& body, const std::string& name) {
  if (auto v = body.field(name)) return *v;
  return req.has_param(name.c_str()) ? req.get_param_value(name.c_str()) : std::string();
}

std::optional<double> number_option(const std::string& value, const std::string& name, double lo, double hi) {
  if (value.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v < lo || v > hi) {
    char msg[200];
    std::snprintf(msg, sizeof msg, "'%s' must be a number from %g to %g", name.c_str(), lo, hi);
    throw ApiError(400, "invalid_parameter", msg, name);
  }
  return v;
}

std::optional<uint64_t> seed_option(const std::string& value) {
  if (value.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size()) {
    throw ApiError(400, "invalid_parameter", "'seed' must be a whole number from 0 to 2^64-1", "seed");
  }
  return v;
}

bool flag_option(const std::string& value, const std::string& name, bool absent) {
  if (value.empty()) return absent;
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw ApiError(400, "invalid_parameter", "'" + name + "' must be true or false", name);
}

std::string language_option(const std::string& value) {
  const std::string_view v = sentences::trim(value);
  if (v.empty() || v == "auto" || v == "AUTO" || v == "Auto") return "";
  const text::Language* l = nullptr;
  try {
    l = &text::resolve_language(v);
  } catch (const Error& e) {  // unknown: the did-you-mean line
    throw ApiError(400, "invalid_parameter", "'language': " + std::string(e.what()), "language");
  }
  if (l->whisper.empty())
    throw ApiError(400, "invalid_parameter", "'language': Whisper does not know " + text::describe(*l), "language");
  return std::string(l->whisper);
}

std::string base64(std::string_view bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += digits[v >> 18];
    out += digits[(v >> 12) & 63];
    out += digits[(v >> 6) & 63];
    out += digits[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += digits[v >> 18];
    out += digits[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace parley::server
