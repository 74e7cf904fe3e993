// Options `parley translate` and `parley serve` share: which models to run, and on how many cores.
#pragma once

#include <string>

#include "pipeline/pipeline.h"

namespace CLI {
class App;
}

namespace parley::cli {

// --asr-model, --tts-model, --vocoder (Hub names or local folders) and --max-new-tokens.
void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& options);
// --threads N (0 = every core), described by `help`.
void add_threads_option(CLI::App& cmd, int& threads, const std::string& help);

}  // namespace parley::cli
