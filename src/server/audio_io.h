// How the server turns uploaded bytes into samples and samples into response bytes.
//
// A small seam: the server only calls these two functions, so tests can swap them; by default they
// are the audio module's FFmpeg decoding of any format and its wav/pcm/flac/mp3/opus/aac encoders.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

struct AudioCodec {
  // Any supported audio file -> 16 kHz mono float. `filename` (may be empty) is a format hint.
  // Throws Error(BadInput) for corrupt or empty data, Error(UnsupportedMedia) for unknown formats,
  // and Error(TooLarge) as soon as the audio is found to be longer than `max_seconds`: a small
  // compressed upload can decode to hours, so the limit must act before the samples are allocated.
  std::function<std::vector<float>(std::string_view bytes, const std::string& filename, double max_seconds)> decode;
  // Mono float -> a file in `format`, one of `formats`. "wav" is 16-bit PCM WAV, "pcm" raw
  // 16-bit little-endian samples (see audio/encode.h).
  std::function<std::string(std::span<const float> samples, int sample_rate, const std::string& format)> encode;
  std::vector<std::string> formats;  // what encode accepts, e.g. {"wav", "pcm", "flac", "mp3", ...}
};

// The codec `parley serve` uses.
AudioCodec default_audio_codec();

// The MIME type of an encoded format ("wav" -> "audio/wav").
std::string audio_mime_type(const std::string& format);

}  // namespace parley::server
