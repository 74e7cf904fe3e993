// Options the commands share: which models to run, on how many cores, in which precision.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/pipeline.h"
#include "text/subtitles.h"

namespace CLI {
class App;
}

namespace parley::cli {

// --asr-model, --tts-model, --vocoder (Hub names or local folders) and --max-new-tokens. --tts-model
// is repeatable: NAME|DIR is the English model (SpeechT5); LANG=NAME|DIR the voice of another
// language (VITS / MMS-TTS), into options.tts_models. Each use takes one value.
void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& options);
// --mt-model: the translation model of targets other than English.
void add_target_model_options(CLI::App& cmd, pipeline::PipelineOptions& options);
// --tts-model's entries into `options`: a value without '=' (or an existing folder) or en=... is the
// English model; LANG=... another language's (parse_language_model; a usage error when bad).
void add_tts_models(const std::vector<std::string>& entries, pipeline::PipelineOptions& options);

// One LANG=NAME|DIR value of `option`: LANG in any form of the language table ("French", "fra",
// "fr"), as the table's shortest code ("fr"), and the model. Error(InvalidArgument), one line naming
// the option (a usage error), for a missing '=', an empty LANG or model, or an unknown language
// (with the table's did-you-mean).
std::pair<std::string, std::string> parse_language_model(std::string_view value, std::string_view option = "--tts-model");

// --threads N (0 = every core), described by `help`.
void add_threads_option(CLI::App& cmd, int& threads, const std::string& help);
// --precision f32|bf16|int8: how the models hold their weights (tensor/precision.h).
void add_precision_option(CLI::App& cmd, std::string& precision);
// --word-timestamps, --max-line-width N, --max-line-count N (openai/whisper's word-level subtitles),
// and the check that the limits come with --word-timestamps (and the count with the width): a usage error.
void add_word_timestamp_options(CLI::App& cmd, bool& word_timestamps, subtitles::WordCueOptions& cues);
void check_word_cue_options(bool word_timestamps, const subtitles::WordCueOptions& cues);

}  // namespace parley::cli
