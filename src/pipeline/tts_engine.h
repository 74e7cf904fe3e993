// The seam between text-to-speech engines and their callers (the CLI's `synthesize`, and next the
// translator): an engine speaks text, whole or sentence by sentence, and hands each piece's audio
// to the caller as soon as it is made. SpeechT5 + HiFi-GAN (English) and VITS (MMS-TTS, 1,100+
// languages) sit behind it; tts_model_type() tells which one a checkpoint folder holds.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::pipeline {

struct TtsPiece {
  size_t index = 0;           // 0, 1, ... in speaking order
  std::string text;           // the piece of the input it speaks
  std::span<const float> audio;
  double ms = 0;              // time the engine took for it
};

class TtsEngine {
 public:
  virtual ~TtsEngine() = default;
  virtual int sample_rate() const = 0;
  // Speaks `text` (UTF-8): as one piece, or one piece per sentence when `sentence_by_sentence`.
  // `on_piece`, when set, sees each piece as soon as it is made. Returns every piece's audio, joined.
  // Throws Error(BadInput) for text with nothing to say.
  virtual std::vector<float> speak(std::string_view text, bool sentence_by_sentence,
                                   const std::function<void(const TtsPiece&)>& on_piece) = 0;
};

// "vits" or "speecht5": the model_type of the checkpoint's config.json. Throws Error(BadModel) for
// a folder without one, or another type.
std::string tts_model_type(const std::filesystem::path& folder);

}  // namespace parley::pipeline
