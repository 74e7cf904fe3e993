// WAV: the strict reader (parse_wav, wav_missing_bytes) on any bytes, and the writer's round trip:
// samples taken from the input -> encode_wav (16-bit and float) -> parse_wav gives them back (float
// bit for bit, 16-bit as to_pcm16 / 32768).
#include <cstring>

#include "audio/wav.h"
#include "common.h"

namespace {

void round_trip(const uint8_t* data, size_t size) {
  using namespace parley::audio;
  if (size < 4) return;
  int32_t rate;
  std::memcpy(&rate, data, 4);
  std::vector<float> samples((size - 4) / 4);
  if (!samples.empty()) std::memcpy(samples.data(), data + 4, samples.size() * 4);
  parley::fuzz::refuse_cleanly([&] {
    std::string f32 = encode_wav(samples, rate, SampleFormat::F32);
    FUZZ_CHECK(rate > 0);  // encode_wav refuses the others
    FUZZ_CHECK(wav_missing_bytes(f32) == 0);
    WavData back = parse_wav(f32, "f32.wav");
    FUZZ_CHECK(back.sample_rate == rate && back.channels == 1 && back.format == SampleFormat::F32);
    FUZZ_CHECK(back.samples.size() == samples.size());
    FUZZ_CHECK(samples.empty() || std::memcmp(back.samples.data(), samples.data(), samples.size() * 4) == 0);

    std::string pcm = encode_wav(samples, rate, SampleFormat::Pcm16);
    back = parse_wav(pcm, "pcm.wav");
    FUZZ_CHECK(back.sample_rate == rate && back.channels == 1 && back.format == SampleFormat::Pcm16);
    FUZZ_CHECK(back.samples.size() == samples.size());
    for (size_t i = 0; i < samples.size(); ++i) FUZZ_CHECK(back.samples[i] == to_pcm16(samples[i]) / 32768.0f);
    FUZZ_CHECK(encode_pcm16(samples) == pcm.substr(pcm.size() - 2 * samples.size()));
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  std::string_view bytes = fuzz::as_text(data, size);
  FUZZ_CHECK(audio::wav_missing_bytes(bytes) >= 0);
  fuzz::refuse_cleanly([&] {
    audio::WavData w = audio::parse_wav(bytes, "fuzz.wav");
    FUZZ_CHECK(w.channels > 0 && w.sample_rate > 0);
    FUZZ_CHECK(w.samples.size() % static_cast<size_t>(w.channels) == 0);
    FUZZ_CHECK(w.samples.size() <= size);  // at least one byte per sample came from the input
  });
  round_trip(data, size);
  return 0;
}
