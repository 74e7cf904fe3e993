// parley synthesize: English text to speech with SpeechT5 + HiFi-GAN, written as a WAV file.
//
// `--text -` reads the text from stdin; `-o -` writes the WAV to stdout and the report to stderr.
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "audio/wav.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "cli/model_options.h"
#include "cli/output_file.h"
#include "core/error.h"
#include "speecht5/synthesizer.h"
#include "speecht5/voices.h"
#include "tensor/ops.h"
#include "tensor/precision.h"
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
};

int synthesize(const SynthesizeArgs& a) {
  using namespace speecht5;
  ops::set_threads(a.threads);
  set_default_precision(parse_precision(a.precision));
  OutputFile out(a.output);  // writable, before any work
  const std::string text = text_input(a.text);
  const Tensor speaker = load_voice_option(a.speaker);
  auto tts = SpeechT5Tts::load(a.model);
  auto vocoder = HifiGan::load(a.vocoder);
  Synthesizer synth(tts, vocoder);

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
  const Speech speech = synth.synthesize(text, speaker, options, *masks);

  if (!a.mel_out.empty()) write_npy(a.mel_out, speech.mel);
  out.write(audio::encode_wav(speech.audio, speech.sample_rate,
                              a.format == "f32" ? audio::SampleFormat::F32 : audio::SampleFormat::Pcm16));
  out.commit();

  int64_t steps = 0;
  std::string stops;
  for (const auto& p : speech.pieces) {
    steps += p.steps;
    stops += std::string(stops.empty() ? "" : ",") + stop_reason_name(p.stop);
  }
  std::fprintf(out.is_stdout() ? stderr : stdout, "wrote %s: %.2f s at %d Hz, %zu piece(s), %lld decoder steps (stop: %s), %s\n", a.output.c_str(),
              static_cast<double>(speech.audio.size()) / speech.sample_rate, speech.sample_rate, speech.pieces.size(),
              static_cast<long long>(steps), stops.c_str(), source.c_str());
  return 0;
}

}  // namespace

void register_synthesize(CLI::App& app, Runner& run) {
  auto args = std::make_shared<SynthesizeArgs>();
  auto* cmd = app.add_subcommand("synthesize", "English text to speech with SpeechT5 + HiFi-GAN, as a WAV file");
  cmd->add_option("-m,--model", args->model, "SpeechT5 text-to-speech model folder (speecht5_tts layout)")->required();
  cmd->add_option("--vocoder", args->vocoder, "HiFi-GAN vocoder folder (speecht5_hifigan layout)")->required();
  add_precision_option(*cmd, args->precision);
  add_threads_option(*cmd, args->threads, "CPU threads (0: every core)");
  cmd->add_option("--text", args->text, "the text to speak (UTF-8; long text is spoken sentence by sentence), or - to read it from stdin")
      ->required();
  cmd->add_option("-o,--output", args->output, "WAV file to write, or - for stdout")->required();
  cmd->add_option("--speaker", args->speaker,
                  "voice name (" + [] {
                    std::string names;
                    for (const auto& n : speecht5::voice_names()) names += (names.empty() ? "" : ", ") + n;
                    return names;
                  }() + ") or an .npy file of a speaker x-vector")
      ->capture_default_str();
  cmd->add_option("--threshold", args->generate.threshold, "stop when a stop probability reaches this")
      ->capture_default_str();
  cmd->add_option("--minlenratio", args->generate.minlenratio, "no stop before tokens x this / reduction_factor steps")
      ->capture_default_str();
  cmd->add_option("--maxlenratio", args->generate.maxlenratio, "stop at tokens x this / reduction_factor steps")
      ->capture_default_str();
  auto* seed = cmd->add_option_function<uint64_t>(
      "--seed", [args](uint64_t s) { args->seed = s; },
      "seed of the prenet dropout: same seed, same audio (default " + std::to_string(speecht5::kDefaultSeed) + ")");
  auto* masks = cmd->add_option("--prenet-masks", args->masks_file,
                                "replay recorded prenet dropout masks, .npy [steps, prenet_layers, prenet_units]");
  seed->excludes(masks);
  cmd->add_option("--mel-out", args->mel_out, "also write the mel spectrogram (after the postnet), .npy [frames, mels]");
  cmd->add_option("--format", args->format, "WAV sample format")
      ->check(CLI::IsMember({"pcm16", "f32"}))
      ->capture_default_str();
  cmd->callback([&run, args] { run = [args] { return synthesize(*args); }; });
}

}  // namespace parley::cli
