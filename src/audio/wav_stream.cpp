#include "audio/wav_stream.h"

#include <cerrno>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace parley::audio {

std::string open_ended_header(int sample_rate, SampleFormat fmt) {
  std::string h = wav_header(0, sample_rate, fmt);
  const char all_ones[4] = {'\xff', '\xff', '\xff', '\xff'};
  std::memcpy(h.data() + 4, all_ones, 4);             // RIFF size
  std::memcpy(h.data() + h.size() - 4, all_ones, 4);  // data size
  if (fmt == SampleFormat::F32) std::memcpy(h.data() + h.size() - 12, all_ones, 4);  // fact: frames
  return h;
}

WavStreamWriter::WavStreamWriter(const std::filesystem::path& path, int sample_rate, SampleFormat fmt)
    : path_(path), sample_rate_(sample_rate), fmt_(fmt) {
  const std::string header = open_ended_header(sample_rate, fmt);  // checks the rate before creating
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) fail(ErrorKind::NotFound, "cannot write " + path.string() + ": " + std::strerror(errno));
  put(header);
}

WavStreamWriter::~WavStreamWriter() {
  if (file_) std::fclose(file_);
}

void WavStreamWriter::put(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() || std::fflush(file_) != 0)
    fail(ErrorKind::Internal, "cannot write " + path_.string() + ": " + std::strerror(errno));
}

void WavStreamWriter::write(std::span<const float> samples) {
  if (!file_) invalid_argument("write after finish on " + path_.string());
  wav_header(samples_ + samples.size(), sample_rate_, fmt_);  // throws TooLarge past the format's limit
  put(encode_samples(samples, fmt_));
  samples_ += samples.size();
}

void WavStreamWriter::finish() {
  if (!file_) return;
  if (std::fseek(file_, 0, SEEK_SET) != 0) fail(ErrorKind::Internal, "cannot seek in " + path_.string());
  put(wav_header(samples_, sample_rate_, fmt_));
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) fail(ErrorKind::Internal, "cannot write " + path_.string() + ": " + std::strerror(errno));
}

}  // namespace parley::audio
