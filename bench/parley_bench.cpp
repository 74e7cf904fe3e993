// parley_bench: times each stage of Parley on checkpoints of the published shapes (see
// scripts/bench.sh, which makes them with tools/make_bench_models.py and also times the reference).
//
//   parley_bench --models DIR [--precision f32|bf16|int8] [--threads N] [--repeats R] [--json FILE]
//                [--error-report TESTDATA] [--only whisper|tts|vocoder|ttfa|mt|vits]   (--help for more)
//
// The workloads are fixed so that Parley and the reference (tools/bench_reference.py) do the same
// work whatever the random weights predict: the decoder always runs kDecodeTokens tokens, speech
// synthesis never stops early (threshold above 1) and runs a set number of steps.
//
// Each figure is the median of the repeats (after one warm-up run). Peak memory is the process's
// maximum resident set, so run one precision per process.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <iostream>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_common.h"
#include "cli/model_options.h"
#include "core/error.h"
#include "pipeline/pipeline.h"
#include "speecht5/hifigan.h"
#include "speecht5/prenet_masks.h"
#include "speecht5/tts_model.h"
#include "tensor/ops.h"
#include "tensor/precision.h"
#include "weights/npy.h"
#include "whisper/whisper.h"

namespace fs = std::filesystem;
using namespace parley;
using namespace parley::bench;

