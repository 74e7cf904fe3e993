#include "vits/noise.h"

#include <cmath>
#include <numbers>

#include "core/error.h"
#include "weights/npy.h"

namespace parley::vits {

double SeededNoise::uniform() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

Tensor SeededNoise::draw(Shape shape) {
  Tensor t(std::move(shape));
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform())), angle = 2.0 * std::numbers::pi * uniform();
    t[i] = static_cast<float>(r * std::cos(angle));
    if (i + 1 < n) t[i + 1] = static_cast<float>(r * std::sin(angle));
  }
  return t;
}

RecordedNoise::RecordedNoise(Tensor duration, std::string duration_source, Tensor prior, std::string prior_source,
                             uint64_t fallback_seed)
    : duration_(std::move(duration)), prior_(std::move(prior)), duration_source_(std::move(duration_source)),
      prior_source_(std::move(prior_source)), fallback_(fallback_seed) {}

RecordedNoise RecordedNoise::from_files(const std::string& duration_file, const std::string& prior_file,
                                        uint64_t fallback_seed) {
  return RecordedNoise(duration_file.empty() ? Tensor() : read_npy(duration_file), duration_file,
                       prior_file.empty() ? Tensor() : read_npy(prior_file), prior_file, fallback_seed);
}

namespace {

Tensor take(const Tensor& recorded, const std::string& source, bool& used, const Shape& shape) {
  if (used) bad_input(source + ": recorded noise serves one piece of text, and the text made several");
  if (recorded.shape() != shape)
    bad_input(source + ": recorded noise is " + recorded.shape_string() + ", this text needs " + shape_to_string(shape));
  used = true;
  return recorded;
}

}  // namespace

Tensor RecordedNoise::duration(int64_t tokens) {
  if (duration_source_.empty()) return fallback_.duration(tokens);
  return take(duration_, duration_source_, duration_used_, {2, tokens});
}

Tensor RecordedNoise::prior(int64_t flow_size, int64_t frames) {
  if (prior_source_.empty()) return fallback_.prior(flow_size, frames);
  return take(prior_, prior_source_, prior_used_, {flow_size, frames});
}

}  // namespace parley::vits
