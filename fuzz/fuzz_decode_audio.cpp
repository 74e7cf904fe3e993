// The audio decoding entry (audio::decode_bytes: FFmpeg over memory, the container/codec whitelists,
// resampling, the length limit) on any bytes. The first byte picks the file-name hint an upload could
// carry, since the extension steers FFmpeg's probing of headerless formats. Whatever decodes must be
// finite samples within the limit.
#include <cmath>

#include "audio/decode.h"
#include "common.h"

namespace {
// Short limit: the fuzzer should spend its time on parsing, not on resampling long outputs; the
// limit's own code path is exercised all the same.
constexpr double kMaxSeconds = 2;
const char* const kNames[] = {"upload", "a.wav", "a.mp3", "a.aac", "a.flac", "a.ogg", "a.m4a", "a.webm"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  if (size < 1) return 0;
  const std::string name = kNames[data[0] % (sizeof kNames / sizeof kNames[0])];
  fuzz::refuse_cleanly([&] {
    std::vector<float> samples = audio::decode_bytes(fuzz::as_text(data + 1, size - 1), name, kMaxSeconds);
    FUZZ_CHECK(!samples.empty());
    FUZZ_CHECK(samples.size() <= static_cast<size_t>(kMaxSeconds * audio::kSampleRate));
    for (float x : samples) FUZZ_CHECK(std::isfinite(x));
  });
  return 0;
}
