// Options the commands share: which models to run, on how many cores, in which precision.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/pipeline.h"

namespace CLI {
class App;
}

namespace parley::cli {

// The models for targets other than English (issue 18), as the command line names them. Empty: the
// pipeline's defaults (facebook/mms-tts-<iso3> for a language's speech).
struct TargetModels {
  std::string mt_model;                           // --mt-model NAME|DIR
  std::map<std::string, std::string> tts_models;  // --tts-model LANG=NAME|DIR: "fr" -> Hub name or folder
};

// --asr-model, --tts-model, --vocoder (Hub names or local folders) and --max-new-tokens. With
// `targets`: also --mt-model, and --tts-model is repeatable, NAME|DIR for English (SpeechT5, into
// options.tts_model) or LANG=NAME|DIR for another language (into targets->tts_models).
void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& options, TargetModels* targets = nullptr);

// One LANG=NAME|DIR value of `option`: LANG in any form of the language table ("French", "fra",
// "fr"), as the table's shortest code ("fr"), and the model. Error(InvalidArgument), one line naming
// the option (a usage error), for a missing '=', an empty LANG or model, or an unknown language
// (with the table's did-you-mean).
std::pair<std::string, std::string> parse_language_model(std::string_view value, std::string_view option = "--tts-model");

// --threads N (0 = every core), described by `help`.
void add_threads_option(CLI::App& cmd, int& threads, const std::string& help);
// --precision f32|bf16|int8: how the models hold their weights (tensor/precision.h).
void add_precision_option(CLI::App& cmd, std::string& precision);

}  // namespace parley::cli
