// parley transcribe: Whisper speech recognition / translation to English text.
//
//   parley transcribe --model DIR [--task transcribe|translate] [--language CODE|auto]
//                     [--max-new-tokens N] [--beams N] [--timestamps] [--precision f32|bf16|int8] [--json]
//                     [--output-format txt|json|srt|vtt] [-o FILE] [long-form options]
//                     [--word-timestamps [--max-line-width N [--max-line-count N]]] AUDIO
//
// whisper.cpp's spellings work too: -m MODEL, -l LANG, -t THREADS, -tr (translate), and -otxt -osrt
// -ovtt -ojson (any number of them) write AUDIO.txt, AUDIO.srt, ... beside the input, or NAME.txt, ...
// with -of NAME (cli/usage.cpp turns them into --output-txt, ..., --output-file). AUDIO "-": stdin.
//
// Audio of up to 30 s printed as text (or --json, --timestamps) is decoded in one window with the
// reference's generate() semantics. Longer audio, every --output-format other than txt, and any
// long-form option (--prompt, --temperature, a threshold, ...) go through long-form decoding (openai's transcribe(): windows, prompts, temperature fallback, timed
// segments) and is written as text, verbose_json, SRT or WebVTT (text/subtitles.h). --word-timestamps
// decodes in windows too and times each word (whisper/word_timing.h): `words` in the JSON segments,
// SRT/VTT cues cut from the words.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "core/error.h"
#include "tensor/ops.h"
#include "text/subtitles.h"
#include "tensor/precision.h"
#include "whisper/whisper.h"

