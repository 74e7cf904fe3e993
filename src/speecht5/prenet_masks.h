// Where the speech decoder prenet's dropout masks come from.
//
// SpeechT5 keeps the prenet's dropout on at inference (Tacotron 2's trick for varied, less robotic
// speech), so synthesis is random. Each decoder step, each prenet layer multiplies its ReLU output by
// keep / (1 - p), keep being 0 or 1 per unit. A PrenetMasks object hands out those keep values, one
// step at a time, in order; one object may serve several sentences in a row (it keeps its place).
//
// - SeededMasks: a documented generator, so `--seed N` gives the same bytes on every machine and
//   build (no std:: distributions involved):
//     state  = xoshiro256** seeded with four successive outputs of splitmix64(seed);
//     u      = (next() >> 11) * 2^-53, a double in [0, 1);
//     keep   = u >= p ? 1 : 0              (so P(keep) = 1 - p, as torch's dropout);
//   drawn in the order step, layer, unit.
// - RecordedMasks: replays a `[steps, layers, units]` array of 0/1 (e.g. masks recorded from a
//   reference run), so the reference's numbers can be reproduced exactly.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace parley::speecht5 {

// The seed used when a caller gives none, so that synthesis is repeatable by default (the
// pipeline's SpeechService contract: "unset = a fixed default").
inline constexpr uint64_t kDefaultSeed = 0;

class PrenetMasks {
 public:
  virtual ~PrenetMasks() = default;
  // Throws Error(BadInput) when this source cannot serve a prenet of this shape.
  virtual void check(int64_t layers, int64_t units) const {}
  // Writes the next step's keep values (layers x units, layer-major). p is the dropout probability.
  virtual void next(int64_t layers, int64_t units, double p, float* keep) = 0;
};

// xoshiro256** (Blackman & Vigna), written out here so the stream is fixed by this file alone.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed);
  uint64_t next();
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_[4];
};

class SeededMasks final : public PrenetMasks {
 public:
  explicit SeededMasks(uint64_t seed) : rng_(seed) {}
  void next(int64_t layers, int64_t units, double p, float* keep) override;

 private:
  Xoshiro256 rng_;
};

class RecordedMasks final : public PrenetMasks {
 public:
  // masks: [steps, layers, units] of 0/1; `source` names it in errors. Throws Error(BadInput) for
  // another rank or other values.
  RecordedMasks(Tensor masks, std::string source);
  // Reads a .npy file.
  static RecordedMasks from_file(const std::string& path);

  void check(int64_t layers, int64_t units) const override;
  void next(int64_t layers, int64_t units, double p, float* keep) override;
  int64_t steps() const { return masks_.dim(0); }
  int64_t used() const { return step_; }

 private:
  Tensor masks_;
  std::string source_;
  int64_t step_ = 0;
};

}  // namespace parley::speecht5
