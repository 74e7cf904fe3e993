// Where VITS's two random draws come from: standard-normal noise [2, tokens] for the stochastic
// duration predictor and [flow_size, frames] for the prior (both raw; the model scales them by
// noise_scale_duration and noise_scale).
//
// - SeededNoise: a documented generator, so `--seed N` gives the same audio on every machine and
//   build (no std:: distributions): splitmix64 (Steele, Lea & Flood) seeded with N gives 64-bit
//   words; u = (word >> 11) * 2^-53 in [0, 1); pairs of uniforms become normals by Box-Muller,
//   sqrt(-2 ln(1 - u1)) * cos(2 pi u2) and * sin(2 pi u2), in double, rounded to float32. Draws are
//   taken in row-major order, the duration noise of a piece before its prior noise, piece after piece.
// - RecordedNoise: replays arrays recorded from a reference run (`--duration-noise F.npy`,
//   `--prior-noise F.npy`), so the reference's numbers can be reproduced exactly. Each array serves
//   one piece of text; their shapes must match the text.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace parley::vits {

inline constexpr uint64_t kDefaultSeed = 0;

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // [2, tokens].
  virtual Tensor duration(int64_t tokens) = 0;
  // [flow_size, frames].
  virtual Tensor prior(int64_t flow_size, int64_t frames) = 0;
};

class SeededNoise final : public NoiseSource {
 public:
  explicit SeededNoise(uint64_t seed) : state_(seed) {}
  Tensor duration(int64_t tokens) override { return draw({2, tokens}); }
  Tensor prior(int64_t flow_size, int64_t frames) override { return draw({flow_size, frames}); }

 private:
  Tensor draw(Shape shape);
  double uniform();
  uint64_t state_;
};

// Either array may be absent (empty): that draw then comes from `fallback_seed`, so a test can pin
// one noise and not the other. Throws Error(BadInput) when a recorded array's shape does not fit
// the text, or when asked for a second piece.
class RecordedNoise final : public NoiseSource {
 public:
  RecordedNoise(Tensor duration, std::string duration_source, Tensor prior, std::string prior_source,
                uint64_t fallback_seed);
  // Reads the .npy files (an empty path: not recorded).
  static RecordedNoise from_files(const std::string& duration_file, const std::string& prior_file,
                                  uint64_t fallback_seed);
  Tensor duration(int64_t tokens) override;
  Tensor prior(int64_t flow_size, int64_t frames) override;

 private:
  Tensor duration_, prior_;
  std::string duration_source_, prior_source_;
  bool duration_used_ = false, prior_used_ = false;
  SeededNoise fallback_;
};

}  // namespace parley::vits