namespace parley::cli {

namespace {

struct TranscribeArgs {
  std::string model;
  std::string audio;
  whisper::TranscribeOptions options;
  bool json = false;
  std::string output_format = "txt";
  std::string output_file;  // "" or "-": stdout
  bool max_new_tokens_given = false;
  std::string progress = "auto";  // cli/progress.h
  bool long_form_asked = false;  // a long-form-only option was given: never ignore it on short audio
  // Long-form decoding (whisper::LongformOptions); thresholds as text so that "none" can turn one off.
  std::string temperatures = "0,0.2,0.4,0.6,0.8,1.0";
  std::string compression_ratio_threshold = "2.4", logprob_threshold = "-1.0", no_speech_threshold = "0.6";
  std::string initial_prompt;
  bool carry_initial_prompt = false;
  bool no_condition = false;
  int best_of = 5;
  float patience = 1.0f;
  std::string precision = "f32";
  int threads = 0;
  bool translate = false;                 // -tr
  std::vector<std::string> file_formats;  // -otxt -osrt -ovtt -ojson
  std::string file_base;                  // -of NAME
  bool word_timestamps = false;
  subtitles::WordCueOptions word_cues;    // --max-line-width, --max-line-count
};

double parse_number(const std::string& text, const std::string& option) {
  std::istringstream in(text);
  double v = 0;
  if (!(in >> v) || !(in >> std::ws).eof() || !std::isfinite(v))
    invalid_argument(option + " must be a number, not '" + text + "'");
  return v;
}

std::optional<double> parse_threshold(const std::string& text, const std::string& option) {
  if (text == "none" || text == "off") return std::nullopt;
  return parse_number(text, option);
}

std::vector<float> parse_temperatures(const std::string& text) {
  std::vector<float> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) out.push_back(static_cast<float>(parse_number(item, "--temperature")));
  if (out.empty()) invalid_argument("--temperature needs at least one value");
  return out;
}

whisper::LongformOptions longform_options(const TranscribeArgs& a, const whisper::WhisperConfig& c) {
  whisper::LongformOptions o;
  o.task = a.options.task;
  o.language = a.options.language;
  o.temperatures = parse_temperatures(a.temperatures);
  o.compression_ratio_threshold = parse_threshold(a.compression_ratio_threshold, "--compression-ratio-threshold");
  o.logprob_threshold = parse_threshold(a.logprob_threshold, "--logprob-threshold");
  o.no_speech_threshold = parse_threshold(a.no_speech_threshold, "--no-speech-threshold");
  o.condition_on_previous_text = !a.no_condition;
  o.initial_prompt = a.initial_prompt;
  o.carry_initial_prompt = a.carry_initial_prompt;
  o.beam_size = a.options.num_beams > 1 ? a.options.num_beams : 0;
  o.best_of = a.best_of;
  o.patience = a.patience;
  if (a.max_new_tokens_given) o.sample_len = std::min(a.options.max_new_tokens, c.max_target_positions / 2);
  o.seed = a.options.seed;
  o.word_timestamps = a.word_timestamps;
  return o;
}

// The files of -otxt -osrt -ovtt -ojson, at NAME.ext (-of NAME) or AUDIO.ext as whisper.cpp names them;
// opened (checked writable) before any work.
std::vector<std::pair<subtitles::Format, std::unique_ptr<OutputFile>>> open_format_files(const TranscribeArgs& a) {
  std::vector<std::pair<subtitles::Format, std::unique_ptr<OutputFile>>> files;
  if (a.file_formats.empty()) {
    if (!a.file_base.empty()) invalid_argument("--output-file (-of) names the files of -otxt, -osrt, -ovtt or -ojson; give one");
    return files;
  }
  if (a.file_base.empty() && a.audio == "-")
    invalid_argument("audio from stdin has no file name to write beside: give the files a name with -of NAME");
  const std::string base = a.file_base.empty() ? a.audio : a.file_base;
  for (const auto& ext : a.file_formats)
    files.emplace_back(subtitles::parse_format(ext), std::make_unique<OutputFile>(base + "." + ext));
  return files;
}

// Long-form: the whole recording in windows, segments written in the chosen format(s).
int run_long(const TranscribeArgs& a, const whisper::Whisper& w, const std::vector<float>& samples,
             const whisper::LongformOptions& o, subtitles::Format format, OutputFile& out,
             std::vector<std::pair<subtitles::Format, std::unique_ptr<OutputFile>>>& files) {
  ProgressLine progress(parse_progress_mode(a.progress));
  const audio::MelConfig& mc = w.mel().config();
  const double seconds = static_cast<double>(samples.size()) / mc.sample_rate;
  const double frames_per_second = static_cast<double>(mc.sample_rate) / mc.hop_length;
  int windows = 0;
  const auto on_window = [&](const whisper::WindowTrace& t, const whisper::LongformLanguage&) {
    const double reached = std::min(seconds, static_cast<double>(t.seek + t.segment_size) / frames_per_second);
    progress.update({"asr", reached, seconds, "s", "window " + std::to_string(++windows)});
  };
  whisper::LongformResult r = w.transcribe_long(samples, o, nullptr, on_window);
  progress.clear();
  subtitles::Transcript t = whisper::to_transcript(r, o.task);
  for (auto& [file_format, file] : files) {
    file->write(subtitles::render(t, file_format, r.segments, a.word_cues));
    file->commit();
    std::fprintf(stderr, "wrote %s\n", file->name().c_str());
  }
  if (!files.empty() && a.output_file.empty()) return 0;  // whisper.cpp's files only
  // --json without --output-format: verbose_json, with the detection's probability as in the short form
  out.write(subtitles::render(t, a.json ? subtitles::Format::Json : format, r.segments, a.word_cues));
  out.commit();
  return 0;
}

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

int run(TranscribeArgs a) {
  const subtitles::Format format = subtitles::parse_format(a.output_format);
  check_word_cue_options(a.word_timestamps, a.word_cues);
  if (a.translate) a.options.task = "translate";
  ops::set_threads(a.threads);
  // The outputs first: an unwritable path fails before any work.
  OutputFile out(a.output_file.empty() ? "-" : a.output_file);
  auto files = open_format_files(a);
  // The model first: a bad option (unknown language) is reported before any audio is decoded.
  set_default_precision(parse_precision(a.precision));
  whisper::Whisper w = whisper::Whisper::load(a.model);
  w.check(a.options);
  const whisper::LongformOptions long_options = longform_options(a, w.config());
  w.check(long_options);
  std::vector<float> samples = decode_audio_input(a.audio);
  const double window_seconds = static_cast<double>(w.mel().config().n_samples) / w.mel().config().sample_rate;
  const double seconds = static_cast<double>(samples.size()) / w.mel().config().sample_rate;
  // The service's rule too: a timed format is derived from one windowed decode, as the API's are.
  // Format files (-osrt, -ojson...) are timed formats.
  const bool timed = format != subtitles::Format::Txt || !files.empty() || a.word_timestamps;
  if (whisper::decode_in_windows(seconds, window_seconds, timed, a.long_form_asked))
    return run_long(a, w, samples, long_options, format, out, files);
  whisper::TranscribeResult r = w.transcribe(samples, a.options);
  out.write((a.json ? to_json(r, a) : (a.options.timestamps ? r.text_with_timestamps : r.text)) + "\n");
  out.commit();
  return 0;
}

}  // namespace

