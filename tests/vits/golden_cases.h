// Reading the VITS goldens (tests/data/cases/vits-tiny-random/golden.json, from the shared
// fixtures' tools/make_xy_fixtures.py: transformers' models/vits as released in v4.33).
#pragma once

#include <string>
#include <vector>

namespace parley::vits {

struct VitsGoldenCase {
  std::string name;  // file prefix: <name>.wave.npy, <name>.log_duration.npy, ...
  std::string text;
  std::vector<int64_t> input_ids;
  double noise_scale = 0, noise_scale_duration = 0, speaking_rate = 1;
  int64_t samples = 0;
  std::vector<int64_t> durations;
  double min_ceil_margin = 0;
  bool noise_files = false;  // <name>.duration_noise.npy and <name>.prior_noise.npy exist
};

inline constexpr const char* kVitsModel = "vits-tiny-random";
// Waveform and log-duration tolerance (fixtures README: two correct float32 implementations).
inline constexpr double kWaveTol = 2e-3;
inline constexpr double kLogDurationTol = 1e-4;

std::vector<VitsGoldenCase> read_vits_golden();

}  // namespace parley::vits
