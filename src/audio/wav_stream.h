// A WAV file written while the audio is still being made (`parley translate --stream`): the header
// goes first with the largest sizes the format allows (as ffmpeg writes to a pipe), so a player
// reading the growing file plays on; each write() appends and flushes its samples; finish() rewrites
// the header with the real sizes. Until finish() the file is a valid WAV of unknown length, not a
// complete one (a process killed midway leaves the samples written so far).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include "audio/wav.h"

namespace parley::audio {

// The header for a stream of unknown length: encode_wav's layout with the RIFF and data sizes (and
// the float format's sample count) at 0xFFFFFFFF (also what `translate --stream` writes first).
std::string open_ended_header(int sample_rate, SampleFormat fmt);

class WavStreamWriter {
 public:
  // Creates (or truncates) `path`. Throws Error(NotFound / InvalidArgument) when it cannot be opened.
  WavStreamWriter(const std::filesystem::path& path, int sample_rate, SampleFormat fmt);
  ~WavStreamWriter();  // closes without fixing the header when finish() was not called
  WavStreamWriter(const WavStreamWriter&) = delete;
  WavStreamWriter& operator=(const WavStreamWriter&) = delete;

  // Appends samples and flushes them to the file. Throws Error(TooLarge) past the format's 4 GiB.
  void write(std::span<const float> samples);
  // Rewrites the header with the samples written and closes the file.
  void finish();
  uint64_t samples() const { return samples_; }

 private:
  void put(const std::string& bytes);

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  int sample_rate_;
  SampleFormat fmt_;
  uint64_t samples_ = 0;
};

}  // namespace parley::audio
