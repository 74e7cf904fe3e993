// mel.h against the reference's numbers: the fixtures' WhisperFeatureExtractor goldens, more goldens
// made by tools/make_mel_goldens.py (128 mels, other FFT sizes, openai/whisper's long-form variant),
// and openai/whisper's mel_filters.npz (librosa's filters).
#include "audio/mel.h"

#include <thread>

#include "audio/decode.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "hf/model_dir.h"

namespace parley::audio {
namespace {

using test::data_path;
using test::load_npy;

constexpr double kFeatureTolerance = 1e-4;  // tests/data/FIXTURES.md: features <= 1e-4 absolute

MelConfig fixture_config() {
  ModelDir dir(data_path("models/whisper-tiny-random"));
  return MelConfig::from_json(dir.json("preprocessor_config.json"), "preprocessor_config.json");
}

void report(const char* what, const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape()) return;
  const test::Diff d = test::compare(got.data(), want.data(), got.numel());
  std::printf("%-28s %s max |diff| %.3g mean %.3g\n", what, got.shape_string().c_str(), d.max_abs, d.mean_abs);
}

TEST(Mel, FixtureConfigIsTheDefault) {
  const MelConfig c = fixture_config();
  EXPECT_EQ(c.n_mels, 80);
  EXPECT_EQ(c.n_fft, 400);
  EXPECT_EQ(c.hop_length, 160);
  EXPECT_EQ(c.n_samples, 480000);
  EXPECT_EQ(c.nb_max_frames, 3000);
}

// openai/whisper ships librosa's filters; transformers computes them; both must equal ours.
TEST(Mel, FiltersEqualLibrosas) {
  for (int n_mels : {80, 128}) {
    const Tensor want = load_npy("cases/mel/openai_filters/mel_" + std::to_string(n_mels) + ".npy");
    const std::vector<float> got = mel_filter_bank(kSampleRate, 400, n_mels);
    const Tensor g = Tensor::from_vector({n_mels, 201}, got);
    report(n_mels == 80 ? "filters 80 vs librosa" : "filters 128 vs librosa", g, want);
    EXPECT_TRUE(test::AllClose(g, want, 1e-9));
  }
}

// The fixtures' features were computed from these WAVs (16 kHz float), read by decode_file.
TEST(Mel, MatchesWhisperFeatureExtractorGoldens) {
  const LogMel mel(fixture_config());
  for (const char* name : {"jfk", "it_seed", "es", "silence_2s"}) {
    SCOPED_TRACE(name);
    const std::vector<float> audio = decode_file(data_path(std::string("audio/") + name + ".wav"));
    const Tensor got = mel.whisper_features(audio);
    const Tensor want = load_npy(std::string("cases/whisper-tiny-random/") + name + ".features.npy");
    report(name, got, want);
    EXPECT_TRUE(test::AllClose(got, want, kFeatureTolerance));
  }
}

// Issue 2: jfk.flac through Parley's own decoding path within a mean 1e-3 of the golden.
TEST(Mel, JfkFlacThroughOwnDecodingMatchesTheGolden) {
  const LogMel mel(fixture_config());
  const Tensor got = mel.whisper_features(decode_file(data_path("audio/jfk.flac")));
  const Tensor want = load_npy("cases/whisper-tiny-random/jfk.features.npy");
  ASSERT_EQ(got.shape(), want.shape());
  const test::Diff d = test::compare(got.data(), want.data(), got.numel());
  report("jfk.flac (own decode)", got, want);
  EXPECT_LE(d.mean_abs, 1e-3);
  EXPECT_LE(d.max_abs, kFeatureTolerance);  // the decode is the command line's, sample for sample
}

// tools/make_mel_goldens.py: other configurations and openai/whisper's variant.
TEST(Mel, MatchesExtraReferenceGoldens) {
  const nlohmann::json manifest = nlohmann::json::parse(read_file(data_path("cases/mel/cases.json")));
  ASSERT_GE(manifest["cases"].size(), 5u);
  for (const auto& c : manifest["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    std::vector<float> audio = decode_file(data_path(c["audio"].get<std::string>()));
    Tensor got;
    if (c["variant"] == "hf") {
      got = LogMel(MelConfig::from_json(c["config"], name)).whisper_features(audio);
    } else {
      MelConfig cfg;
      cfg.n_mels = c["n_mels"];
      audio.resize(audio.size() + c["padding"].get<size_t>(), 0.0f);
      got = LogMel(cfg).log_mel(audio);
    }
    const Tensor want = load_npy("cases/mel/" + name + ".npy");
    report(name.c_str(), got, want);
    EXPECT_TRUE(test::AllClose(got, want, kFeatureTolerance));
  }
}

TEST(Mel, ShapesFollowTheConfig) {
  const LogMel mel(fixture_config());
  // Longer than 30 s: cut to the window; empty: all padding.
  std::vector<float> long_audio(700000, 0.1f);
  EXPECT_EQ(mel.whisper_features(long_audio).shape(), (Shape{80, 3000}));
  const Tensor empty = mel.whisper_features({});
  ASSERT_EQ(empty.shape(), (Shape{80, 3000}));
  for (int64_t i = 0; i < empty.numel(); ++i) ASSERT_EQ(empty[i], empty[0]);
  // log_mel: one frame per hop of whatever it is given.
  EXPECT_EQ(mel.log_mel(long_audio).shape(), (Shape{80, 700000 / 160}));
  EXPECT_EQ(mel.log_mel(std::vector<float>(100, 0.5f)).shape(), (Shape{80, 0}));
  EXPECT_EQ(mel.log_mel(std::vector<float>(161, 0.5f)).shape(), (Shape{80, 1}));
}

TEST(Mel, IsThreadSafeAndCopyable) {
  const LogMel mel(fixture_config());
  const std::vector<float> audio = decode_file(data_path("audio/es.wav"));
  const Tensor want = mel.whisper_features(audio);
  Tensor a, b;
  const LogMel copy = mel;
  std::thread t1([&] { a = mel.whisper_features(audio); });
  std::thread t2([&] { b = copy.whisper_features(audio); });
  t1.join();
  t2.join();
  EXPECT_TRUE(test::AllClose(a, want, 0));
  EXPECT_TRUE(test::AllClose(b, want, 0));
}

TEST(Mel, NonFiniteSamplesAreBadInput) {
  const LogMel mel(fixture_config());
  std::vector<float> x(1000, 0.0f);
  x[10] = NAN;
  EXPECT_THROW(mel.whisper_features(x), Error);
  EXPECT_THROW(mel.log_mel(x), Error);
}

TEST(Mel, BadConfigsAreBadModel) {
  auto kind_of = [](const nlohmann::json& j) {
    try {
      MelConfig::from_json(j, "preprocessor_config.json");
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return static_cast<int>(e.kind());
    }
    return -1;
  };
  const int bad_model = static_cast<int>(ErrorKind::BadModel);
  EXPECT_EQ(kind_of({{"feature_size", 0}}), bad_model);
  EXPECT_EQ(kind_of({{"feature_size", "eighty"}}), bad_model);
  EXPECT_EQ(kind_of({{"sampling_rate", 8000}}), bad_model);
  EXPECT_EQ(kind_of({{"n_fft", 401}}), bad_model);
  EXPECT_EQ(kind_of({{"hop_length", 0}}), bad_model);
  EXPECT_EQ(kind_of({{"chunk_length", -1}}), bad_model);
  EXPECT_EQ(kind_of(nlohmann::json::object()), -1);  // every field has the reference's default
  const MelConfig c = MelConfig::from_json({{"feature_size", 128}, {"chunk_length", 10}}, "x");
  EXPECT_EQ(c.n_mels, 128);
  EXPECT_EQ(c.n_samples, 160000);
  EXPECT_EQ(c.nb_max_frames, 1000);
}

}  // namespace
}  // namespace parley::audio
