#include "speecht5/prenet_masks.h"

#include <cstring>

#include "core/error.h"
#include "weights/npy.h"

namespace parley::speecht5 {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Xoshiro256::Xoshiro256(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Xoshiro256::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void SeededMasks::next(int64_t layers, int64_t units, double p, float* keep) {
  for (int64_t i = 0, n = layers * units; i < n; ++i) keep[i] = rng_.uniform() >= p ? 1.f : 0.f;
}

RecordedMasks::RecordedMasks(Tensor masks, std::string source) : masks_(std::move(masks)), source_(std::move(source)) {
  if (masks_.ndim() != 3)
    bad_input("prenet masks " + source_ + " have shape " + masks_.shape_string() +
              "; expected [steps, prenet_layers, prenet_units]");
  for (int64_t i = 0, n = masks_.numel(); i < n; ++i)
    if (masks_[i] != 0.f && masks_[i] != 1.f)
      bad_input("prenet masks " + source_ + " must hold only 0 and 1 (found " + std::to_string(masks_[i]) + ")");
}

RecordedMasks RecordedMasks::from_file(const std::string& path) { return RecordedMasks(read_npy(path), path); }

void RecordedMasks::check(int64_t layers, int64_t units) const {
  if (masks_.dim(1) != layers || masks_.dim(2) != units)
    bad_input("prenet masks " + source_ + " have shape " + masks_.shape_string() + "; this model needs [steps, " +
              std::to_string(layers) + ", " + std::to_string(units) + "]");
}

void RecordedMasks::next(int64_t layers, int64_t units, double, float* keep) {
  check(layers, units);
  if (step_ >= masks_.dim(0))
    bad_input("prenet masks " + source_ + " hold " + std::to_string(masks_.dim(0)) +
              " steps, but synthesis needs more; record masks for at least as many steps as the run takes");
  std::memcpy(keep, masks_.data() + step_ * layers * units, sizeof(float) * layers * units);
  ++step_;
}

}  // namespace parley::speecht5
