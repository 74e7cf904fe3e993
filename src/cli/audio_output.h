// Audio written to an OutputFile (`-o`), the same way by every command that speaks:
//
//   not streaming         one WAV, written at the end
//   streaming, a file     a WAV whose header is open-ended until finish() (as ffmpeg writes to a
//                         pipe), so a player reading the growing file plays on; an interrupted run
//                         keeps a valid WAV of what was written (OutputFile::set_header)
//   "-" (stdout)          raw samples, as they come (`| aplay -f S16_LE -r 16000 -c 1`)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "audio/wav.h"
#include "cli/output_file.h"

namespace parley::cli {

class AudioOutput {
 public:
  // Streaming is implied by stdout. Writes the open-ended header at once when streaming to a file.
  AudioOutput(OutputFile& out, bool stream, int sample_rate, audio::SampleFormat format);

  bool streaming() const { return streaming_; }
  // A piece as soon as it is made (streaming only). Throws Error(TooLarge) past WAV's 4 GiB.
  void piece(std::span<const float> samples);
  // The whole audio, once made (written now unless it was streamed), then OutputFile::commit().
  void finish(const std::vector<float>& all);

 private:
  OutputFile& out_;
  bool streaming_;
  int rate_;
  audio::SampleFormat format_;
  uint64_t written_ = 0;  // samples streamed so far
};

}  // namespace parley::cli
