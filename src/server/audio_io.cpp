// Interim codec until src/audio/ lands: RIFF/WAVE only, at 16 kHz, written and read here with every
// size checked. Replace the bodies of default_audio_codec() with audio::decode_bytes and
// audio::encode_audio then, and delete the WAV code below.
#include "server/audio_io.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace parley::server {

namespace {

uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

struct WavFormat {
  int tag = 0;  // 1 = integer PCM, 3 = IEEE float
  int channels = 0;
  int rate = 0;
  int bits = 0;
};

float sample_at(const unsigned char* p, const WavFormat& f) {
  if (f.tag == 3) {
    if (f.bits == 32) {
      float v;
      std::memcpy(&v, p, 4);
      return std::isfinite(v) ? v : 0.0f;
    }
    double v;
    std::memcpy(&v, p, 8);
    return std::isfinite(v) ? static_cast<float>(v) : 0.0f;
  }
  switch (f.bits) {
    case 8: return (static_cast<int>(p[0]) - 128) / 128.0f;
    case 16: return static_cast<int16_t>(le16(p)) / 32768.0f;
    case 24: return static_cast<int32_t>((uint32_t(p[0]) << 8) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 24)) / 2147483648.0f;
    default: return static_cast<int32_t>(le32(p)) / 2147483648.0f;
  }
}

std::vector<float> decode_wav(std::string_view bytes, double max_seconds) {
  auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  if (size == 0) bad_input("the audio file is empty");
  if (size < 12 || std::memcmp(data, "RIFF", 4) != 0 || std::memcmp(data + 8, "WAVE", 4) != 0) {
    fail(ErrorKind::UnsupportedMedia, "unsupported audio format: this build of the server reads WAV files only");
  }
  WavFormat f;
  const unsigned char* samples = nullptr;
  size_t samples_size = 0;
  for (size_t pos = 12; pos + 8 <= size;) {
    uint32_t chunk = le32(data + pos + 4);
    size_t body = pos + 8;
    size_t avail = size - body;
    if (std::memcmp(data + pos, "fmt ", 4) == 0) {
      if (chunk < 16 || chunk > avail) bad_input("corrupt WAV file: bad fmt chunk");
      f.tag = le16(data + body);
      f.channels = le16(data + body + 2);
      f.rate = static_cast<int>(le32(data + body + 4));
      f.bits = le16(data + body + 14);
      if (f.tag == 0xFFFE && chunk >= 26) f.tag = le16(data + body + 24);  // WAVE_FORMAT_EXTENSIBLE
    } else if (std::memcmp(data + pos, "data", 4) == 0) {
      samples = data + body;
      samples_size = chunk <= avail ? chunk : avail;  // streams often leave the size unset
      break;
    }
    if (chunk > avail) break;
    pos = body + chunk + (chunk & 1);
  }
  bool int_ok = f.tag == 1 && (f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32);
  bool float_ok = f.tag == 3 && (f.bits == 32 || f.bits == 64);
  if (!samples || f.channels < 1 || f.channels > 32 || !(int_ok || float_ok)) {
    bad_input("corrupt or unsupported WAV file (need 8/16/24/32-bit PCM or 32/64-bit float)");
  }
  if (f.rate != 16000) {
    fail(ErrorKind::UnsupportedMedia, "this build of the server reads 16 kHz WAV only (got " + std::to_string(f.rate) + " Hz)");
  }
  size_t frame = static_cast<size_t>(f.channels) * static_cast<size_t>(f.bits / 8);
  size_t frames = samples_size / frame;
  if (static_cast<double>(frames) > max_seconds * 16000) {
    fail(ErrorKind::TooLarge, "the audio is longer than the limit of " + std::to_string(static_cast<long>(max_seconds)) + " seconds");
  }
  std::vector<float> out(frames);
  size_t step = static_cast<size_t>(f.bits / 8);
  for (size_t i = 0; i < frames; ++i) {
    float sum = 0;
    for (int c = 0; c < f.channels; ++c) {
      const unsigned char* p = samples + i * frame + static_cast<size_t>(c) * step;
      sum += sample_at(p, f);
    }
    out[i] = sum / static_cast<float>(f.channels);
  }
  return out;
}

void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v & 0xffff));
  put16(s, static_cast<uint16_t>(v >> 16));
}

std::string pcm16(std::span<const float> samples) {
  std::string out;
  out.reserve(samples.size() * 2);
  for (float x : samples) {
    float c = std::isfinite(x) ? std::fmax(-1.0f, std::fmin(1.0f, x)) : 0.0f;
    put16(out, static_cast<uint16_t>(static_cast<int16_t>(std::lrint(c * 32767.0f))));
  }
  return out;
}

std::string encode(std::span<const float> samples, int rate, const std::string& format) {
  std::string pcm = pcm16(samples);
  if (format == "pcm") return pcm;
  if (format != "wav") invalid_argument("unsupported audio format: " + format);
  if (pcm.size() > 0xFFFFFFFFull - 36) fail(ErrorKind::TooLarge, "audio too long for a WAV file");
  std::string out = "RIFF";
  put32(out, static_cast<uint32_t>(36 + pcm.size()));
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, 1);  // integer PCM
  put16(out, 1);  // mono
  put32(out, static_cast<uint32_t>(rate));
  put32(out, static_cast<uint32_t>(rate * 2));
  put16(out, 2);
  put16(out, 16);
  out += "data";
  put32(out, static_cast<uint32_t>(pcm.size()));
  return out + pcm;
}

}  // namespace

AudioCodec default_audio_codec() {
  AudioCodec codec;
  codec.decode = [](std::string_view bytes, const std::string&, double max_seconds) { return decode_wav(bytes, max_seconds); };
  codec.encode = encode;
  codec.formats = {"wav", "pcm"};
  return codec;
}

std::string audio_mime_type(const std::string& format) {
  if (format == "wav") return "audio/wav";
  if (format == "mp3") return "audio/mpeg";
  if (format == "opus") return "audio/ogg";
  if (format == "aac") return "audio/aac";
  if (format == "flac") return "audio/flac";
  if (format == "pcm") return "audio/pcm";  // raw 16-bit little-endian mono
  return "application/octet-stream";
}

}  // namespace parley::server
