// parley translate: speech in any language -> English text -> English speech, as a WAV file; with
// --to another language, speech in that language.
//
//   parley translate IN -o OUT.wav [--language CODE|auto] [--to CODE] [--voice NAME|FILE.npy] [--seed N] [--json]
//                    [--asr-model X] [--tts-model [LANG=]X ...] [--mt-model X] [--vocoder X] [--max-new-tokens N]
//                    [--threads N] [--precision f32|bf16|int8] [--format pcm16|f32] [--stream] [--prompt TEXT]
//                    [--no-temperature-fallback] [--transcribe-source] [--output-format txt|json|srt|vtt [--text-output FILE]]
//                    [--source-subtitles FILE] [--word-timestamps [--max-line-width N [--max-line-count N]]]
//                    [--progress auto|on|off|json | --no-progress]
//
// --to English (or none): Whisper "translate" -> SpeechT5 -> HiFi-GAN, as always. --to any other
// language: Whisper "transcribe" -> MT sentence by sentence (--mt-model; skipped when the speech is
// already in that language) -> the language's VITS voice (--tts-model LANG=X, else
// facebook/mms-tts-<iso3>); SpeechT5 is not loaded then. The report adds the source transcript
// (source_text) and the target; --output-format cues are the translated sentences, each timed by the
// source segment it came from; --source-subtitles FILE writes the source transcript's cues (its
// format from the file's extension, else --output-format, else srt).
//
// Audio of any length: up to 30 s is recognised in one window, longer audio in windows with
// openai/whisper's transcribe() semantics (pipeline/pipeline.h); with --stream (or `-o -`) each
// window's English text is spoken as soon as it is decoded (with --to, the window's finished
// sentences are translated and spoken; one that runs into the next window waits for it).
//
// --output-format writes the English text with the source's timings, as `parley transcribe` does
// (text/subtitles.h): to --text-output FILE, else to stdout when stdout is free (then the report goes
// to stderr); with the audio (`-o -`) or --json on stdout, --text-output is required.
// --word-timestamps times the recognised words (whisper/word_timing.h): English target: the
// --output-format json segments carry `words` and srt/vtt cues are cut at words; other targets: the
// same for --source-subtitles (the translated sentences have no words of their own).
//
// --stream synthesizes sentence by sentence and writes each sentence's audio as soon as it is made
// (the WAV's header is fixed up at the end); `-o -` writes raw little-endian samples (--format) to
// stdout as they are made, and the report to stderr. time_to_first_audio_ms: from the start of the
// translation (audio decoded, models loaded) until the first audio was written.
//
// On a terminal (or with --progress on|json) a progress line on stderr: audio seconds recognised of
// the total and the window, then the sentences translated and the seconds of speech made.
//
// Prints the source language, the English text, the audio written and the time each stage took;
// with --json one object instead (language, text, output, timings in ms per stage, and more).
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "cli/audio_output.h"
#include "cli/commands.h"
#include "cli/first_run.h"
#include "cli/inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "tensor/precision.h"
#include "core/error.h"
#include "pipeline/pipeline.h"
#include "pipeline/segments.h"
#include "speecht5/prenet_masks.h"
#include "speecht5/voices.h"
#include "tensor/ops.h"
#include "text/languages.h"
#include "text/subtitles.h"
#include "vits/noise.h"

