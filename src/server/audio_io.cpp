// The server's codec is the audio module: FFmpeg decoding of any upload, FFmpeg encoders for replies.
#include "server/audio_io.h"

#include <cctype>

#include "audio/decode.h"
#include "audio/encode.h"

namespace parley::server {

AudioCodec default_audio_codec() {
  AudioCodec codec;
  codec.decode = [](std::string_view bytes, const std::string& filename, double max_seconds) {
    // The name appears in error messages: say "upload" rather than echo the client's file name.
    std::string ext;
    if (auto dot = filename.rfind('.'); dot != std::string::npos && filename.size() - dot <= 6) {
      ext = ".";
      for (char c : filename.substr(dot + 1)) {
        if (std::isalnum(static_cast<unsigned char>(c))) ext += c;
      }
    }
    return audio::decode_bytes(bytes, "upload" + ext, max_seconds);
  };
  codec.encode = [](std::span<const float> samples, int sample_rate, const std::string& format) {
    return audio::encode_audio(samples, sample_rate, format);
  };
  codec.formats = audio::encode_formats();
  return codec;
}

std::string audio_mime_type(const std::string& format) { return audio::content_type(format); }

}  // namespace parley::server
