#include "audio/wav_stream.h"

#include <cstring>

namespace parley::audio {

std::string open_ended_header(int sample_rate, SampleFormat fmt) {
  std::string h = wav_header(0, sample_rate, fmt);
  const char all_ones[4] = {'\xff', '\xff', '\xff', '\xff'};
  std::memcpy(h.data() + 4, all_ones, 4);             // RIFF size
  std::memcpy(h.data() + h.size() - 4, all_ones, 4);  // data size
  if (fmt == SampleFormat::F32) std::memcpy(h.data() + h.size() - 12, all_ones, 4);  // fact: frames
  return h;
}

}  // namespace parley::audio
