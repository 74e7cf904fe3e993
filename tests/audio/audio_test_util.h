// Helpers shared by the audio tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace parley::audio::test_util {

// Largest normalised cross-correlation of a and b over lags |lag| <= max_lag: 1 for the same signal
// up to gain and delay (codec priming), near 0 for unrelated signals.
inline double best_correlation(const std::vector<float>& a, const std::vector<float>& b, int max_lag) {
  double best = -1;
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(a.size()); ++i) {
      const int64_t j = i + lag;
      if (j < 0 || j >= static_cast<int64_t>(b.size())) continue;
      ab += double(a[i]) * b[j];
      aa += double(a[i]) * a[i];
      bb += double(b[j]) * b[j];
    }
    if (aa > 0 && bb > 0) best = std::max(best, ab / std::sqrt(aa * bb));
  }
  return best;
}

}  // namespace parley::audio::test_util
