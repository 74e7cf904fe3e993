#include "cli/model_options.h"

#include <CLI/CLI.hpp>

namespace parley::cli {

void add_model_options(CLI::App& cmd, pipeline::PipelineOptions& o) {
  cmd.add_option("--asr-model", o.asr_model, "Whisper model: Hub name ORG/NAME[@REV] or local folder")
      ->capture_default_str();
  cmd.add_option("--tts-model", o.tts_model, "SpeechT5 text-to-speech model: Hub name or local folder")
      ->capture_default_str();
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
