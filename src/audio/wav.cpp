#include "audio/wav.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/files.h"

namespace parley::audio {

namespace {

constexpr uint16_t kFormatPcm = 1, kFormatFloat = 3, kFormatExtensible = 0xFFFE;

void put_u16(std::string& s, uint16_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>(v >> 8);
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint16_t get_u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t get_u32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

int16_t to_pcm16(float x) {
  if (!(x == x)) return 0;  // NaN
  const float c = x > 1.0f ? 1.0f : (x < -1.0f ? -1.0f : x);
  return static_cast<int16_t>(std::lrintf(c * 32767.0f));
}

std::string encode_pcm16(std::span<const float> samples) {
  std::string out(samples.size() * 2, '\0');
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto v = static_cast<uint16_t>(to_pcm16(samples[i]));
    out[2 * i] = static_cast<char>(v & 0xFF);
    out[2 * i + 1] = static_cast<char>(v >> 8);
  }
  return out;
}

std::string wav_header(uint64_t samples, int sample_rate, SampleFormat fmt) {
  if (sample_rate <= 0) invalid_argument("WAV sample rate must be positive, got " + std::to_string(sample_rate));
  const bool f32 = fmt == SampleFormat::F32;
  const uint32_t bytes_per_sample = f32 ? 4 : 2;
  const uint32_t fmt_size = f32 ? 18 : 16;  // a non-PCM format carries cbSize
  const uint64_t header = 12 + (8 + fmt_size) + (f32 ? 12 : 0) + 8;
  const uint64_t data_size = samples * bytes_per_sample;
  if (samples > std::numeric_limits<uint32_t>::max() || header + data_size > std::numeric_limits<uint32_t>::max())
    fail(ErrorKind::TooLarge, "audio too long for a WAV file (" + std::to_string(samples) + " samples)");

  std::string out;
  out += "RIFF";
  put_u32(out, static_cast<uint32_t>(header + data_size - 8));
  out += "WAVEfmt ";
  put_u32(out, fmt_size);
  put_u16(out, f32 ? kFormatFloat : kFormatPcm);
  put_u16(out, 1);  // mono
  put_u32(out, static_cast<uint32_t>(sample_rate));
  put_u32(out, static_cast<uint32_t>(sample_rate) * bytes_per_sample);
  put_u16(out, static_cast<uint16_t>(bytes_per_sample));
  put_u16(out, static_cast<uint16_t>(bytes_per_sample * 8));
  if (f32) {
    put_u16(out, 0);  // cbSize
    out += "fact";    // required for non-PCM formats: the number of sample frames
    put_u32(out, 4);
    put_u32(out, static_cast<uint32_t>(samples));
  }
  out += "data";
  put_u32(out, static_cast<uint32_t>(data_size));
  return out;
}

std::string encode_samples(std::span<const float> samples, SampleFormat fmt) {
  if (fmt == SampleFormat::Pcm16) return encode_pcm16(samples);
  std::string out(samples.size() * sizeof(float), '\0');
  // Little-endian host (x86-64, aarch64). An empty span's data() may be null: memcpy must not see it.
  if (!out.empty()) std::memcpy(out.data(), samples.data(), out.size());
  return out;
}

std::string encode_wav(std::span<const float> samples, int sample_rate, SampleFormat fmt) {
  return wav_header(samples.size(), sample_rate, fmt) + encode_samples(samples, fmt);
}

void write_wav(const std::filesystem::path& path, std::span<const float> samples, int sample_rate, SampleFormat fmt) {
  write_file_atomic(path, encode_wav(samples, sample_rate, fmt));
}

namespace {

// A RIFF chunk as its header declares it; `size` may exceed the bytes present (a truncated file).
struct Chunk {
  std::string_view id;
  size_t body = 0;    // offset of the chunk's data
  uint32_t size = 0;  // declared size
};

// The chunks of a RIFF/WAVE file in order, up to the first that runs past the end of the bytes.
std::vector<Chunk> wav_chunks(std::string_view bytes) {
  std::vector<Chunk> chunks;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 12 || std::memcmp(p, "RIFF", 4) != 0 || std::memcmp(p + 8, "WAVE", 4) != 0) return chunks;
  size_t pos = 12;
  while (pos + 8 <= size) {
    Chunk c{bytes.substr(pos, 4), pos + 8, get_u32(p + pos + 4)};
    chunks.push_back(c);
    if (c.size > size - c.body) break;
    pos = c.body + c.size + (c.size & 1);  // chunks are padded to even sizes
  }
  return chunks;
}

}  // namespace

int64_t wav_missing_bytes(std::string_view bytes) {
  for (const Chunk& c : wav_chunks(bytes)) {
    if (c.id != "data") continue;
    if (c.size == 0 || c.size == 0xFFFFFFFFu) return 0;  // streaming writers and RF64 leave the size open
    const int64_t present = static_cast<int64_t>(bytes.size() - c.body);
    return std::max<int64_t>(0, static_cast<int64_t>(c.size) - present);
  }
  return 0;
}

WavData parse_wav(std::string_view bytes, const std::string& name) {
  auto bad = [&](const std::string& why) { return Error(ErrorKind::BadInput, name + ": " + why); };
  if (bytes.size() < 12 || bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") throw bad("not a WAV file");
  const std::vector<Chunk> chunks = wav_chunks(bytes);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());

  WavData wav;
  uint16_t tag = 0, bits = 0, block_align = 0;
  bool have_fmt = false;
  for (const Chunk& c : chunks) {
    const unsigned char* body = p + c.body;
    if (c.size > bytes.size() - c.body) throw bad("truncated WAV chunk");
    if (c.id == "fmt ") {
      if (c.size < 16) throw bad("WAV format chunk too short");
      tag = get_u16(body);
      wav.channels = get_u16(body + 2);
      const uint32_t rate = get_u32(body + 4);
      block_align = get_u16(body + 12);
      bits = get_u16(body + 14);
      if (tag == kFormatExtensible) {
        if (c.size < 40) throw bad("WAV extensible format chunk too short");
        tag = get_u16(body + 24);  // the sub-format GUID starts with the format tag
      }
      if (rate == 0 || rate > static_cast<uint32_t>(std::numeric_limits<int>::max())) throw bad("bad WAV sample rate");
      wav.sample_rate = static_cast<int>(rate);
      have_fmt = true;
    } else if (c.id == "data") {
      if (!have_fmt) throw bad("WAV data before its format chunk");
      if (wav.channels < 1 || wav.channels > 64) throw bad("unsupported WAV channel count " + std::to_string(wav.channels));
      const bool pcm16 = tag == kFormatPcm && bits == 16, f32 = tag == kFormatFloat && bits == 32;
      if (!pcm16 && !f32)
        throw bad("unsupported WAV sample format (tag " + std::to_string(tag) + ", " + std::to_string(bits) + " bits)");
      const uint32_t width = bits / 8;
      if (block_align != width * wav.channels) throw bad("inconsistent WAV block alignment");
      if (c.size % block_align != 0) throw bad("WAV data size is not a whole number of frames");
      wav.format = f32 ? SampleFormat::F32 : SampleFormat::Pcm16;
      const size_t n = c.size / width;
      wav.samples.resize(n);
      for (size_t i = 0; i < n; ++i) {
        if (f32) {
          std::memcpy(&wav.samples[i], body + 4 * i, 4);
        } else {
          wav.samples[i] = static_cast<int16_t>(get_u16(body + 2 * i)) / 32768.0f;
        }
      }
      return wav;
    }
  }
  throw bad("WAV file has no data chunk");
}

WavData read_wav(const std::filesystem::path& path) { return parse_wav(read_file(path), path.string()); }

}  // namespace parley::audio
