// parley transcribe: Whisper speech recognition / translation to English text.
//
//   parley transcribe --model DIR [--task transcribe|translate] [--language CODE|auto]
//                     [--max-new-tokens N] [--beams N] [--timestamps] [--precision f32|bf16|int8] [--json] AUDIO
//
// Prints the text (with --timestamps: the text with its <|t|> time marks), or with --json one
// object: language, text, tokens (the whole sequence including the decoder prompt), and more.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "cli/commands.h"
#include "core/error.h"
#include "tensor/precision.h"
#include "whisper/whisper.h"

namespace parley::cli {

namespace {

struct TranscribeArgs {
  std::string model;
  std::string audio;
  whisper::TranscribeOptions options;
  bool json = false;
  std::string precision = "f32";
};

std::string to_json(const whisper::TranscribeResult& r, const TranscribeArgs& a) {
  nlohmann::json j;
  j["language"] = r.language;
  j["text"] = r.text;
  j["tokens"] = r.tokens;
  if (a.options.timestamps) j["text_with_timestamps"] = r.text_with_timestamps;
  j["task"] = a.options.task;
  if (a.options.language == "auto") j["language_probability"] = std::exp(static_cast<double>(r.language_logprob));
  j[a.options.num_beams > 1 ? "sequence_score" : "avg_logprob"] = r.score;
  j["duration"] = r.audio_seconds;
  j["truncated"] = r.truncated;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run(const TranscribeArgs& a) {
  // The model first: a bad option (unknown language) is reported before any audio is decoded.
  set_default_precision(parse_precision(a.precision));
  whisper::Whisper w = whisper::Whisper::load(a.model);
  w.check(a.options);
  std::vector<float> samples = audio::decode_file(a.audio);
  whisper::TranscribeResult r = w.transcribe(samples, a.options);
  if (r.truncated)
    std::fprintf(stderr,
                 "parley: note: %s is %.1f s long; only the first %.0f s were transcribed "
                 "(long-form transcription is not implemented yet)\n",
                 a.audio.c_str(), r.audio_seconds, r.window_seconds);
  const std::string out = a.json ? to_json(r, a) : (a.options.timestamps ? r.text_with_timestamps : r.text);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

void register_transcribe(CLI::App& app, Runner& run_fn) {
  auto args = std::make_shared<TranscribeArgs>();
  auto* cmd = app.add_subcommand("transcribe", "Speech to text with a Whisper model (transcribe, or translate to English)");
  cmd->add_option("--model", args->model, "Whisper model folder (Hugging Face layout)")->required();
  cmd->add_option("--precision", args->precision, "weights in memory: f32 (default), bf16 or int8 (converted at load)");
  cmd->add_option("--task", args->options.task, "transcribe (same language) or translate (to English)")
      ->check(CLI::IsMember({"transcribe", "translate"}))
      ->capture_default_str();
  cmd->add_option("--language", args->options.language, "Spoken language: a code (en, it, ...), a name (italian) or auto to detect it")
      ->capture_default_str();
  cmd->add_option("--max-new-tokens", args->options.max_new_tokens,
                  "Most tokens to generate (the language, task and notimestamps tokens count)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--beams", args->options.num_beams, "Beam search width (1: greedy)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--timestamps", args->options.timestamps, "Generate timestamps and print them");
  cmd->add_flag("--json", args->json, "Print one JSON object (language, text, tokens, ...)");
  cmd->add_option("audio", args->audio, "Audio file (WAV, FLAC, MP3, OGG, Opus, WebM, M4A, ...)")->required();
  cmd->callback([&run_fn, args] { run_fn = [args] { return run(*args); }; });
}

}  // namespace parley::cli
