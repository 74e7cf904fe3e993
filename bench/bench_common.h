// What parley_bench's parts share: the command line, timing and memory figures.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/precision.h"

namespace parley::bench {

struct Args {
  std::filesystem::path models;
  Precision precision = Precision::F32;
  int threads = 0;
  int repeats = 3;
  std::filesystem::path json_out;
  std::filesystem::path error_data;  // tests/data: reduced-precision error report on the golden fixtures
  std::string only;                  // one part alone: whisper, tts, vocoder, ttfa, mt, vits
  // The English stages run when nothing or one of them is asked for; mt and vits only when asked
  // (one process per part keeps each part's peak memory its own).
  bool want(const char* part) const { return only.empty() || only == part; }
};

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One warm-up run, then the median of `repeats` timed runs, in seconds.
inline double timed(int repeats, const std::function<void()>& fn) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now();
    fn();
    t.push_back(now() - t0);
  }
  return median(t);
}

inline int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;
}

inline int64_t folder_weight_bytes(const std::filesystem::path& dir) {
  int64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") n += static_cast<int64_t>(e.file_size());
  return n;
}

// The X->Y engines (xy_bench.cpp): translation on nllb-600m/ and opus-mt/, speech on mms-tts/.
nlohmann::json run_mt(const Args& a);
nlohmann::json run_vits(const Args& a);

}  // namespace parley::bench
