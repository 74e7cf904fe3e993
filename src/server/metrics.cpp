#include "server/metrics.h"

#include <cmath>
#include <cstdio>

namespace parley::server {

namespace {

// Bucket bounds in seconds: from fast endpoints (/health) to minutes of audio on a slow CPU.
const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

// Label values are escaped as the exposition format requires (backslash, quote, newline).
std::string escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string label(const std::string& name, const std::string& value) { return name + "=\"" + escape(value) + "\""; }

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const std::string& name, const std::string& type, const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Metrics::Metrics(std::vector<Gauge> gauges) : gauges_(std::move(gauges)) {}

void Metrics::observe(Histogram& h, const std::vector<double>& bounds, double value) {
  if (h.counts.empty()) h.counts.assign(bounds.size(), 0);
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += value;
}

namespace {

// The method as a label: HTTP's own methods, anything else "other". The method is what the client
// sent, so taken as is it would let any client add series without end (and bytes a scraper refuses:
// fuzz_http_head's requests left control characters and invalid UTF-8 in /metrics).
std::string method_label(const std::string& method) {
  static const char* const kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"};
  for (const char* known : kKnown)
    if (method == known) return method;
  return "other";
}

}  // namespace

void Metrics::observe_request(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[label("route", route) + "," + label("method", method_label(method)) + "," +
              label("status", std::to_string(status))];
  observe(request_seconds_[label("route", route)], kLatencyBounds, seconds);
}

void Metrics::add_audio(const std::string& route, const std::string& direction, double seconds) {
  std::lock_guard lock(mutex_);
  audio_seconds_[label("route", route) + "," + label("direction", direction)] += seconds;
}

void Metrics::observe_stage(const std::string& stage, double seconds) {
  std::lock_guard lock(mutex_);
  observe(stage_seconds_[label("stage", stage)], kLatencyBounds, seconds);
}

void Metrics::observe_time_to_first_audio(const std::string& route, double seconds) {
  std::lock_guard lock(mutex_);
  observe(first_audio_seconds_[label("route", route)], kLatencyBounds, seconds);
}

void Metrics::render_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& h, const std::vector<double>& bounds) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += h.counts.empty() ? 0 : h.counts[i];
    out += name + "_bucket{" + labels + ",le=\"" + number(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  out += name + "_sum{" + labels + "} " + number(h.sum) + "\n";
  out += name + "_count{" + labels + "} " + std::to_string(h.count) + "\n";
}

std::string Metrics::render() const {
  std::string out;
  for (const auto& g : gauges_) {
    header(out, g.name, "gauge", g.help);
    out += g.name + " " + number(g.read()) + "\n";
  }
  std::lock_guard lock(mutex_);
  header(out, "parley_http_requests_total", "counter", "HTTP requests answered, by route, method and status.");
  for (const auto& [labels, n] : requests_) out += "parley_http_requests_total{" + labels + "} " + std::to_string(n) + "\n";
  header(out, "parley_http_request_duration_seconds", "histogram", "Time from request to response, by route.");
  for (const auto& [labels, h] : request_seconds_) {
    render_histogram(out, "parley_http_request_duration_seconds", labels, h, kLatencyBounds);
  }
  header(out, "parley_audio_seconds_total", "counter", "Seconds of audio received (input) and produced (output).");
  for (const auto& [labels, s] : audio_seconds_) out += "parley_audio_seconds_total{" + labels + "} " + number(s) + "\n";
  header(out, "parley_stage_duration_seconds", "histogram", "Time per processing stage (queue, decode, models, encode).");
  for (const auto& [labels, h] : stage_seconds_) render_histogram(out, "parley_stage_duration_seconds", labels, h, kLatencyBounds);
  header(out, "parley_time_to_first_audio_seconds", "histogram", "Time from request arrival until its first audio was ready.");
  for (const auto& [labels, h] : first_audio_seconds_) {
    render_histogram(out, "parley_time_to_first_audio_seconds", labels, h, kLatencyBounds);
  }
  return out;
}

}  // namespace parley::server
