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
  for (const std::string& v : entries) {
    if (v.find('=') == std::string::npos || std::filesystem::is_directory(v)) {
      o.tts_model = v;
      continue;
    }
    auto [language, model] = parse_language_model(v);
    if (language == "en") {
      o.tts_model = model;
      continue;
    }
    std::erase_if(o.tts_models, [&](const auto& entry) { return entry.first == language; });  // the last one wins
    o.tts_models.emplace_back(language, model);
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

void add_word_timestamp_options(CLI::App& cmd, bool& word_timestamps, subtitles::WordCueOptions& cues) {
  cmd.add_flag("--word-timestamps", word_timestamps,
               "Time every word (Whisper's cross-attention, as openai/whisper): `words` in each JSON segment, "
               "SRT/VTT cues cut at words");
  cmd.add_option("--max-line-width", cues.max_line_width,
                 "With --word-timestamps: SRT/VTT lines of at most this many characters (each segment's cue wraps; "
                 "with --max-line-count the words flow into cues of that many lines)")
      ->check(CLI::Range(1, 100000));
  cmd.add_option("--max-line-count", cues.max_line_count,
                 "With --word-timestamps and --max-line-width: at most this many lines per SRT/VTT cue")
      ->check(CLI::Range(1, 100000));
}

void check_word_cue_options(bool word_timestamps, const subtitles::WordCueOptions& cues) {
  if ((cues.max_line_width || cues.max_line_count) && !word_timestamps)
    invalid_argument("--max-line-width and --max-line-count cut subtitles at words: they need --word-timestamps");
  if (cues.max_line_count && !cues.max_line_width) invalid_argument("--max-line-count needs --max-line-width");
}

}  // namespace parley::cli
