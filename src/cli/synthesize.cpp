// parley synthesize: text to speech as a WAV file (or raw samples on stdout with `-o -`).
//
// The engine comes from the checkpoint's config.json: model_type "speecht5" (English, with a
// HiFi-GAN --vocoder and x-vector voices) or "vits" (MMS-TTS: one checkpoint per language, 1,100+
// languages, its own decoder). Options of one engine given for the other are a usage error.
// --stream (implied by `-o -`) speaks sentence by sentence and writes each sentence's audio as soon
// as it is made; the samples are those of a run without it for SpeechT5, and for VITS those of
// synthesizing each sentence on its own. `--text -` reads the text from stdin. On a terminal (or with
// --progress on|json) a progress line on stderr counts the seconds of speech made.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "audio/wav.h"
#include "cli/audio_output.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "core/error.h"
#include "hf/hub.h"
#include "pipeline/tts_engine.h"
#include "pipeline/vits_engine.h"
#include "speecht5/synthesizer.h"
#include "speecht5/voices.h"
#include "tensor/ops.h"
#include "tensor/precision.h"
#include "text/utf8.h"
#include "weights/npy.h"

namespace parley::cli {

namespace {

struct SynthesizeArgs {
  std::string model, vocoder, speaker = std::string(speecht5::kDefaultVoice), text, output, format = "pcm16";
  std::string masks_file, mel_out;
  std::optional<uint64_t> seed;
  speecht5::GenerateOptions generate;
  std::string precision = "f32";
  int threads = 0;
  bool stream = false;
  bool fold_accents = false;  // SpeechT5: letters the model lacks read without their accents
  std::string progress = "auto";  // cli/progress.h
  // VITS.
  vits::VitsOptions vits;
  std::string duration_noise, prior_noise;
  // Options given on the command line that only one engine takes.
  std::vector<CLI::Option*> speecht5_only, vits_only;

  audio::SampleFormat sample_format() const {
    return format == "f32" ? audio::SampleFormat::F32 : audio::SampleFormat::Pcm16;
  }
};

// The progress line: seconds of speech made so far, after each piece (sentence or pack of them).
class SpeechProgress {
 public:
  SpeechProgress(const SynthesizeArgs& a, int sample_rate) : line_(parse_progress_mode(a.progress)), rate_(sample_rate) {}
  void piece(size_t samples) {
    made_ += samples;
    line_.update({"tts", static_cast<double>(made_) / rate_, 0, "s", "piece " + std::to_string(++pieces_)});
  }
  void clear() { line_.clear(); }

