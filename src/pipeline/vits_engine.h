// TtsEngine over a VITS checkpoint (vits/model.h): the noise source and options of one caller,
// the model shared.
#pragma once

#include <memory>

#include "pipeline/tts_engine.h"
#include "vits/model.h"
#include "vits/noise.h"

namespace parley::pipeline {

class VitsEngine final : public TtsEngine {
 public:
  // `noise` serves every piece in order (a seed keeps its place from one sentence to the next).
  VitsEngine(std::shared_ptr<const vits::VitsModel> model, vits::VitsOptions options,
             std::unique_ptr<vits::NoiseSource> noise);
  int sample_rate() const override { return model_->sample_rate(); }
  std::vector<float> speak(std::string_view text, bool sentence_by_sentence,
                           const std::function<void(const TtsPiece&)>& on_piece) override;
  // The last piece's durations and log durations (for tests and --json reports).
  const vits::VitsOutput& last() const { return last_; }

 private:
  std::shared_ptr<const vits::VitsModel> model_;
  vits::VitsOptions options_;
  std::unique_ptr<vits::NoiseSource> noise_;
  vits::VitsOutput last_;
};

}  // namespace parley::pipeline
