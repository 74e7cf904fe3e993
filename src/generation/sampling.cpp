#include "generation/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::generation {

int argmax(std::span<const float> x) {
  int best = 0;
  for (size_t i = 1; i < x.size(); ++i)
    if (x[i] > x[best]) best = static_cast<int>(i);
  return best;
}

int sample_token(std::span<const float> x, float temperature, std::mt19937_64& rng) {
  const int best = argmax(x);
  if (!std::isfinite(x[best])) return best;
  double total = 0;
  for (float v : x) total += std::exp((static_cast<double>(v) - x[best]) / temperature);
  double u = std::uniform_real_distribution<double>(0.0, total)(rng);
  for (size_t i = 0; i < x.size(); ++i) {
    const double w = std::exp((static_cast<double>(x[i]) - x[best]) / temperature);
    if (w == 0) continue;  // never a suppressed (-inf) token, even for a draw of exactly 0
    u -= w;
    if (u <= 0) return static_cast<int>(i);
  }
  return best;  // rounding left a sliver of mass
}

double log_sum_exp(std::span<const float> x) {
  float mx = -std::numeric_limits<float>::infinity();
  for (float v : x) mx = std::max(mx, v);
  if (!std::isfinite(mx)) return mx;
  double s = 0;
  for (float v : x) s += std::exp(static_cast<double>(v) - mx);
  return mx + std::log(s);
}

}  // namespace parley::generation
