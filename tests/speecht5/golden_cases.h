// Reading the SpeechT5 goldens (tests/data/cases/<model>/golden.json, written by the reference's
// tools/make_fixtures.py or tools/make_speecht5_goldens.py).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "speecht5/tts_model.h"

namespace parley::speecht5 {

struct GoldenCase {
  std::string name;  // file prefix: <name>.mel.npy, ...
  std::string text;
  std::vector<int> input_ids;
  std::string voice;  // the embedded voice name of the case's x-vector (e.g. "slt")
  GenerateOptions options;
  int64_t steps = 0;
  std::string stopped_by;
  int64_t samples = 0;
};

struct GoldenFile {
  std::string model, vocoder;  // folder names under tests/data/models
  std::vector<GoldenCase> cases;
};

// Reads tests/data/<relative>.
GoldenFile read_golden(const std::string& relative);

// tests/data/<model> when it is to be read through `weights_file` (model.safetensors: the folder
// itself); otherwise a temporary copy of the folder holding only that weight file, so the loader
// must read it.
std::filesystem::path model_copy(const std::string& model, const std::string& weights_file);

}  // namespace parley::speecht5