 private:
  ProgressLine line_;
  int rate_;
  size_t made_ = 0, pieces_ = 0;
};

void refuse(const std::vector<CLI::Option*>& given, const std::string& engine) {
  for (const CLI::Option* o : given)
    if (o->count() > 0) invalid_argument(o->get_name() + " does not apply to this " + engine + " model");
}

// SpeechT5 reads a character its vocabulary lacks as <unk>: say which, and what --fold-accents does.
void warn_unknown_characters(const SpeechT5Tokenizer& tokenizer, const std::string& text, bool fold) {
  if (!utf8::is_valid(text)) return;  // the synthesis says so, in one line
  const std::string read = fold ? tokenizer.fold_unknown(text) : text;
  if (!tokenizer.has_speakable(tokenizer.encode(read))) return;  // nothing to say: the error says it all
  const std::vector<std::string> unknown = tokenizer.unknown_characters(read);
  if (unknown.empty()) return;
  std::string list;
  for (const auto& c : unknown) list += (list.empty() ? "'" : ", '") + c + "'";
  std::fprintf(stderr, "parley: warning: the speech model has no %s; it reads %s as unknown%s\n", list.c_str(),
               unknown.size() == 1 ? "it" : "them",
               fold ? "" : " (--fold-accents reads accented letters as their base letters, as a model fine-tuned "
                           "with the audio course's recipe expects)");
}

int synthesize_speecht5(const SynthesizeArgs& a, const std::string& text, const std::filesystem::path& folder,
                        OutputFile& out) {
  using namespace speecht5;
  refuse(a.vits_only, "SpeechT5");
  if (a.vocoder.empty()) invalid_argument("--vocoder is required for a SpeechT5 model");
  const Tensor speaker = load_voice_option(a.speaker);  // a mistyped voice costs no model loading
  auto tts = SpeechT5Tts::load(folder);
  auto vocoder = HifiGan::load(a.vocoder);
  Synthesizer synth(tts, vocoder);
  warn_unknown_characters(tts->tokenizer(), text, a.fold_accents);

  // The prenet's dropout is random by design; a seed (the fixed default unless given) or recorded
  // masks make the run reproducible.
  std::unique_ptr<PrenetMasks> masks;
  std::string source;
  if (!a.masks_file.empty()) {
    masks = std::make_unique<RecordedMasks>(RecordedMasks::from_file(a.masks_file));
    source = "masks " + a.masks_file;
  } else {
    const uint64_t seed = a.seed.value_or(kDefaultSeed);
    masks = std::make_unique<SeededMasks>(seed);
    source = "seed " + std::to_string(seed);
  }

  SynthesisOptions options;
  options.generate = a.generate;
  options.fold_accents = a.fold_accents;
  AudioOutput sink(out, a.stream, synth.sample_rate(), a.sample_format());
  size_t streamed = 0;
  const std::vector<float> pause(static_cast<size_t>(synth.pause_samples()), 0.f);
  if (sink.streaming()) options.split = SplitMode::Sentences;
  SpeechProgress progress(a, synth.sample_rate());
  const auto on_piece = [&](const SpeechPiece& p) {
    const bool first = streamed++ == 0;
    progress.piece((first ? 0 : pause.size()) + p.audio.size());
    if (!sink.streaming()) return;
    if (!first) sink.piece(pause);  // the pause the joined audio has between pieces
    sink.piece(p.audio);
  };
  const Speech speech = synth.synthesize(text, speaker, options, *masks, on_piece);
  progress.clear();

  if (!a.mel_out.empty()) write_npy(a.mel_out, speech.mel);
  sink.finish(speech.audio);

  int64_t steps = 0;
  std::string stops;
  for (const auto& p : speech.pieces) {
    steps += p.steps;
    stops += std::string(stops.empty() ? "" : ",") + stop_reason_name(p.stop);
  }
  std::fprintf(out.is_stdout() ? stderr : stdout, "wrote %s: %.2f s at %d Hz, %zu piece(s), %lld decoder steps (stop: %s), %s\n",
               a.output.c_str(), static_cast<double>(speech.audio.size()) / speech.sample_rate, speech.sample_rate,
               speech.pieces.size(), static_cast<long long>(steps), stops.c_str(), source.c_str());
  return 0;
}

int synthesize_vits(const SynthesizeArgs& a, const std::string& text, const std::filesystem::path& folder,
                    OutputFile& out) {
  refuse(a.speecht5_only, "VITS");
  auto model = vits::VitsModel::load(folder);
  model->check(a.vits);
  const uint64_t seed = a.seed.value_or(vits::kDefaultSeed);
  std::unique_ptr<vits::NoiseSource> noise;
  std::string source = "seed " + std::to_string(seed);
  if (!a.duration_noise.empty() || !a.prior_noise.empty()) {
    noise = std::make_unique<vits::RecordedNoise>(vits::RecordedNoise::from_files(a.duration_noise, a.prior_noise, seed));
    source = "recorded noise";
  } else {
    noise = std::make_unique<vits::SeededNoise>(seed);
  }
  pipeline::VitsEngine engine(model, a.vits, std::move(noise));
  AudioOutput sink(out, a.stream, engine.sample_rate(), a.sample_format());
  size_t pieces = 0;
  SpeechProgress progress(a, engine.sample_rate());
  const std::vector<float> audio = engine.speak(text, sink.streaming(), [&](const pipeline::TtsPiece& p) {
    ++pieces;
    progress.piece(p.audio.size());
    if (sink.streaming()) sink.piece(p.audio);
  });
  progress.clear();
  sink.finish(audio);
  std::fprintf(out.is_stdout() ? stderr : stdout, "wrote %s: %.2f s at %d Hz, %zu piece(s), VITS, %s\n", a.output.c_str(),
               static_cast<double>(audio.size()) / engine.sample_rate(), engine.sample_rate(), pieces, source.c_str());
  return 0;
}

int synthesize(const SynthesizeArgs& a) {
  ops::set_threads(a.threads);
  set_default_precision(parse_precision(a.precision));
  OutputFile out(a.output);  // writable, before any work
  const std::string text = text_input(a.text);
  const std::filesystem::path folder =
      std::filesystem::is_directory(a.model) ? std::filesystem::path(a.model)
                                             : hub::resolve_model(a.model, hub::hub_options_from_env());
  return pipeline::tts_model_type(folder) == "vits" ? synthesize_vits(a, text, folder, out)
                                                    : synthesize_speecht5(a, text, folder, out);
}

void add_vits_options(CLI::App& cmd, SynthesizeArgs& a) {
  auto optional_double = [&](const std::string& name, std::optional<double>& target, const std::string& help) {
    a.vits_only.push_back(cmd.add_option_function<double>(name, [&target](double v) { target = v; }, help));
  };
  optional_double("--speaking-rate", a.vits.speaking_rate, "VITS: speed (durations are divided by it; default: the config's)");
  optional_double("--noise-scale", a.vits.noise_scale, "VITS: scale of the prior's noise (default: the config's, 0.667 in MMS-TTS)");
  optional_double("--noise-scale-duration", a.vits.noise_scale_duration,
                  "VITS: scale of the duration predictor's noise (default: the config's, 0.8 in MMS-TTS)");
  a.vits_only.push_back(cmd.add_option("--speaker-id", a.vits.speaker, "VITS: speaker of a multi-speaker model (0-based)"));
  a.vits_only.push_back(cmd.add_option("--duration-noise", a.duration_noise,
                                       "VITS: replay the duration predictor's raw noise, .npy [2, input ids]"));
  a.vits_only.push_back(cmd.add_option("--prior-noise", a.prior_noise,
                                       "VITS: replay the prior's raw noise, .npy [flow_size, frames]"));
}

}  // namespace

void register_synthesize(CLI::App& app, Runner& run) {
  auto args = std::make_shared<SynthesizeArgs>();
  auto* cmd = app.add_subcommand(
      "synthesize", "Text to speech as a WAV file: SpeechT5 + HiFi-GAN (English) or VITS (MMS-TTS, 1,100+ languages)");
  cmd->add_option("-m,--model", args->model,
                  "text-to-speech model folder or Hub name: SpeechT5 (speecht5_tts layout) or VITS (e.g. "
                  "facebook/mms-tts-fra), told apart by config.json's model_type")
      ->required();
  auto& s = args->speecht5_only;
  s.push_back(cmd->add_option("--vocoder", args->vocoder, "SpeechT5: HiFi-GAN vocoder folder (speecht5_hifigan layout)"));
  add_precision_option(*cmd, args->precision);
  add_threads_option(*cmd, args->threads, "CPU threads (0: every core)");
  cmd->add_option("--text", args->text,
                  "the text to speak (UTF-8; long text is spoken sentence by sentence), or - to read it from stdin")
      ->required();
  cmd->add_option("-o,--output", args->output, "WAV file to write, or - for raw samples on stdout (implies --stream)")
      ->required();
  s.push_back(cmd->add_option("--speaker", args->speaker,
                              "SpeechT5: voice name (" + [] {
                                std::string names;
                                for (const auto& n : speecht5::voice_names()) names += (names.empty() ? "" : ", ") + n;
                                return names;
                              }() + ") or an .npy file of a speaker x-vector (default " + args->speaker + ")"));
  s.push_back(cmd->add_option("--threshold", args->generate.threshold, "SpeechT5: stop when a stop probability reaches this")
                  ->capture_default_str());
  s.push_back(cmd->add_option("--minlenratio", args->generate.minlenratio,
                              "SpeechT5: no stop before tokens x this / reduction_factor steps")
                  ->capture_default_str());
  s.push_back(cmd->add_option("--maxlenratio", args->generate.maxlenratio,
                              "SpeechT5: stop at tokens x this / reduction_factor steps")
                  ->capture_default_str());
  auto* seed = cmd->add_option_function<uint64_t>(
      "--seed", [args](uint64_t v) { args->seed = v; },
      "seed of the randomness (SpeechT5's prenet dropout, VITS's noise): same seed, same audio (default 0)");
  s.push_back(cmd->add_option("--prenet-masks", args->masks_file,
                              "SpeechT5: replay recorded prenet dropout masks, .npy [steps, prenet_layers, prenet_units]"));
  seed->excludes(s.back());
  s.push_back(cmd->add_option("--mel-out", args->mel_out,
                              "SpeechT5: also write the mel spectrogram (after the postnet), .npy [frames, mels]"));
  s.push_back(cmd->add_flag("--fold-accents", args->fold_accents,
                            "SpeechT5: read letters the model lacks without their accents (é as e), as the audio "
                            "course's recipe maps the data of a SpeechT5 fine-tuned on another language"));
  add_vits_options(*cmd, *args);
  add_progress_options(*cmd, args->progress);
  cmd->add_flag("--stream", args->stream, "speak sentence by sentence, writing each sentence's audio as soon as it is made");
  cmd->add_option("--format", args->format, "sample format (WAV, or the raw samples of -o -)")
      ->check(CLI::IsMember({"pcm16", "f32"}))
      ->capture_default_str();
  cmd->callback([&run, args] { run = [args] { return synthesize(*args); }; });
}

}  // namespace parley::cli
