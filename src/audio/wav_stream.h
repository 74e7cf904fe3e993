// The header of a WAV file written while the audio is still being made (`--stream`): it goes first
// with the largest sizes the format allows (as ffmpeg writes to a pipe), so a player reading the
// growing file plays on; the writer (cli/audio_output.h, through cli::OutputFile) puts the real
// header (wav_header) in its place at the end, or when interrupted.
#pragma once

#include <string>

#include "audio/wav.h"

namespace parley::audio {

// The header for a stream of unknown length: encode_wav's layout with the RIFF and data sizes (and
// the float format's sample count) at 0xFFFFFFFF. Same errors as wav_header.
std::string open_ended_header(int sample_rate, SampleFormat fmt);

}  // namespace parley::audio
