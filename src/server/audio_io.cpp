// The server's codec is the audio module: FFmpeg decoding of any upload, FFmpeg encoders for replies.
#include "server/audio_io.h"

#include <cctype>

#include "audio/decode.h"
#include "audio/encode.h"

namespace parley::server {

AudioCodec default_audio_codec() {
  AudioCodec codec;
  codec.decode = [](std::string_view bytes, const std::string& filename, double max_seconds) {
    // The name starts error messages ("notes.txt: not an audio format ...") and its extension helps
    // FFmpeg recognise headerless formats; keep only plain characters of the client's file name.
    std::string name;
    for (char c : filename.substr(filename.size() > 64 ? filename.size() - 64 : 0)) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') name += c;
    }
    return audio::decode_bytes(bytes, name.empty() ? "upload" : name, max_seconds);
  };
  codec.encode = [](std::span<const float> samples, int sample_rate, const std::string& format) {
    return audio::encode_audio(samples, sample_rate, format);
  };
  codec.formats = audio::encode_formats();
  return codec;
}

std::string audio_mime_type(const std::string& format) { return audio::content_type(format); }

}  // namespace parley::server
