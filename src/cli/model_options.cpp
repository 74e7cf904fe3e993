#include "cli/model_options.h"

#include <filesystem>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/printable.h"
#include "text/languages.h"
#include "text/sentences.h"

namespace parley::cli {

std::pair<std::string, std::string> parse_language_model(std::string_view value, std::string_view option) {
  const std::string quoted = std::string(option) + " '" + printable(value) + "'";  // one line, whatever was typed
  const size_t eq = value.find('=');
  if (eq == std::string_view::npos) invalid_argument(quoted + ": expected LANG=NAME|DIR, e.g. fr=facebook/mms-tts-fra");
  const std::string_view language = sentences::trim(value.substr(0, eq));
  const std::string_view model = sentences::trim(value.substr(eq + 1));
  if (language.empty() || model.empty())
    invalid_argument(quoted + ": expected LANG=NAME|DIR with both parts, e.g. fr=facebook/mms-tts-fra");
  try {
    return {std::string(text::short_code(text::resolve_language(language))), std::string(model)};
  } catch (const Error& e) {  // unknown: the did-you-mean line
    invalid_argument(quoted + ": " + e.what());
  }
}

namespace {

// --tts-model, repeatable: NAME|DIR for English (SpeechT5) as before, LANG=NAME|DIR for another
// language. A value without '=' (or an existing folder whose name has one) is English's.
void add_tts_model_option(CLI::App& cmd, pipeline::PipelineOptions& o, TargetModels& targets) {
  auto assign = [&o, &targets](const std::vector<std::string>& values) {
    for (const std::string& v : values) {
      if (v.find('=') == std::string::npos || std::filesystem::is_directory(v)) {
        o.tts_model = v;
        continue;
      }
      auto [language, model] = parse_language_model(v);
      if (language == "en") o.tts_model = model;
      else targets.tts_models[language] = model;
    }
  };
  cmd.add_option_function<std::vector<std::string>>("--tts-model", assign,
                                                    "Text-to-speech model, repeatable: NAME|DIR for English (SpeechT5; default " +
                                                        std::string(pipeline::kDefaultTtsModel) +
                                                        "), LANG=NAME|DIR for another language (VITS; default facebook/mms-tts-<iso3>)")
      ->type_name("[LANG=]NAME|DIR")
      ->allow_extra_args(false);
  cmd.add_option("--mt-model", targets.mt_model,
                 "Translation model for targets other than English (NLLB-200, M2M100 or Marian): Hub name or local "
                 "folder (default facebook/nllb-200-distilled-600M)");
}

}  // namespace

void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& o, TargetModels* targets) {
  cmd.add_option("--asr-model", o.asr_model, "Whisper model: Hub name ORG/NAME[@REV] or local folder")
      ->capture_default_str();
  if (targets) {
    add_tts_model_option(cmd, o, *targets);
  } else {
    cmd.add_option("--tts-model", o.tts_model, "SpeechT5 text-to-speech model: Hub name or local folder")
        ->capture_default_str();
  }
  cmd.add_option("--vocoder", o.vocoder, "HiFi-GAN vocoder: Hub name or local folder")->capture_default_str();
  cmd.add_option("--max-new-tokens", o.max_new_tokens,
                 "Most tokens Whisper generates (the language, task and notimestamps tokens count)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
}

void add_threads_option(CLI::App& cmd, int& threads, const std::string& help) {
  cmd.add_option("-t,--threads", threads, help)
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
}

void add_precision_option(CLI::App& cmd, std::string& precision) {
  cmd.add_option("--precision", precision, "Weights in memory: f32 (the reference's numbers), bf16 or int8 (converted at load)")
      ->capture_default_str();
}

}  // namespace parley::cli
