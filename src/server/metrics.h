// The server's counters, gauges and histograms, rendered in Prometheus' text exposition format
// (version 0.0.4) for GET /metrics. Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace parley::server {

class Metrics {
 public:
  // Gauges read at scrape time (queue depth, in-flight requests, ...).
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  explicit Metrics(std::vector<Gauge> gauges = {});

  // One finished HTTP request: `route` is the matched route pattern (bounded label values).
  void observe_request(const std::string& route, const std::string& method, int status, double seconds);
  // Seconds of audio received (input) or produced (output) by a route.
  void add_audio(const std::string& route, const std::string& direction, double seconds);
  // Time one processing stage took ("asr", "tts", "decode", "queue", ...).
  void observe_stage(const std::string& stage, double seconds);
  // Time from the request's arrival until its first audio was ready to send.
  void observe_time_to_first_audio(const std::string& route, double seconds);

  // The whole exposition, ready to serve as text/plain; version=0.0.4.
  std::string render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // one per bucket bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  static void observe(Histogram& h, const std::vector<double>& bounds, double value);
  static void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& h, const std::vector<double>& bounds);

  std::vector<Gauge> gauges_;
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> requests_;           // label set -> count
  std::map<std::string, Histogram> request_seconds_;   // route label -> histogram
  std::map<std::string, double> audio_seconds_;        // label set -> seconds
  std::map<std::string, Histogram> stage_seconds_;     // stage label -> histogram
  std::map<std::string, Histogram> first_audio_seconds_;
};

}  // namespace parley::server
