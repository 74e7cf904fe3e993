// `parley synthesize` end to end: every SpeechT5 golden (the shared fixture and the two extra
// configurations) through the command line with recorded masks, seeds, formats and bad input.
#include <cmath>

#include "audio/wav.h"
#include "common/test_util.h"
#include "core/files.h"
#include "speecht5/golden_cases.h"
#include "weights/npy.h"

namespace parley::speecht5 {
namespace {

namespace fs = std::filesystem;
using test::AllClose;
using test::run_parley;

constexpr double kMelTol = 1e-4;
constexpr double kWaveTol = 2e-3;

std::vector<std::string> base_args(const GoldenFile& g, const std::string& text, const fs::path& out) {
  return {"synthesize", "--model", test::data_path("models/" + g.model).string(), "--vocoder",
          test::data_path("models/" + g.vocoder).string(), "--text", text, "-o", out.string()};
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class SynthesizeCli : public ::testing::TestWithParam<std::string> {};

TEST_P(SynthesizeCli, MatchesTheReferenceWithRecordedMasks) {
  const GoldenFile g = read_golden("cases/" + GetParam() + "/golden.json");
  const fs::path dir = test::temp_dir("synth-cli");
  for (const GoldenCase& c : g.cases) {
    SCOPED_TRACE(c.name);
    const std::string cases = "cases/" + GetParam() + "/" + c.name;
    auto args = base_args(g, c.text, dir / (c.name + ".wav"));
    for (const std::string& a :
         {std::string("--speaker"), c.voice, std::string("--threshold"), fmt(c.options.threshold),
          std::string("--minlenratio"), fmt(c.options.minlenratio), std::string("--maxlenratio"),
          fmt(c.options.maxlenratio), std::string("--prenet-masks"), test::data_path(cases + ".masks.npy").string(),
          std::string("--mel-out"), (dir / (c.name + ".mel.npy")).string(), std::string("--format"), std::string("f32")})
      args.push_back(a);
    const auto r = run_parley(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(std::to_string(c.steps) + " decoder steps (stop: " + c.stopped_by + ")"), std::string::npos)
        << r.out;
    const Tensor mel = read_npy(dir / (c.name + ".mel.npy"));
    const auto mel_diff = AllClose(mel, test::load_npy(cases + ".mel.npy"), kMelTol);
    EXPECT_TRUE(mel_diff) << "mel";
    const audio::WavData wav = audio::read_wav(dir / (c.name + ".wav"));
    EXPECT_EQ(wav.format, audio::SampleFormat::F32);
    EXPECT_EQ(wav.channels, 1);
    EXPECT_EQ(wav.sample_rate, 16000);
    ASSERT_EQ(wav.frames(), c.samples);
    const auto wave_diff =
        AllClose(Tensor::from_vector({c.samples}, wav.samples), test::load_npy(cases + ".wave.npy"), kWaveTol);
    EXPECT_TRUE(wave_diff) << "waveform";
    std::printf("  %s/%s: mel %s; wave %s\n", GetParam().c_str(), c.name.c_str(), mel_diff.message(),
                wave_diff.message());
  }
}

INSTANTIATE_TEST_SUITE_P(Goldens, SynthesizeCli,
                         ::testing::Values("speecht5-tiny-random", "speecht5-small-a", "speecht5-small-b"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(SynthesizeCliPcm, DefaultIs16BitPcmOfTheSameAudio) {
  const GoldenFile g = read_golden("cases/speecht5-tiny-random/golden.json");
  const GoldenCase& c = g.cases[1];
  const fs::path dir = test::temp_dir("synth-pcm");
  auto args = base_args(g, c.text, dir / "out.wav");
  for (const std::string& a : {std::string("--speaker"), c.voice, std::string("--threshold"), fmt(c.options.threshold),
                               std::string("--minlenratio"), fmt(c.options.minlenratio), std::string("--prenet-masks"),
                               test::data_path("cases/speecht5-tiny-random/text1.masks.npy").string()})
    args.push_back(a);
  const auto r = run_parley(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const audio::WavData wav = audio::read_wav(dir / "out.wav");
  EXPECT_EQ(wav.format, audio::SampleFormat::Pcm16);
  ASSERT_EQ(wav.frames(), c.samples);
  // 16-bit quantisation adds at most one step (1/32767, read back as /32768) to the tolerance.
  EXPECT_TRUE(AllClose(Tensor::from_vector({c.samples}, wav.samples),
                       test::load_npy("cases/speecht5-tiny-random/text1.wave.npy"), kWaveTol + 2.0 / 32768));
}

TEST(SynthesizeCliBin, ReadsPytorchModelBinFolders) {
  const GoldenFile g = read_golden("cases/speecht5-tiny-random/golden.json");
  const GoldenCase& c = g.cases[2];
  const fs::path dir = test::temp_dir("synth-bin");
  const fs::path model = model_copy("models/" + g.model, "pytorch_model.bin");
  const fs::path vocoder = model_copy("models/" + g.vocoder, "pytorch_model.bin");
  ASSERT_FALSE(fs::exists(model / "model.safetensors"));
  const auto r = run_parley({"synthesize", "--model", model.string(), "--vocoder", vocoder.string(), "--text", c.text,
                             "--speaker", c.voice, "--maxlenratio", fmt(c.options.maxlenratio), "--prenet-masks",
                             test::data_path("cases/speecht5-tiny-random/text2.masks.npy").string(), "--mel-out",
                             (dir / "mel.npy").string(), "--format", "f32", "-o", (dir / "out.wav").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(AllClose(read_npy(dir / "mel.npy"), test::load_npy("cases/speecht5-tiny-random/text2.mel.npy"), kMelTol));
  const audio::WavData wav = audio::read_wav(dir / "out.wav");
  EXPECT_TRUE(AllClose(Tensor::from_vector({wav.frames()}, wav.samples),
                       test::load_npy("cases/speecht5-tiny-random/text2.wave.npy"), kWaveTol));
}

// Letters the model lacks: a warning names them; with --fold-accents "Café in München" is spoken
// exactly as "Cafe in Munchen" is (same seed, same samples), and only what is left is named.
TEST(SynthesizeCliFold, UnknownLettersAreNamedAndFoldedOnRequest) {
  const GoldenFile g = read_golden("cases/speecht5-small-a/golden.json");
  const fs::path dir = test::temp_dir("synth-fold");
  auto run = [&](const std::string& text, const std::string& name, bool fold) {
    auto args = base_args(g, text, dir / name);
    for (const char* a : {"--maxlenratio", "3", "--format", "f32"}) args.push_back(a);
    if (fold) args.push_back("--fold-accents");
    return run_parley(args);
  };
  auto r = run("Caf\u00e9 in M\u00fcnchen.", "accents.wav", false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("parley: warning: the speech model has no '\u00e9', '\u00fc'; it reads them as unknown (--fold-accents"),
            std::string::npos) << r.err;
  r = run("Caf\u00e9 in M\u00fcnchen \u00df.", "folded.wav", true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("has no '\u00df'; it reads it as unknown\n"), std::string::npos) << r.err;
  r = run("Cafe in Munchen \u00df.", "plain.wav", false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(audio::read_wav(dir / "folded.wav").samples, audio::read_wav(dir / "plain.wav").samples);
  EXPECT_NE(audio::read_wav(dir / "accents.wav").samples.size(), 0u);
}

TEST(SynthesizeCliSeed, SameSeedSameBytesDifferentSeedDifferentAudio) {
  const GoldenFile g = read_golden("cases/speecht5-tiny-random/golden.json");
  const fs::path dir = test::temp_dir("synth-seed");
  auto run = [&](const std::string& seed, const std::string& name) {
    auto args = base_args(g, "Seeds make it repeatable. Twice!", dir / name);
    for (const char* a : {"--seed", seed.c_str(), "--maxlenratio", "4"}) args.push_back(a);
    const auto r = run_parley(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("seed " + seed), std::string::npos) << r.out;
    return read_file(dir / name);
  };
  const std::string a = run("42", "a.wav"), b = run("42", "b.wav"), c = run("43", "c.wav");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // No --seed: the fixed default (0), so plain runs repeat too.
  auto args = base_args(g, "Seeds make it repeatable. Twice!", dir / "default.wav");
  for (const char* x : {"--maxlenratio", "4"}) args.push_back(x);
  ASSERT_EQ(run_parley(args).exit_code, 0);
  EXPECT_EQ(read_file(dir / "default.wav"), run("0", "zero.wav"));
}

// ----------------------------------------------------------------------------- bad input

struct BadCase {
  std::string name;
  std::vector<std::string> extra;  // appended to the arguments
  std::string text = "Hello there.";
  std::string mention;             // part of the error message
  int exit_code = 1;
  std::string vocoder;             // another vocoder folder, when set
};

BadCase bad(std::string name, std::vector<std::string> extra, std::string text, std::string mention, int exit_code = 1,
            std::string vocoder = "") {
  return {std::move(name), std::move(extra), std::move(text), std::move(mention), exit_code, std::move(vocoder)};
}

class SynthesizeCliBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(SynthesizeCliBad, FailsWithOneLineAndNoOutput) {
  const BadCase& bc = GetParam();
  const GoldenFile g = read_golden("cases/speecht5-tiny-random/golden.json");
  const fs::path dir = test::temp_dir("synth-bad");
  // Inputs the cases refer to by name.
  write_file_atomic(dir / "malformed.npy", "\x93NUMPY\x01\x00this is not an npy header");
  write_npy(dir / "short.npy", Tensor({256}));
  write_npy(dir / "masks_shape.npy", Tensor({50, 3, 32}));
  Tensor few({2, 2, 32});
  for (int64_t i = 0; i < few.numel(); ++i) few[i] = 1;
  write_npy(dir / "masks_few.npy", few);

  auto args = base_args(g, bc.text, dir / "out.wav");
  if (!bc.vocoder.empty()) args[4] = test::data_path("models/" + bc.vocoder).string();
  for (std::string a : bc.extra) {
    if (a.rfind("DIR/", 0) == 0) a = (dir / a.substr(4)).string();
    args.push_back(a);
  }
  const auto r = run_parley(args);
  EXPECT_EQ(r.exit_code, bc.exit_code) << r.err;
  EXPECT_NE(r.err.find(bc.mention), std::string::npos) << r.err;
  if (bc.exit_code == 1) {
    EXPECT_EQ(r.err.rfind("parley: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out.wav"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SynthesizeCliBad,
    ::testing::Values(
        bad("empty_text", {}, "", "empty"), bad("blank_text", {}, "  \t ", "empty"),
        bad("no_known_character", {}, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "no character"),
        bad("invalid_utf8", {}, "caf\xe9", "UTF-8"),
        bad("missing_speaker_file", {"--speaker", "DIR/nobody.npy"}, "Hello.", "nobody.npy"),
        bad("unknown_voice", {"--speaker", "nobody"}, "Hello.", "unknown voice", 2),  // a usage error
        bad("malformed_speaker_file", {"--speaker", "DIR/malformed.npy"}, "Hello.", "malformed.npy"),
        bad("xvector_of_wrong_length", {"--speaker", "DIR/short.npy"}, "Hello.", "256"),
        bad("masks_of_wrong_shape", {"--prenet-masks", "DIR/masks_shape.npy"}, "Hello.", "[50, 3, 32]"),
        bad("masks_with_too_few_steps", {"--prenet-masks", "DIR/masks_few.npy"}, "Hello.", "2 steps"),
        bad("missing_masks_file", {"--prenet-masks", "DIR/none.npy"}, "Hello.", "none.npy"),
        bad("vocoder_mel_size_mismatch", {}, "Hello.", "mel bins", 1, "hifigan-small-a"),
        bad("missing_model_folder", {}, "Hello.", "not found", 1, "no-such-vocoder"),
        bad("negative_maxlenratio", {"--maxlenratio", "-1"}, "Hello.", "maxlenratio", 2),
        bad("seed_and_masks", {"--seed", "1", "--prenet-masks", "DIR/masks_few.npy"}, "Hello.", "excludes", 2),
        bad("unknown_format", {"--format", "mp3"}, "Hello.", "mp3", 2)),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::speecht5
