#include "cli/model_options.h"

#include <vector>

#include <CLI/CLI.hpp>

#include "text/languages.h"

namespace parley::cli {

void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& o) {
  cmd.add_option("--asr-model", o.asr_model, "Whisper model: Hub name ORG/NAME[@REV] or local folder")
      ->capture_default_str();
  cmd.add_option_function<std::vector<std::string>>(
         "--tts-model", [&o](const std::vector<std::string>& entries) { add_tts_models(entries, o); },
         "Text-to-speech model: NAME|DIR for English (SpeechT5, default " + std::string(pipeline::kDefaultTtsModel) +
             "), or LANG=NAME|DIR for another language (a VITS / MMS-TTS model; default facebook/mms-tts-<iso3>); "
             "repeatable")
      ->type_name("[LANG=]NAME|DIR")
      ->allow_extra_args(false)
      ->take_all();
  cmd.add_option("--vocoder", o.vocoder, "HiFi-GAN vocoder: Hub name or local folder")->capture_default_str();
  cmd.add_option("--max-new-tokens", o.max_new_tokens,
                 "Most tokens Whisper generates (the language, task and notimestamps tokens count)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
}

void add_tts_models(const std::vector<std::string>& entries, pipeline::PipelineOptions& o) {
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    // "LANG=..." when the part before '=' is a language code or name; anything else is a model.
    const std::string lang = eq == std::string::npos ? "" : entry.substr(0, eq);
    const bool per_language = !lang.empty() && lang.find('/') == std::string::npos;
    if (!per_language) {
      o.tts_model = entry;
      continue;
    }
    const text::Language* l = text::find_language(lang);
    if (l && l->iso1 == "en") o.tts_model = entry.substr(eq + 1);
    else o.tts_models.emplace_back(lang, entry.substr(eq + 1));  // an unknown LANG fails when loading
  }
}

void add_target_model_options(CLI::App& cmd, pipeline::PipelineOptions& o) {
  cmd.add_option("--mt-model", o.mt_model,
                 "Translation model for targets other than English (NLLB-200, M2M100 or an opus-mt pair): Hub "
                 "name or local folder")
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
