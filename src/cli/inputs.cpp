#include "cli/inputs.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "audio/decode.h"
#include "core/error.h"
#include "speecht5/voices.h"

namespace parley::cli {

namespace {

std::string read_stdin() {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(ErrorKind::BadInput, std::string("cannot read stdin: ") + std::strerror(errno));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::vector<float> decode_audio_input(const std::string& path) {
  if (path != "-") return audio::decode_file(path);
  return audio::decode_bytes(read_stdin(), "stdin");
}

std::string text_input(const std::string& text) { return text == "-" ? read_stdin() : text; }

Tensor load_voice_option(const std::string& name_or_path) {
  try {
    return speecht5::load_voice(name_or_path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound && std::string(e.what()).rfind("unknown voice", 0) == 0)
      invalid_argument(e.what());
    throw;
  }
}

}  // namespace parley::cli
