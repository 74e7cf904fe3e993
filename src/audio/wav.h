// WAV output (what `parley translate -o out.wav` and the HTTP API return), and a strict reader for
// plain PCM/float WAV files such as our own output, without resampling (tests use it to check what was
// written; general input goes through decode.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::audio {

enum class SampleFormat {
  Pcm16,  // 16-bit signed integer PCM (WAVE_FORMAT_PCM): what every player accepts
  F32,    // 32-bit IEEE float (WAVE_FORMAT_IEEE_FLOAT): lossless for our float samples
};

// One float sample as 16-bit PCM: clipped to [-1, 1], scaled by 32767 and rounded to nearest
// (as libsndfile/soundfile write float data to PCM_16), so +1 and -1 map to +/-32767 and 0 stays 0.
// NaN becomes 0.
int16_t to_pcm16(float x);

// Mono audio as a complete WAV file (RIFF header, `fmt ` chunk, for F32 also a `fact` chunk, `data`).
// Throws Error(InvalidArgument) for a non-positive sample rate and Error(TooLarge) past the format's
// 4 GiB limit.
std::string encode_wav(std::span<const float> samples, int sample_rate, SampleFormat fmt);

// The header encode_wav writes before `samples` samples of audio (for streaming writers, which write
// it first and again, with the real count, at the end). Same errors as encode_wav.
std::string wav_header(uint64_t samples, int sample_rate, SampleFormat fmt);
// Samples as a WAV's data bytes in that format (little-endian).
std::string encode_samples(std::span<const float> samples, SampleFormat fmt);

// Writes encode_wav's bytes through a temporary file and a rename (core/files.h), so no reader ever
// sees a half-written file.
void write_wav(const std::filesystem::path& path, std::span<const float> samples, int sample_rate, SampleFormat fmt);

// Raw 16-bit little-endian PCM samples (no header), converted as to_pcm16 does.
std::string encode_pcm16(std::span<const float> samples);

// A WAV file's samples as written, channels interleaved, scaled to [-1, 1) for integer formats
// (x / 32768 for 16-bit, as the ffmpeg command line and NumPy readers do).
struct WavData {
  int sample_rate = 0;
  int channels = 0;
  SampleFormat format = SampleFormat::Pcm16;
  std::vector<float> samples;  // frames * channels values
  int64_t frames() const { return channels ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

// Reads a 16-bit PCM or 32-bit float WAV (WAVE_FORMAT_PCM, _IEEE_FLOAT or _EXTENSIBLE of those).
// Every chunk size is checked against the bytes present; throws Error(BadInput) naming `name`.
WavData parse_wav(std::string_view bytes, const std::string& name);
WavData read_wav(const std::filesystem::path& path);

// For a RIFF/WAVE file whose `data` chunk declares more bytes than the file holds (a cut-off file),
// how many are missing; 0 otherwise, also for non-WAV bytes and for the open-ended size streaming
// writers use. FFmpeg's WAV reader silently stops at the end of such a file; decode.h refuses it.
int64_t wav_missing_bytes(std::string_view bytes);

}  // namespace parley::audio
