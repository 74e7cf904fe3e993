// The models of the other-language path (inside the pipeline; pipeline.h says what they are for):
// which model speaks or translates into a language, where it is, and the caches that keep them.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "mt/translator.h"
#include "pipeline/model_cache.h"
#include "pipeline/pipeline.h"
#include "text/languages.h"
#include "vits/model.h"

namespace parley::pipeline {

// The stages' clock, shared by the pipeline's files.
using Clock = std::chrono::steady_clock;
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Pipeline::TargetModels {
  explicit TargetModels(size_t capacity) : translators(capacity), voices(capacity) {}
  ModelCache<std::string, const mt::Translator> translators;  // by the name the options give
  ModelCache<std::string, const vits::VitsModel> voices;
};

// What recognition needs of a translate request: its language, prompt, fallback, seed, on_segment.
inline AsrRequest asr_request_of(const TranslateRequest& r, AsrTask task) {
  AsrRequest asr;
  asr.task = task;
  asr.language = r.language;
  asr.prompt = r.prompt;
  asr.temperature_fallback = r.temperature_fallback;
  asr.word_timestamps = r.word_timestamps;
  asr.seed = r.seed;
  asr.on_segment = r.on_segment;
  asr.control = r.control;
  return asr;
}

// The speech made so far, after each piece: seconds of it, and which piece ("piece 3").
inline void report_speech(const RunControl* control, double seconds, size_t pieces) {
  if (control) control->report({"tts", seconds, 0, "s", "piece " + std::to_string(pieces)});
}

// nullptr for an empty code or English (today's path); else the language's row. Unknown:
// Error(InvalidArgument) with the table's did-you-mean.
const text::Language* other_target(const std::string& code);

// The text-to-speech model for `language`: the one the options name for it, else its MMS-TTS
// checkpoint; empty when there is neither.
std::string tts_model_for(const PipelineOptions& options, const text::Language& language);

// A target model's folder without waiting on the network: the cache or a local folder first; a miss
// is downloaded only when the Hub answers at once. Unreachable: Error(NotFound) in one line naming
// `what` ("the French voice"), the model and `parley models download NAME`.
std::filesystem::path resolve_target_model(const std::string& name, const std::string& what);

// What /health, /v1/languages and messages call a model: its Hub name, or a local folder's own
// name (never the server's paths).
std::string display_name(const std::string& name);

// Whether `name` loads without the network (a local folder, or complete in the Hub cache).
bool model_on_disk(const std::string& name);

}  // namespace parley::pipeline
