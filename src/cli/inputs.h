// What the commands read: audio and text from a file or from stdin ("-"), and voices, with the
// command line's error kinds (an unknown voice name is a usage error, exit 2).
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace parley::cli {

// The audio of a file, or of stdin for "-", as 16 kHz mono samples (audio/decode.h).
std::vector<float> decode_audio_input(const std::string& path);
// `text` itself, or all of stdin for "-".
std::string text_input(const std::string& text);
// speecht5::load_voice, with an unknown voice name reported as Error(InvalidArgument).
Tensor load_voice_option(const std::string& name_or_path);

}  // namespace parley::cli
