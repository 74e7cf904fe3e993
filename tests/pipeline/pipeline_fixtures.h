// What the pipeline's tests share: the fixture models as pipeline options, the reference's greedy
// translate runs (whisper-tiny-random/golden.json), and the audio length the fixture models must
// give for a number of SpeechT5 steps, derived from the models' own config files.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace parley::test {

// tests/data/models/{whisper,speecht5,hifigan}-tiny-random, with Whisper's token limit.
pipeline::PipelineOptions fixture_options(int max_new_tokens = 256);
// The same as command-line arguments: --asr-model X --tts-model Y --vocoder Z --max-new-tokens N.
std::vector<std::string> fixture_model_args(int max_new_tokens = 256);

// One greedy run of the reference with task "translate".
struct TranslateRun {
  std::string audio;     // relative to tests/data ("audio/jfk.wav")
  std::string name;      // the run's name in the golden ("translate_en")
  std::string language;  // the language the reference decoded with
  bool detected = false; // that language is the one the reference detected (so "auto" must find it)
  int max_new_tokens = 0;
  std::string text;      // the reference's decoded text, as it printed it (leading space included)
};
std::vector<TranslateRun> translate_runs();
void PrintTo(const TranslateRun& run, std::ostream* os);  // gtest: the run's name, not its bytes

// The reference's text as Parley reports it: without leading/trailing spaces.
std::string trimmed(const std::string& s);

// Samples of speech for `steps` SpeechT5 decoder steps in `pieces` pieces: steps x reduction_factor
// (speecht5 config.json) x the vocoder's hop (the product of hifigan config.json's upsample_rates),
// plus the synthesizer's pause between pieces (SynthesisOptions' default, at the vocoder's rate).
int64_t expected_samples(int64_t steps, int64_t pieces);
// The vocoder's sampling_rate from its config.json.
int fixture_sample_rate();

}  // namespace parley::test
