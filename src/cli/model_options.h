// Options the commands share: which models to run, on how many cores, in which precision.
#pragma once

#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace CLI {
class App;
}

namespace parley::cli {

// --asr-model, --tts-model, --vocoder (Hub names or local folders) and --max-new-tokens. --tts-model
// is repeatable: NAME|DIR is the English model; LANG=NAME|DIR the voice of another language.
void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& options);
// --tts-model's entries into `options` (a plain NAME|DIR or en=...: tts_model; LANG=...: tts_models).
void add_tts_models(const std::vector<std::string>& entries, pipeline::PipelineOptions& options);
// --mt-model: the translation model of targets other than English.
void add_target_model_options(CLI::App& cmd, pipeline::PipelineOptions& options);
// --threads N (0 = every core), described by `help`.
void add_threads_option(CLI::App& cmd, int& threads, const std::string& help);
// --precision f32|bf16|int8: how the models hold their weights (tensor/precision.h).
void add_precision_option(CLI::App& cmd, std::string& precision);

}  // namespace parley::cli