namespace parley::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct TranslateArgs {
  std::string input, output, language = "auto", voice = std::string(speecht5::kDefaultVoice), format = "pcm16";
  std::optional<uint64_t> seed;
  pipeline::PipelineOptions models;
  int threads = 0;
  std::string precision = "f32";
  bool json = false;
  bool stream = false;
  std::string prompt;
  bool no_fallback = false;
  bool transcribe_source = false;
  std::string output_format;  // "" = no text output
  std::string text_output;    // "" = stdout; "-" = stdout
  std::string to;             // target language; "" = English
  std::string source_subtitles;  // file for the source transcript's cues
  std::string progress = "auto";  // cli/progress.h
  bool word_timestamps = false;  // the recognised segments' words (English target: the English words)
  subtitles::WordCueOptions word_cues;
  const CLI::Option* voice_option = nullptr;
  // A target other than English (resolved at run time: a typo is a usage error with suggestions).
  const text::Language* target() const {
    const text::Language* l = to.empty() ? nullptr : &text::resolve_language(to);
    return l && l->iso1 == "en" ? nullptr : l;
  }
  bool to_stdout() const { return output == "-"; }
  bool streaming() const { return stream || to_stdout(); }
  bool text_on_stdout() const { return !output_format.empty() && (text_output.empty() || text_output == "-"); }
  audio::SampleFormat sample_format() const { return format == "f32" ? audio::SampleFormat::F32 : audio::SampleFormat::Pcm16; }
};

struct Report {
  TranslateResult result;
  AsrResult heard;  // the source transcript (other targets)
  pipeline::RunStats stats;
  Timings timings;  // decode, load, the pipeline's stages, write
  double total_ms = 0;
  double first_audio_ms = 0;  // from the translation's start until the first audio was written
};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double round1(double v) { return std::round(v * 10) / 10; }

