// Audio output in the formats an API client asks for (OpenAI's /v1/audio/speech `response_format`):
// wav, pcm, flac, mp3, opus, aac. Compressed formats use FFmpeg's encoders.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace parley::audio {

// Mono float samples at `sample_rate` as a complete file in `format`:
//   "wav"   16-bit PCM WAV (wav.h; F32 WAV is wav.h's encode_wav)
//   "pcm"   raw 16-bit little-endian samples at `sample_rate`, no header (as OpenAI's "pcm")
//   "flac"  FLAC, 16-bit
//   "mp3"   MP3 (libmp3lame, 64 kb/s) with a Xing/LAME header, so decoders drop its padding
//   "opus"  Opus in Ogg (libopus, 32 kb/s)
//   "aac"   AAC-LC in ADTS (FFmpeg's aac encoder, 64 kb/s)
// Integer formats clip to [-1, 1] as wav.h's to_pcm16 does; NaN becomes 0. Encoders that cannot take
// `sample_rate` (Opus takes 8/12/16/24/48 kHz) get the audio resampled to the nearest rate they take.
// Throws Error(InvalidArgument) for an unknown format, listing the supported ones, a non-positive
// rate or no samples in a compressed format (wav and pcm hold zero samples); Error(UnsupportedMedia) when this FFmpeg build lacks the encoder.
std::string encode_audio(std::span<const float> samples, int sample_rate, const std::string& format);

// Mono float samples from `from_rate` to `to_rate` with libswresample's default filter (the one the
// encoders above use for rates they cannot take), the filter's tail flushed: about
// size * to_rate / from_rate samples. The same rate returns a copy. Throws Error(InvalidArgument)
// for a non-positive rate.
std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate);

// The formats encode_audio accepts, in the order above.
const std::vector<std::string>& encode_formats();

// The HTTP Content-Type for a format's bytes ("audio/wav", "audio/mpeg", ...); "pcm" is
// "audio/pcm" (headerless: the rate and sample format are the API's contract).
std::string content_type(const std::string& format);

}  // namespace parley::audio