namespace {

constexpr int kSampleRate = 16000;
constexpr int kDecodeTokens = 64;      // decoder steps timed one by one
constexpr int kClipTokens = 32;        // tokens the 10 s clip's translation decodes
constexpr int kTtsSteps = 100;         // TTS steps timed
constexpr double kClipSeconds = 10.0;  // the end-to-end clip
const char* kText = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods.";


std::vector<float> noise(size_t n, uint32_t seed) {
  std::vector<float> x(n);
  for (auto& v : x) {
    seed = seed * 1664525u + 1013904223u;
    v = (static_cast<float>(seed >> 8) / 16777216.f - 0.5f) * 0.2f;
  }
  return x;
}

Tensor random_tensor(Shape shape, uint32_t seed, float amplitude) {
  Tensor t(std::move(shape));
  const std::vector<float> v = noise(static_cast<size_t>(t.numel()), seed);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = v[i] * amplitude * 5.f;
  return t;
}

int argmax(const float* x, int n) { return static_cast<int>(std::max_element(x, x + n) - x); }

std::vector<int> prompt(const whisper::WhisperConfig& c) {
  std::vector<int> p = {c.decoder_start_token_id, c.language_id("en"), c.task_id("translate")};
  if (c.has_timestamps()) p.push_back(c.no_timestamps_token_id);
  return p;
}

// Greedy decoding of `tokens` tokens after the prompt; returns the time of each single-token step.
std::vector<double> decode_tokens(whisper::DecoderSession& s, const whisper::WhisperConfig& c, int tokens) {
  s.reset(1);
  const std::vector<int> p = prompt(c);
  const Tensor* logits = &s.decode(p, static_cast<int>(p.size()));
  std::vector<double> times;
  for (int i = 0; i < tokens; ++i) {
    // Any id but the special ones, so that the sequence looks like text whatever the weights say.
    int tok = argmax(logits->data(), c.eos_token_id);
    const double t0 = now();
    logits = &s.decode(std::span<const int>(&tok, 1), 1);
    times.push_back(now() - t0);
  }
  return times;
}

// Synthesis that never stops early and runs `steps` steps for `ids`.
speecht5::GenerateOptions fixed_steps(size_t ids, int steps, int reduction) {
  speecht5::GenerateOptions o;
  o.threshold = 2.0;  // a stop probability never reaches it
  o.maxlenratio = (static_cast<double>(steps) + 0.5) * reduction / static_cast<double>(ids);
  return o;
}

void time_whisper(const Args& a, const whisper::Whisper& w, const std::vector<float>& clip, Tensor& features,
                  Tensor& states, whisper::EncoderBuffers& eb, whisper::DecoderSession& session, nlohmann::json& r) {
  r["features_s"] = timed(a.repeats, [&] { features = w.mel().whisper_features(clip); });
  r["encoder_s"] = timed(a.repeats, [&] { w.model()->encode(features, states, eb); });
  session.set_encoder_states(states);
  decode_tokens(session, w.config(), 8);  // warm-up
  r["decoder_token_s"] = median(decode_tokens(session, w.config(), kDecodeTokens));
}

struct FirstAudio {};  // stops the translation once its first audio is out

// Time to first audio of a 60 s clip (the 10 s clip joined six times) through the streaming
// pipeline, as `parley translate --stream` and the SSE route run it: long-form recognition with
// openai's temperature fallback, each window's English text spoken sentence by sentence as soon as
// the window is decoded. From the call to the first audio chunk; one run (the rest is not waited for).
// null when the text had nothing to speak.
nlohmann::json time_to_first_audio(const Args& a, const std::vector<float>& clip10) {
  pipeline::PipelineOptions o;
  o.asr_model = (a.models / "whisper-base").string();
  o.tts_model = (a.models / "speecht5_tts").string();
  o.vocoder = (a.models / "speecht5_hifigan").string();
  const auto p = pipeline::Pipeline::load(o);
  std::vector<float> clip;
  for (int i = 0; i < 6; ++i) clip.insert(clip.end(), clip10.begin(), clip10.end());
  TranslateRequest request;
  request.sentence_by_sentence = true;
  nlohmann::json ttfa = nullptr;
  const double t0 = now();
  request.on_chunk = [&](const AudioChunk&) {
    ttfa = now() - t0;
    throw FirstAudio{};
  };
  try {
    p->translate(clip, request);
  } catch (const FirstAudio&) {
  }
  return ttfa;
}

nlohmann::json run_stages(const Args& a) {
  nlohmann::json r;
  const double t0 = now();
  const whisper::Whisper w = whisper::Whisper::load(a.models / "whisper-base");
  const double t1 = now();
  const auto tts = speecht5::SpeechT5Tts::load(a.models / "speecht5_tts");
  const double t2 = now();
  const auto vocoder = speecht5::HifiGan::load(a.models / "speecht5_hifigan");
  const double t3 = now();
  r["load_whisper_s"] = t1 - t0;
  r["load_tts_s"] = t2 - t1;
  r["load_vocoder_s"] = t3 - t2;
  r["load_s"] = t3 - t0;

  const std::vector<float> clip = noise(static_cast<size_t>(kClipSeconds * kSampleRate), 1);
  const whisper::WhisperConfig& c = w.config();
  whisper::DecoderSession session(w.model(), 1, 0);
  Tensor features, states;
  whisper::EncoderBuffers eb;
  if (a.want("whisper")) time_whisper(a, w, clip, features, states, eb, session, r);


  const std::vector<int> ids = tts->tokenizer().encode(kText);
  const Tensor speaker = random_tensor({tts->config().speaker_embedding_dim}, 7, 1.f);
  const int reduction = static_cast<int>(tts->config().reduction_factor);
  speecht5::TtsSession tts_session(tts);
  if (a.want("tts")) {
    speecht5::SeededMasks masks(0);
    const auto o = fixed_steps(ids.size(), kTtsSteps, reduction);
    double steps = 0;
    const double s = timed(a.repeats, [&] { steps = static_cast<double>(tts_session.generate(ids, speaker, o, masks).steps); });
    r["tts_step_s"] = s / steps;
    r["tts_steps"] = steps;
  }

  const int64_t frames = static_cast<int64_t>(kClipSeconds * kSampleRate / 256);  // HiFi-GAN's hop
  const Tensor mel = random_tensor({frames, vocoder->mel_bins()}, 3, 1.f);
  if (a.want("vocoder")) r["vocoder_rtf"] = timed(a.repeats, [&] { vocoder->vocode(mel); }) / kClipSeconds;

  // The 10 s clip end to end: features, encoder, translation, speech for 10 s of audio, vocoder.
  const int clip_steps = static_cast<int>(kClipSeconds * kSampleRate / 256 / reduction);
  if (a.only.empty()) r["e2e_10s_s"] = timed(std::max(1, a.repeats - 1), [&] {
    const Tensor f = w.mel().whisper_features(clip);
    w.model()->encode(f, states, eb);
    session.set_encoder_states(states);
    decode_tokens(session, c, kClipTokens);
    speecht5::SeededMasks masks(0);
    const speecht5::TtsResult t = tts_session.generate(ids, speaker, fixed_steps(ids.size(), clip_steps, reduction), masks);
    vocoder->vocode(t.mel);
  });
  r["peak_rss_bytes"] = peak_rss_bytes();  // before the pipeline below loads its own copy of the models
  r["f32_weight_bytes"] = folder_weight_bytes(a.models / "whisper-base") + folder_weight_bytes(a.models / "speecht5_tts") +
                          folder_weight_bytes(a.models / "speecht5_hifigan");
  if (a.only.empty() || a.only == "ttfa") r["ttfa_60s_s"] = time_to_first_audio(a, clip);
  return r;
}

// Teacher-forced logits of a golden case's token sequences, every position, fed one token at a time
// as decoding runs (the one-row kernels and the fused attention of a real decoder step).
std::vector<Tensor> fixture_logits(const fs::path& data, Precision p, std::vector<std::vector<int>>& sequences) {
  set_default_precision(p);
  const fs::path model = data / "models" / "whisper-tiny-random";
  const fs::path cases = data / "cases" / "whisper-tiny-random";
  const whisper::Whisper w = whisper::Whisper::load(model);
  std::ifstream in(cases / "golden.json");
  const nlohmann::json golden = nlohmann::json::parse(in);
  std::vector<Tensor> out;
  sequences.clear();
  for (const auto& cs : golden.at("cases")) {
    const std::string name = fs::path(cs.at("audio").get<std::string>()).stem().string();
    if (!fs::exists(cases / (name + ".features.npy"))) continue;
    const Tensor features = read_npy(cases / (name + ".features.npy"));
    const Tensor states = w.model()->encode(features);
    whisper::DecoderSession s(w.model(), 1, 0);
    s.set_encoder_states(states);
    for (const auto& run : cs.at("runs")) {
      const std::vector<int> seq = run.at("sequence").get<std::vector<int>>();
      s.reset(1);
      Tensor logits({static_cast<int64_t>(seq.size()), w.config().vocab_size});
      for (size_t i = 0; i < seq.size(); ++i) {
        const Tensor& step = s.decode(std::span<const int>(&seq[i], 1), 1);
        std::copy(step.data(), step.data() + step.numel(), logits.row(static_cast<int64_t>(i)));
      }
      out.push_back(logits);
      sequences.push_back(seq);
    }
  }
  return out;
}

// Max and mean |logit difference| against f32 and how often the argmax agrees, over every position
// of every golden sequence of the whisper-tiny-random fixture.
nlohmann::json error_report(const fs::path& data) {
  std::vector<std::vector<int>> seqs;
  const std::vector<Tensor> ref = fixture_logits(data, Precision::F32, seqs);
  nlohmann::json report;
  for (Precision p : {Precision::BF16, Precision::Int8}) {
    const std::vector<Tensor> got = fixture_logits(data, p, seqs);
    double max_diff = 0, sum = 0;
    int64_t count = 0, positions = 0, agree = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      const int64_t rows = ref[i].dim(0), vocab = ref[i].dim(1);
      for (int64_t r = 0; r < rows; ++r) {
        const float* a = ref[i].row(r);
        const float* b = got[i].row(r);
        for (int64_t v = 0; v < vocab; ++v) {
          const double d = std::fabs(static_cast<double>(a[v]) - b[v]);
          max_diff = std::max(max_diff, d);
          sum += d;
        }
        count += vocab;
        ++positions;
        agree += argmax(a, static_cast<int>(vocab)) == argmax(b, static_cast<int>(vocab));
      }
    }
    report[precision_name(p)] = {{"max_logit_diff", max_diff},
                                 {"mean_logit_diff", sum / static_cast<double>(std::max<int64_t>(count, 1))},
                                 {"token_agreement", static_cast<double>(agree) / static_cast<double>(std::max<int64_t>(positions, 1))},
                                 {"positions", positions}};
  }
  set_default_precision(Precision::F32);
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times each stage of Parley on checkpoints of the published shapes (see scripts/bench.sh)."};
  app.name("parley_bench");
  Args a;
  std::string precision = "f32";
  app.add_option("--models", a.models, "Folder holding whisper-base/, speecht5_tts/ and speecht5_hifigan/")
      ->check(CLI::ExistingDirectory);
  parley::cli::add_precision_option(app, precision);
  parley::cli::add_threads_option(app, a.threads, "Cores to use (0 = every core)");
  app.add_option("--repeats", a.repeats, "Timed runs per figure after one warm-up; each figure is their median")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--json", a.json_out, "Also write the figures to this file");
  app.add_option("--error-report", a.error_data,
                 "Report bf16 and int8 logit error against f32 on the golden fixtures in this folder (tests/data)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--only", a.only,
                 "Time one part alone; mt (nllb-600m/, opus-mt/) and vits (mms-tts/) run only when asked for")
      ->check(CLI::IsMember({"whisper", "tts", "vocoder", "ttfa", "mt", "vits"}));
  try {
    app.parse(argc, argv);
    if (a.models.empty() && a.error_data.empty()) throw CLI::RequiredError("--models DIR and/or --error-report TESTDATA");
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // --help exits 0; a usage error exits 2, as parley's own commands do
    return code == 0 ? 0 : 2;
  }
  try {
    a.precision = parse_precision(precision);
    ops::set_threads(a.threads);
    nlohmann::json out = {{"precision", precision_name(a.precision)}, {"threads", ops::threads()}};
    if (!a.error_data.empty()) out["error_report"] = error_report(a.error_data);
    if (!a.models.empty()) {
      set_default_precision(a.precision);
      out["parley"] = a.only == "mt" ? run_mt(a) : a.only == "vits" ? run_vits(a) : run_stages(a);
    }
    const std::string text = out.dump(2);
    if (!a.json_out.empty()) {
      std::ofstream file(a.json_out);
      file << text << "\n";
      if (!file.flush()) fail(ErrorKind::Internal, "cannot write " + a.json_out.string());
    }
    std::cout << text << std::endl;
    return 0;
  } catch (const Error& e) {
    std::cerr << "parley_bench: error: " << e.what() << std::endl;
    return e.kind() == ErrorKind::InvalidArgument ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "parley_bench: error: " << e.what() << std::endl;
    return 1;
  }
}
