// The test data's Whisper models, loaded once per test binary.
#pragma once

#include <memory>
#include <string>

#include "whisper/model.h"

namespace parley::test {

// tests/data/models/<name>; `weights` names one weights file of the folder ("" = the folder's
// default choice, model.safetensors).
std::shared_ptr<const whisper::WhisperModel> test_model(const std::string& name, const std::string& weights = "");

}  // namespace parley::test
