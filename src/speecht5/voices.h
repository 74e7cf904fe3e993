// Speaker voices for SpeechT5: x-vectors compiled into Parley by name (voices/*.npy; `slt` is the
// default, the course demo's speaker), or any .npy file of speaker_embedding_dim floats.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace parley::speecht5 {

inline constexpr std::string_view kDefaultVoice = "slt";

// Names of the voices inside the binary, sorted ("awb", "bdl", ..., "slt").
std::vector<std::string> voice_names();

// The x-vector of a named voice, or of an .npy file when `name_or_path` is not a voice name (or looks
// like a path: it ends in ".npy" or holds a '/'). The result is 1-D; its length is checked by the
// model. Throws Error(NotFound) for an unknown name or missing file, Error(BadInput) for a file that
// is not a float vector (an array of another rank, or non-finite values).
Tensor load_voice(std::string_view name_or_path);

}  // namespace parley::speecht5