std::string to_json(const Report& r, const TranslateArgs& a) {
  nlohmann::ordered_json j;
  j["language"] = r.result.language;
  j["language_name"] = r.result.language_name;
  if (a.language == "auto") j["language_probability"] = r.stats.language_probability;
  j["text"] = r.result.text;
  j["source_text"] = r.result.source_text;
  j["target_language"] = r.result.target_language;
  j["output"] = a.output;
  j["format"] = a.format;
  j["sample_rate"] = r.result.sample_rate;
  j["samples"] = r.result.audio.size();
  j["duration"] = static_cast<double>(r.result.audio.size()) / r.result.sample_rate;
  j["input_duration"] = r.result.duration_s;
  j["windows"] = r.stats.windows;
  j["spoken"] = r.stats.spoken;
  const bool english = a.target() == nullptr;
  if (english) j["voice"] = a.voice;
  j["seed"] = a.seed.value_or(english ? speecht5::kDefaultSeed : vits::kDefaultSeed);
  j["steps"] = r.stats.steps;
  j["pieces"] = r.stats.pieces;
  j["stream"] = a.streaming();
  if (r.stats.spoken) j["time_to_first_audio_ms"] = round1(r.first_audio_ms);
  nlohmann::ordered_json t = nlohmann::ordered_json::object();
  for (const auto& [stage, ms] : r.timings) t[stage + "_ms"] = round1(ms);
  t["total_ms"] = round1(r.total_ms);
  j["timings"] = t;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_text(std::FILE* out, const Report& r, const TranslateArgs& a) {
  std::string language = r.result.language_name + " (" + r.result.language + ")";
  if (a.language == "auto") {
    char p[64];
    std::snprintf(p, sizeof p, ", detected with probability %.2f", r.stats.language_probability);
    language += p;
  }
  std::fprintf(out, "language: %s\n", language.c_str());
  const text::Language* target = a.target();
  if (target || !r.result.source_text.empty()) std::fprintf(out, "source text: %s\n", r.result.source_text.c_str());
  if (target) std::fprintf(out, "target: %s\n", text::describe(*target).c_str());
  std::fprintf(out, "text: %s\n", r.result.text.c_str());
  const double seconds = static_cast<double>(r.result.audio.size()) / r.result.sample_rate;
  if (r.stats.spoken && a.target()) {
    std::fprintf(out, "audio: %s, %.2f s at %d Hz (%zu samples, %zu VITS pieces); first audio after %.0f ms\n",
                 a.output.c_str(), seconds, r.result.sample_rate, r.result.audio.size(), r.stats.pieces, r.first_audio_ms);
  } else if (r.stats.spoken) {
    std::fprintf(out, "audio: %s, %.2f s at %d Hz (%zu samples, %lld SpeechT5 steps); first audio after %.0f ms\n",
                 a.output.c_str(), seconds, r.result.sample_rate, r.result.audio.size(),
                 static_cast<long long>(r.stats.steps), r.first_audio_ms);
  } else {
    std::fprintf(out, "audio: %s, empty (the text has nothing to speak)\n", a.output.c_str());
  }
  std::string line;
  for (const auto& [stage, ms] : r.timings) {
    char part[64];
    std::snprintf(part, sizeof part, "%s%s %.0f ms", line.empty() ? "" : ", ", stage.c_str(), ms);
    line += part;
  }
  char total[48];
  std::snprintf(total, sizeof total, ", total %.0f ms", r.total_ms);
  std::fprintf(out, "time: %s%s\n", line.c_str(), total);
}

void write_text(const TranslateArgs& a, const TranslateResult& result, OutputFile* text_file);
void write_source_subtitles(const TranslateArgs& a, const AsrResult& heard, OutputFile& file);

// The timed text, then the report: to stderr when stdout carries the audio or the text.
int report(const TranslateArgs& a, const Report& r, OutputFile* text_file, OutputFile* source_file) {
  if (!a.output_format.empty()) write_text(a, r.result, text_file);
  if (source_file) write_source_subtitles(a, r.heard, *source_file);
  std::FILE* out = a.to_stdout() || a.text_on_stdout() ? stderr : stdout;
  if (a.json) {
    const std::string text = to_json(r, a);
    std::fwrite(text.data(), 1, text.size(), out);
    std::fputc('\n', out);
  } else {
    print_text(out, r, a);
  }
  return std::fflush(out) == 0 ? 0 : 1;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void write_source_subtitles(const TranslateArgs& a, const AsrResult& heard, OutputFile& file) {
  const std::string ext = lowercase(std::filesystem::path(a.source_subtitles).extension().string());
  std::string format = ext == ".srt" || ext == ".vtt" || ext == ".json" || ext == ".txt" ? ext.substr(1)
                       : a.output_format.empty()                                          ? "srt"
                                                                                          : a.output_format;
  const subtitles::Transcript t =
      subtitles::transcript_of("transcribe", heard.language_name, heard.duration_s, heard.text, heard.segments);
  file.write(subtitles::render(t, subtitles::parse_format(format), heard.segments, a.word_cues));
  file.commit();
}

void write_text(const TranslateArgs& a, const TranslateResult& result, OutputFile* text_file) {
  // Other targets: the translated sentences, in the target's name as verbose_json spells languages.
  const text::Language* target = a.target();
  const std::string language = target ? lowercase(target->name) : result.language_name;
  const subtitles::Transcript t =
      subtitles::transcript_of("translate", language, result.duration_s, result.text, result.segments);
  const std::string text = subtitles::render(t, subtitles::parse_format(a.output_format), result.segments, a.word_cues);
  if (text_file) {
    text_file->write(text);
    return text_file->commit();
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    fail(ErrorKind::Internal, "cannot write the text to stdout");
}

void check_text_options(const TranslateArgs& a) {
  check_word_cue_options(a.word_timestamps, a.word_cues);
  if (!a.source_subtitles.empty() && !a.target())
    invalid_argument("--source-subtitles needs --to a language other than English (the English path hears no "
                     "source transcript: Whisper translates as it listens)");
  if (a.target() && a.voice_option && a.voice_option->count() > 0)
    invalid_argument("--voice chooses an English voice; the " + std::string(a.target()->name) +
                     " voice is the --tts-model's");
  if (!a.text_output.empty() && a.output_format.empty())
    invalid_argument("--text-output needs --output-format txt|json|srt|vtt");
  if (a.text_on_stdout() && (a.to_stdout() || a.json))
    invalid_argument(std::string("stdout carries the ") + (a.json ? "--json report" : "audio") +
                     "; write the --output-format text to a file with --text-output FILE");
}

// Streams each sentence's audio as it is made (cli/audio_output.h says how it is written).
void stream_to(AudioOutput& sink, TranslateRequest& request, Report& r, double& written_ms,
               Clock::time_point translate_start) {
  request.sentence_by_sentence = true;
  request.on_chunk = [&sink, &r, &written_ms, translate_start](const AudioChunk& c) {
    const auto w = Clock::now();
    sink.piece(c.audio);
    written_ms += ms_since(w);
    if (c.index == 0) r.first_audio_ms = ms_since(translate_start);
  };
}

int run(const TranslateArgs& a) {
  const auto start = Clock::now();
  ops::set_threads(a.threads);
  set_default_precision(parse_precision(a.precision));
  check_text_options(a);  // the target's name too
  const bool english = a.target() == nullptr;
  // Cheap checks first (outputs writable, voice known), so a typo costs no model loading.
  OutputFile out(a.output);
  std::unique_ptr<OutputFile> text_file, source_file;
  if (!a.text_on_stdout() && !a.text_output.empty()) text_file = std::make_unique<OutputFile>(a.text_output);
  if (!a.source_subtitles.empty()) source_file = std::make_unique<OutputFile>(a.source_subtitles);
  const Tensor speaker = english ? load_voice_option(a.voice) : Tensor();
  Report r;
  auto t = Clock::now();
  const std::vector<float> samples = decode_audio_input(a.input);
  r.timings.emplace_back("decode", ms_since(t));

  t = Clock::now();
  pipeline::PipelineOptions models = a.models;
  models.english_speech = english;  // other targets speak with VITS: SpeechT5 is not needed
  check_models_reachable(models);
  auto p = pipeline::Pipeline::load(models);
  const std::string language = a.language == "auto" ? "" : a.language;
  if (english) p->check_speaker(speaker);
  p->check_language(language);
  const int sample_rate = p->prepare_target(a.to, language);  // the target's models, before any work
  r.timings.emplace_back("load", ms_since(t));

  TranslateRequest request;
  request.language = language;
  request.target_language = a.to;
  // The source transcript: whole, or (long audio, streamed) window by window.
  if (!english)
    request.on_recognized = [&r](const AsrResult& heard) {
      if (r.heard.language.empty()) r.heard = heard;
      else r.heard.segments.insert(r.heard.segments.end(), heard.segments.begin(), heard.segments.end());
    };
  ProgressLine progress(parse_progress_mode(a.progress));
  RunControl control;
  if (progress.enabled()) control.on_progress = [&progress](const Progress& p) { progress.update(p); };
  request.control = &control;
  request.seed = a.seed;
  request.prompt = a.prompt;
  request.temperature_fallback = !a.no_fallback;
  request.transcribe_source = a.transcribe_source;
  request.word_timestamps = a.word_timestamps;
  const auto translate_start = Clock::now();
  double written_ms = 0;  // writing the streamed chunks
  AudioOutput sink(out, a.stream, sample_rate, a.sample_format());
  if (sink.streaming()) stream_to(sink, request, r, written_ms, translate_start);
  r.result = p->translate(samples, request, speaker, r.stats);
  progress.clear();
  r.heard.text = r.result.source_text;
  r.timings.insert(r.timings.end(), r.result.timings.begin(), r.result.timings.end());
  if (!r.stats.spoken)
    std::fprintf(stderr, "parley: note: the %s text has nothing to speak; %s holds no samples\n",
                 english ? "English" : "translated", a.output.c_str());

  t = Clock::now();
  if (!sink.streaming()) r.first_audio_ms = ms_since(translate_start);
  sink.finish(r.result.audio);
  r.timings.emplace_back("write", ms_since(t) + written_ms);
  r.total_ms = ms_since(start);
  return report(a, r, text_file.get(), source_file.get());
}

}  // namespace

void register_translate(CLI::App& app, Runner& run_fn) {
  auto args = std::make_shared<TranslateArgs>();
  auto* cmd = app.add_subcommand("translate",
                                 "Speech in any language to English speech (Whisper, then SpeechT5 + HiFi-GAN), or "
                                 "with --to to another language's (Whisper, MT, then VITS / MMS-TTS)");
  cmd->add_option("input", args->input, "Audio file (WAV, FLAC, MP3, OGG, Opus, WebM, M4A, ...), or - for stdin")->required();
  cmd->add_option("-o,--output", args->output,
                  "WAV file to write the speech to, or - for raw samples (--format) on stdout as they are made")
      ->required();
  cmd->add_option("-l,--language", args->language,
                  "Spoken language: any code (it, ita, ita_Latn, ...), a name (Italian) or auto to detect it")
      ->capture_default_str();
  cmd->add_option("--to", args->to,
                  "Language to speak: any code (fr, fra, fra_Latn, ...) or name; default English (Whisper translates). "
                  "Others: Whisper transcribes, --mt-model translates, the language's VITS voice speaks");
  cmd->add_option("--source-subtitles", args->source_subtitles,
                  "With --to: also write the source transcript's subtitles to FILE (format: the extension .srt, .vtt, "
                  ".json or .txt, else --output-format, else srt)");
  args->voice_option = cmd->add_option("--voice", args->voice,
                  "English voice: a name (" + [] {
                    std::string names;
                    for (const auto& n : speecht5::voice_names()) names += (names.empty() ? "" : ", ") + n;
                    return names;
                  }() + ") or an .npy file of a speaker x-vector")
      ->capture_default_str();
  cmd->add_option_function<uint64_t>(
      "--seed", [args](uint64_t s) { args->seed = s; },
      "Seed of the voice's randomness (SpeechT5's prenet dropout; with --to, VITS's noise): same seed, "
          "same audio (default " +
          std::to_string(speecht5::kDefaultSeed) + ")");
  cmd->add_flag("--json", args->json, "Print one JSON object (language, text, output, timings, ...)");
  cmd->add_flag("--stream", args->stream,
                "Synthesize sentence by sentence and write each sentence's audio as soon as it is made");
  cmd->add_option("--format", args->format, "WAV sample format")
      ->check(CLI::IsMember({"pcm16", "f32"}))
      ->capture_default_str();
  cmd->add_option("--prompt", args->prompt,
                  "Whisper's initial prompt: text that comes before the first window (names, spelling, style)");
  cmd->add_flag("--transcribe-source", args->transcribe_source,
                "English target: also transcribe the speech in its own language (source_text; a second Whisper "
                "pass after the speech is made)");
  cmd->add_flag("--no-temperature-fallback", args->no_fallback,
                "Long audio: decode each window once, greedily, instead of retrying hotter when it fails "
                "openai's thresholds");
  cmd->add_option("--output-format,-f", args->output_format,
                  "Also write the spoken text (English, or the --to language's sentences) with the source's timings: "
                  "txt, json (OpenAI verbose_json), srt or vtt (to stdout, or --text-output)")
      ->check(CLI::IsMember({"txt", "json", "srt", "vtt"}));
  cmd->add_option("--text-output", args->text_output, "File for the --output-format text (- : stdout)");
  add_word_timestamp_options(*cmd, args->word_timestamps, args->word_cues);
  add_model_options(*cmd, args->models);
  add_target_model_options(*cmd, args->models);
  add_threads_option(*cmd, args->threads, "CPU threads for the models (0: every core)");
  add_precision_option(*cmd, args->precision);
  add_progress_options(*cmd, args->progress);
  cmd->callback([&run_fn, args] { run_fn = [args] { return run(*args); }; });
}

}  // namespace parley::cli