void register_transcribe(CLI::App& app, Runner& run_fn) {
  auto args = std::make_shared<TranscribeArgs>();
  auto* cmd = app.add_subcommand("transcribe", "Speech to text with a Whisper model (transcribe, or translate to English)");
  cmd->add_option("-m,--model", args->model, "Whisper model folder (Hugging Face layout)")->required();
  add_threads_option(*cmd, args->threads, "CPU threads (0: every core)");
  add_progress_options(*cmd, args->progress);
  add_precision_option(*cmd, args->precision);
  cmd->add_option("--task", args->options.task, "transcribe (same language) or translate (to English)")
      ->check(CLI::IsMember({"transcribe", "translate"}))
      ->capture_default_str();
  cmd->add_flag("--translate", args->translate, "Same as --task translate (whisper.cpp's -tr)");
  cmd->add_option("-l,--language", args->options.language, "Spoken language: any code (it, ita, ita_Latn, ...), a name (Italian) or auto to detect it")
      ->capture_default_str();
  cmd->add_option("--max-new-tokens", args->options.max_new_tokens,
                  "Most tokens to generate (the language, task and notimestamps tokens count)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--beams", args->options.num_beams, "Beam search width (1: greedy)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--timestamps", args->options.timestamps, "Generate timestamps and print them");
  cmd->add_flag("--json", args->json,
                "Print one JSON object (up to 30 s: language, text, tokens, ...; longer: as --output-format json)");
  cmd->add_option("--output-format,-f", args->output_format,
                  "txt, json (OpenAI verbose_json: language, text, timed segments), srt or vtt subtitles")
      ->check(CLI::IsMember({"txt", "json", "srt", "vtt"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", args->output_file, "Write the result to this file instead of stdout (- : stdout)");
  for (const char* ext : {"txt", "srt", "vtt", "json"})
    cmd->add_flag_callback(std::string("--output-") + ext, [args, ext] { args->file_formats.push_back(ext); },
                           std::string("Write AUDIO.") + ext + " (or NAME." + ext + " with -of NAME); whisper.cpp's -o" + ext);
  cmd->add_option("--output-file", args->file_base, "Name of the -otxt/-osrt/-ovtt/-ojson files, without extension (whisper.cpp's -of)");
  // Long-form decoding (audio over 30 s, or --output-format json/srt/vtt)
  cmd->add_option("--temperature", args->temperatures,
                  "Long-form: temperatures tried in order while a window fails the thresholds (comma-separated)")
      ->capture_default_str();
  cmd->add_option("--compression-ratio-threshold", args->compression_ratio_threshold,
                  "Long-form: a window whose text compresses better than this is too repetitive (none: off)")
      ->capture_default_str();
  cmd->add_option("--logprob-threshold", args->logprob_threshold,
                  "Long-form: a window whose mean token log-probability is below this is retried hotter (none: off)")
      ->capture_default_str();
  cmd->add_option("--no-speech-threshold", args->no_speech_threshold,
                  "Long-form: a window whose no-speech probability is above this (and log-probability below "
                  "the threshold) is silence and skipped (none: off)")
      ->capture_default_str();
  cmd->add_option("--initial-prompt,--prompt", args->initial_prompt,
                  "Long-form: text that comes before the first window (names, spelling, style)");
  cmd->add_flag("--carry-initial-prompt", args->carry_initial_prompt,
                "Long-form: keep the initial prompt before every window's prompt");
  cmd->add_flag("--no-condition-on-previous-text", args->no_condition,
                "Long-form: do not give a window the previous windows' text as its prompt");
  cmd->add_option("--best-of", args->best_of, "Long-form: samples per window at a temperature above 0")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--patience", args->patience, "Long-form beam search patience")
      ->check(CLI::Range(0.01, 64.0))
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the sampling at temperatures above 0 (repeatable results)")
      ->capture_default_str();
  add_word_timestamp_options(*cmd, args->word_timestamps, args->word_cues);
  cmd->add_option("audio", args->audio, "Audio file (WAV, FLAC, MP3, OGG, Opus, WebM, M4A, ...), or - for stdin")->required();
  cmd->callback([&run_fn, args, cmd] {
    args->max_new_tokens_given = cmd->count("--max-new-tokens") > 0;
    for (const char* o : {"--temperature", "--compression-ratio-threshold", "--logprob-threshold", "--no-speech-threshold",
                          "--initial-prompt", "--carry-initial-prompt", "--no-condition-on-previous-text", "--best-of",
                          "--patience"})
      args->long_form_asked = args->long_form_asked || cmd->count(o) > 0;
    run_fn = [args] { return run(*args); };
  });
}

}  // namespace parley::cli
