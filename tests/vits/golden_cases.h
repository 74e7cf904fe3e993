// Reading the VITS goldens (tests/data/cases/<model>/golden.json): vits-tiny-random from the shared
// fixtures' make_xy_fixtures.py, the variants from our tools/make_vits_variants.py; both computed by
// transformers' models/vits as released in v4.33.
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
  int64_t speaker_id = 0;    // multi-speaker models
};

inline constexpr const char* kVitsModel = "vits-tiny-random";
// Waveform and log-duration tolerance (fixtures README: two correct float32 implementations).
inline constexpr double kWaveTol = 2e-3;
inline constexpr double kLogDurationTol = 1e-4;

// What the fixtures lack, from tools/make_vits_variants.py: the plain duration predictor, a
// multi-speaker checkpoint stored as pytorch_model.bin, and a tokenizer with normalize false.
inline constexpr const char* kVitsVariants[] = {"vits-plain-random", "vits-speakers-random", "vits-cased-random"};

std::vector<VitsGoldenCase> read_vits_golden(const std::string& model = kVitsModel);

}  // namespace parley::vits
