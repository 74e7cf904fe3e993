// What the command-line tests share: the tiny fixture models as arguments of each command.
#pragma once

#include <string>
#include <vector>

#include "common/test_util.h"

namespace parley::test {

inline std::string model(const std::string& name) { return data_path("models/" + name).string(); }

// parley translate IN -o OUT with the tiny fixture models (and a token limit that keeps runs short).
inline std::vector<std::string> translate_args(const std::string& in, const std::string& out) {
  return {"translate", in, "-o", out, "--asr-model", model("whisper-tiny-random"), "--tts-model",
          model("speecht5-tiny-random"), "--vocoder", model("hifigan-tiny-random"), "--max-new-tokens", "24"};
}

// parley synthesize --text TEXT -o OUT with the tiny fixture models.
inline std::vector<std::string> synthesize_args(const std::string& text, const std::string& out) {
  return {"synthesize", "-m", model("speecht5-tiny-random"), "--vocoder", model("hifigan-tiny-random"),
          "--text", text, "-o", out};
}

}  // namespace parley::test
