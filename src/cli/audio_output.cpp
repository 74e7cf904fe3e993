#include "cli/audio_output.h"

#include "audio/wav_stream.h"

namespace parley::cli {

AudioOutput::AudioOutput(OutputFile& out, bool stream, int sample_rate, audio::SampleFormat format)
    : out_(out), streaming_(stream || out.is_stdout()), rate_(sample_rate), format_(format) {
  if (!streaming_ || out_.is_stdout()) return;
  out_.keep_partial();
  out_.write(audio::open_ended_header(rate_, format_));
  // From now on an interrupted run keeps a valid WAV, even one cut before the first piece's header.
  out_.set_header(audio::wav_header(0, rate_, format_));
}

void AudioOutput::piece(std::span<const float> samples) {
  const std::string bytes = audio::encode_samples(samples, format_);
  if (!out_.is_stdout()) {
    // The header counting this piece goes first: Ctrl-C during the write keeps the whole piece.
    const std::string header = audio::wav_header(written_ + samples.size(), rate_, format_);  // throws past 4 GiB
    out_.set_header(header, out_.bytes_written() + bytes.size());
  }
  out_.write(bytes);
  written_ += samples.size();
}

void AudioOutput::finish(const std::vector<float>& all) {
  if (!streaming_)
    out_.write(audio::encode_wav(all, rate_, format_));
  else if (!out_.is_stdout())
    out_.set_header(audio::wav_header(written_, rate_, format_));  // also when nothing was streamed
  out_.commit();
}

}  // namespace parley::cli
