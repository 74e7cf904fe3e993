// `parley synthesize` on a VITS checkpoint, end to end through the binary: goldens with
// --format f32 (recorded noise or zero noise scales), streaming, and bad input — one line each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "common/test_util.h"
#include "core/files.h"
#include "vits/golden_cases.h"

namespace parley::vits {
namespace {

namespace fs = std::filesystem;

std::string model_dir() { return test::data_path(std::string("models/") + kVitsModel).string(); }

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::vector<std::string> args_for(const VitsGoldenCase& c, const fs::path& out, const std::string& model = kVitsModel) {
  const std::string prefix = test::data_path("cases/" + model + "/" + c.name).string();
  std::vector<std::string> args = {"synthesize", "--model", test::data_path("models/" + model).string(), "--text", c.text,
                                   "-o", out.string(), "--format", "f32", "--noise-scale", fmt(c.noise_scale),
                                   "--noise-scale-duration", fmt(c.noise_scale_duration), "--speaking-rate",
                                   fmt(c.speaking_rate)};
  if (c.speaker_id != 0) args.insert(args.end(), {"--speaker-id", std::to_string(c.speaker_id)});
  if (c.noise_files)
    for (const std::string& a : {std::string("--duration-noise"), prefix + ".duration_noise.npy",
                                  std::string("--prior-noise"), prefix + ".prior_noise.npy"})
      args.push_back(a);
  return args;
}

void expect_binary_matches(const std::string& model, const VitsGoldenCase& c, const fs::path& dir) {
  SCOPED_TRACE(model + " " + c.name);
  const fs::path out = dir / (model + "." + c.name + ".wav");
  const auto r = test::run_parley(args_for(c, out, model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const audio::WavData wav = audio::read_wav(out);
  EXPECT_EQ(wav.format, audio::SampleFormat::F32);
  EXPECT_EQ(wav.sample_rate, 16000);
  ASSERT_EQ(wav.frames(), c.samples);
  const Tensor want = test::load_npy("cases/" + model + "/" + c.name + ".wave.npy");
  EXPECT_TRUE(test::AllClose(Tensor::from_vector({c.samples}, wav.samples), want.reshaped({want.numel()}), kWaveTol));
}

// Two cases (one of each kind) keep the test fast; golden_test.cpp runs every case in process.
TEST(VitsCli, GoldensThroughTheBinary) {
  const fs::path dir = test::temp_dir("vits-cli");
  for (const VitsGoldenCase& c : read_vits_golden())
    if (c.name == "text1.zero_noise_fast" || c.name == "text0.injected_noise") expect_binary_matches(kVitsModel, c, dir);
}

// One injected-noise case of each variant: the plain predictor, --speaker-id on a .bin checkpoint,
// capitals kept.
TEST(VitsCli, VariantGoldensThroughTheBinary) {
  const fs::path dir = test::temp_dir("vits-cli-variants");
  for (const std::string model : kVitsVariants) {
    const auto cases = read_vits_golden(model);
    const auto chosen = std::find_if(cases.begin(), cases.end(), [](const VitsGoldenCase& c) {
      return c.noise_files && (c.speaker_id != 0 || c.name.find("speaker") == std::string::npos);
    });
    ASSERT_NE(chosen, cases.end()) << model;
    expect_binary_matches(model, *chosen, dir);
  }
}

TEST(VitsCli, SeedRepeatsAndStreamingWritesEverySentence) {
  const fs::path dir = test::temp_dir("vits-seed");
  const std::string text = "Un chat. Deux chiens!";
  auto run = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args = {"synthesize", "--model", model_dir(), "--text", text, "-o", out, "--format", "f32"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_parley(args);
  };
  ASSERT_EQ(run((dir / "a.wav").string(), {"--seed", "7"}).exit_code, 0);
  ASSERT_EQ(run((dir / "b.wav").string(), {"--seed", "7"}).exit_code, 0);
  ASSERT_EQ(run((dir / "c.wav").string(), {"--seed", "8"}).exit_code, 0);
  const auto a = audio::read_wav(dir / "a.wav"), b = audio::read_wav(dir / "b.wav"), c = audio::read_wav(dir / "c.wav");
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_NE(a.samples, c.samples);
  // Streamed to a file and to stdout: the same samples, two sentences' worth.
  const auto streamed = run((dir / "s.wav").string(), {"--seed", "7", "--stream"});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  EXPECT_NE(streamed.out.find("2 piece(s)"), std::string::npos) << streamed.out;
  const auto piped = run("-", {"--seed", "7"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  const auto s = audio::read_wav(dir / "s.wav");
  ASSERT_EQ(piped.out.size(), s.samples.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(piped.out.data(), s.samples.data(), piped.out.size()), 0);
}

// A copy of the fixture with `edit` applied to its folder.
fs::path edited_model(const std::string& tag, const std::function<void(const fs::path&)>& edit) {
  const fs::path dir = test::temp_dir(tag) / "model";
  fs::copy(model_dir(), dir, fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(dir)) fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  edit(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

void edit_config(const fs::path& dir, const std::string& key, const nlohmann::json& value) {
  auto j = nlohmann::json::parse(read_file(dir / "config.json"));
  j[key] = value;
  write(dir / "config.json", j.dump());
}

void expect_error(const fs::path& model, const std::string& text, const std::string& needle,
                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"synthesize", "--model", model.string(), "--text", text, "-o",
                                   (test::temp_dir("vits-bad") / "x.wav").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  test::expect_one_line_error(test::run_parley(args), needle);
}

TEST(VitsCli, BadTextIsOneLine) {
  expect_error(model_dir(), "", "the text is empty");
  expect_error(model_dir(), "   ", "the text is empty");
  expect_error(model_dir(), "12345 ///", "nothing to say in this language's alphabet");
  expect_error(model_dir(), "\xff\xfe", "not valid UTF-8");
}

TEST(VitsCli, OptionsOfTheOtherEngineAreUsageErrors) {
  auto r = test::run_parley({"synthesize", "--model", model_dir(), "--text", "bonjour", "-o", "x.wav", "--threshold", "0.3"});
  test::expect_one_line_error(r, "--threshold does not apply to this VITS model");
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_parley({"synthesize", "--model", test::data_path("models/speecht5-tiny-random").string(), "--vocoder",
                        test::data_path("models/hifigan-tiny-random").string(), "--text", "hi", "-o", "x.wav",
                        "--noise-scale", "0.5"});
  test::expect_one_line_error(r, "--noise-scale does not apply to this SpeechT5 model");
  EXPECT_EQ(r.exit_code, 2);
  expect_error(model_dir(), "bonjour", "speaker 3 is outside", {"--speaker-id", "3"});
  expect_error(model_dir(), "bonjour", "speaking rate", {"--speaking-rate", "0"});
}

TEST(VitsCli, RecordedNoiseOfTheWrongShapeIsOneLine) {
  const std::string noise =
      test::data_path(std::string("cases/") + kVitsModel + "/text1.injected_noise.duration_noise.npy").string();
  expect_error(model_dir(), "Bonjour, je m'appelle Parley.", "this text needs [2, 59]", {"--duration-noise", noise});
}

TEST(VitsCli, BrokenCheckpointsAreOneLine) {
  expect_error(edited_model("vits-huge", [](const fs::path& d) { edit_config(d, "hidden_size", 1000000000); }), "hi",
               "\"hidden_size\" must lie in");
  expect_error(edited_model("vits-rates", [](const fs::path& d) { edit_config(d, "upsample_rates", {4, 2, 2}); }), "hi",
               "upsample_rates and upsample_kernel_sizes differ");
  expect_error(edited_model("vits-shape", [](const fs::path& d) { edit_config(d, "ffn_dim", 25); }), "hi",
               "feed_forward.conv_1");
  expect_error(edited_model("vits-noweights", [](const fs::path& d) { fs::remove(d / "model.safetensors"); }), "hi",
               "model");
  expect_error(edited_model("vits-garbage", [](const fs::path& d) { write(d / "vocab.json", "{\"a\": [1,"); }), "hi",
               "vocab.json: not valid JSON");
  expect_error(edited_model("vits-ids", [](const fs::path& d) { write(d / "vocab.json", "{\"a\": 4500}"); }), "hi",
               "outside the model's vocabulary");
  expect_error(edited_model("vits-strs", [](const fs::path& d) { write(d / "vocab.json", "{\"a\": \"b\"}"); }), "hi",
               "is not an integer");
  expect_error(edited_model("vits-type", [](const fs::path& d) { edit_config(d, "model_type", "bert"); }), "hi",
               "not a text-to-speech model");
}

// An is_uroman checkpoint reads Cyrillic as the same checkpoint without the flag reads uroman's
// Latin for it: the same samples, bit for bit, under one seed. Uncovered scripts are one line.
TEST(VitsCli, UromanCheckpointsReadRomanizedText) {
  const fs::path uroman = edited_model("vits-uroman", [](const fs::path& d) {
    auto j = nlohmann::json::parse(read_file(d / "tokenizer_config.json"));
    j["is_uroman"] = true;
    write(d / "tokenizer_config.json", j.dump());
  });
  const fs::path dir = test::temp_dir("vits-uroman-out");
  auto speak = [&](const fs::path& model, const std::string& text, const fs::path& out) {
    const auto r = test::run_parley({"synthesize", "--model", model.string(), "--text", text, "-o", out.string(),
                                     "--format", "f32", "--seed", "7"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return audio::read_wav(out).samples;
  };
  const auto cyrillic = speak(uroman, "Привет, мир.", dir / "cyr.wav");
  const auto latin = speak(model_dir(), "privet, mir.", dir / "lat.wav");
  ASSERT_FALSE(cyrillic.empty());
  EXPECT_EQ(cyrillic, latin);
  expect_error(uroman, "\xE0\xB4\x87", "romanization does not cover the Malayalam script");
}

}  // namespace
}  // namespace parley::vits
