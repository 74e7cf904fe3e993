// Seeded synthesis, long text, limits and bad input through the library API.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "speecht5/golden_cases.h"
#include "speecht5/hifigan.h"
#include "speecht5/synthesizer.h"
#include "speecht5/tts_model.h"
#include "speecht5/voices.h"
#include "weights/npy.h"

namespace parley::speecht5 {
namespace {

std::shared_ptr<const SpeechT5Tts> tts(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const SpeechT5Tts>> cache;
  auto& m = cache[name];
  if (!m) m = SpeechT5Tts::load(test::data_path("models/" + name));
  return m;
}

std::shared_ptr<const HifiGan> vocoder(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const HifiGan>> cache;
  auto& m = cache[name];
  if (!m) m = HifiGan::load(test::data_path("models/" + name));
  return m;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

// Runs `f` and returns the Error it throws (fails the test when it throws nothing).
template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::Internal, "none");
}

::testing::AssertionResult Mentions(const Error& e, const std::string& part) {
  if (std::string(e.what()).find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << e.what() << "' does not mention '" << part << "'";
}

// ----------------------------------------------------------------------------- tiled vocoder

// mel [frames, bins] = sin(step * i) * 2 - 1 over its values in order: every bin and frame differs.
Tensor wavy_mel(int64_t frames, int64_t bins, double step) {
  Tensor mel({frames, bins});
  for (int64_t i = 0; i < mel.numel(); ++i)
    mel[i] = static_cast<float>(std::sin(step * static_cast<double>(i)) * 2.0 - 1.0);
  return mel;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// Long spectrograms are vocoded a tile at a time with context on both sides; the samples must be
// those of one pass over the whole spectrogram, at every tile edge and at both ends, for the
// speecht5_hifigan layout and for a model with other rates, kernels and dilations.
TEST(Vocoder, TilesWithContextGiveTheSamplesOfOnePass) {
  for (const char* name : {"hifigan-tiny-random", "hifigan-small-a"}) {
    const auto v = vocoder(name);
    const int64_t frames = 301;
    const Tensor mel = wavy_mel(frames, v->mel_bins(), 0.37);
    const std::vector<float> whole = v->vocode(mel, 0);
    ASSERT_EQ(static_cast<int64_t>(whole.size()), frames * v->shape().hop_length()) << name;
    EXPECT_GT(v->context_frames(), 2) << name;
    for (int64_t tile : {int64_t{40}, int64_t{97}}) {
      const std::vector<float> tiled = v->vocode(mel, tile);
      ASSERT_EQ(tiled.size(), whole.size()) << name;
      const float worst = max_difference(tiled, whole);
      // Only rounding may differ (oneDNN blocks a shorter convolution differently): measured up to
      // 6e-5 on samples in [-1, 1]. A third of the context gives errors of 0.04 to 2.
      EXPECT_LT(worst, 1e-4f) << name << ", tiles of " << tile;
    }
  }
}

// Within a pass, long stages (upsampler, residual blocks, the output convolution after the last)
// run on chunks of rows with context on both sides, on both threads: the samples must be those of
// whole stages. Chunks of 2048 values here split every stage after the first into several chunks.
TEST(Vocoder, ChunkedStagesGiveTheSamplesOfWholeStages) {
  for (const char* name : {"hifigan-tiny-random", "hifigan-small-a"}) {
    const auto v = vocoder(name);
    const Tensor mel = wavy_mel(301, v->mel_bins(), 0.29);
    const std::vector<float> whole = v->vocode(mel, 0, int64_t{1} << 40);
    const std::vector<float> chunked = v->vocode(mel, 0, 2048);
    ASSERT_EQ(chunked.size(), whole.size()) << name;
    const float worst = max_difference(chunked, whole);
    EXPECT_LT(worst, 1e-4f) << name;  // rounding only, as the tiles
    std::printf("[measured] %s: chunked stages differ from whole ones by at most %.3g\n", name, worst);
  }
}

// ----------------------------------------------------------------------------- seeded masks

TEST(PrenetMasks, GeneratorIsXoshiro256StarStarSeededBySplitmix64) {
  // Values of the generator as prenet_masks.h documents it, computed by an independent Python
  // transcription of splitmix64 + xoshiro256**.
  Xoshiro256 a(0), b(42);
  const uint64_t want0[] = {0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull, 0x1a5f849d4933e6e0ull, 0x6aa594f1262d2d2cull};
  const uint64_t want42[] = {0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull, 0xae17533239e499a1ull, 0xecb8ad4703b360a1ull};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.next(), want0[i]) << i;
    EXPECT_EQ(b.next(), want42[i]) << i;
  }
}

TEST(PrenetMasks, SeededMasksKeepAboutOneMinusP) {
  SeededMasks masks(7);
  std::vector<float> keep(2 * 1000);
  double kept = 0;
  for (int step = 0; step < 50; ++step) {
    masks.next(2, 1000, 0.3, keep.data());
    for (float k : keep) {
      ASSERT_TRUE(k == 0.f || k == 1.f);
      kept += k;
    }
  }
  EXPECT_NEAR(kept / (50.0 * 2000), 0.7, 0.01);
}

TEST(Synthesis, SameSeedSameMelDifferentSeedDifferentMel) {
  auto model = tts("speecht5-tiny-random");
  const std::vector<int> ids = model->tokenizer().encode("Hello there, general.");
  const Tensor voice = load_voice("slt");
  GenerateOptions opt;
  opt.maxlenratio = 3.0;
  SeededMasks m1(1234), m2(1234), m3(1235);
  const TtsResult a = model->generate(ids, voice, opt, m1);
  const TtsResult b = model->generate(ids, voice, opt, m2);
  const TtsResult c = model->generate(ids, voice, opt, m3);
  EXPECT_TRUE(same(a.mel, b.mel));
  EXPECT_FALSE(same(a.mel, c.mel));
}

// ----------------------------------------------------------------------------- long text, limits

TEST(Synthesis, LongTextIsSplitIntoPiecesThatFitAndNothingIsLost) {
  auto model = tts("speecht5-small-a");  // max_text_positions 120
  Synthesizer synth(model, vocoder("hifigan-small-a"));
  std::string text;
  for (int i = 0; i < 6; ++i)
    text += "Sentence number " + std::to_string(i) + " is here, and it rambles on for a while before it ends. ";
  text += std::string(300, 'x');  // one "word" longer than the model takes
  ASSERT_GT(model->tokenizer().encode(text).size(), 120u * 3);

  SynthesisOptions opt;
  opt.generate.maxlenratio = 0.5;  // short audio: this test is about the pieces
  SeededMasks masks(5);
  const Speech speech = synth.synthesize(text, load_voice("bdl"), opt, masks);
  ASSERT_GT(speech.pieces.size(), 3u);
  std::string joined;
  int64_t samples = 0, frames = 0;
  for (const SpeechPiece& p : speech.pieces) {
    EXPECT_LE(p.ids.size(), 120u);
    EXPECT_EQ(p.ids, model->tokenizer().encode(p.text));
    joined += p.text;
    frames += p.mel.dim(0);
    samples += p.mel.dim(0) * vocoder("hifigan-small-a")->shape().hop_length();
  }
  auto letters = [](const std::string& s) {
    std::string o;
    for (char c : s)
      if (!std::isspace(static_cast<unsigned char>(c))) o += c;
    return o;
  };
  EXPECT_EQ(letters(joined), letters(text));
  EXPECT_EQ(speech.mel.dim(0), frames);
  const int64_t pause = std::llround(opt.pause_seconds * 16000);
  EXPECT_EQ(static_cast<int64_t>(speech.audio.size()), samples + pause * (int64_t(speech.pieces.size()) - 1));

  // Piece by piece, the same as generate() on each piece with the mask stream continuing.
  SeededMasks replay(5);
  TtsSession session(model);
  for (const SpeechPiece& p : speech.pieces) {
    const TtsResult r = session.generate(p.ids, load_voice("bdl"), opt.generate, replay);
    EXPECT_TRUE(same(r.mel, p.mel)) << p.text;
  }
}

TEST(Synthesis, TextThatFitsIsOnePieceUnchanged) {
  const std::string text = "Hey there! This is a test!";
  EXPECT_EQ(plan_pieces(tts("speecht5-tiny-random")->tokenizer(), text, 450, SplitMode::WhenTooLong),
            std::vector<std::string>{text});
  EXPECT_EQ(plan_pieces(tts("speecht5-tiny-random")->tokenizer(), text, 450, SplitMode::Sentences),
            (std::vector<std::string>{"Hey there!", "This is a test!"}));
}

TEST(Synthesis, StepsStopAtTheSpeechPositionTable) {
  // The reference fails past max_speech_positions; Parley stops there and says so.
  auto model = tts("speecht5-small-a");  // max_speech_positions 400
  GenerateOptions opt;
  opt.threshold = 2.0;  // a probability never reaches it
  opt.maxlenratio = 1000;
  SeededMasks masks(3);
  const TtsResult r = model->generate(model->tokenizer().encode("A longer sentence to speak."), load_voice("slt"), opt,
                                      masks);
  EXPECT_EQ(r.steps, 400);
  EXPECT_EQ(r.stop, StopReason::Positions);
  EXPECT_EQ(r.mel.dim(0), 400 * 3);
  opt.maxlenratio = 1e300;  // no overflow on the way
  opt.minlenratio = 1e300;
  SeededMasks more(3);
  EXPECT_EQ(model->generate(model->tokenizer().encode("Hi."), load_voice("slt"), opt, more).stop, StopReason::Positions);
}

TEST(Synthesis, StreamingGivesPiecesOneByOne) {
  Synthesizer synth(tts("speecht5-tiny-random"), vocoder("hifigan-tiny-random"));
  SynthesisOptions opt;
  opt.split = SplitMode::Sentences;
  opt.generate.maxlenratio = 1.0;
  SeededMasks masks(9);
  synth.start("First one. Second one! Third?", load_voice("clb"), opt, masks);
  EXPECT_EQ(synth.piece_count(), 3u);
  SpeechPiece piece;
  std::vector<std::string> texts;
  while (synth.next(piece)) {
    texts.push_back(piece.text);
    EXPECT_EQ(static_cast<int64_t>(piece.audio.size()), piece.mel.dim(0) * 256);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"First one.", "Second one!", "Third?"}));
}

// ----------------------------------------------------------------------------- bad input

class BadInput : public ::testing::Test {
 protected:
  std::shared_ptr<const SpeechT5Tts> model = tts("speecht5-tiny-random");
  Synthesizer synth{model, vocoder("hifigan-tiny-random")};
  SynthesisOptions opt;
  SeededMasks masks{1};
};

TEST_F(BadInput, EmptyText) {
  for (const char* text : {"", "   \n\t"}) {
    const Error e = error_of([&] { synth.synthesize(text, load_voice("slt"), opt, masks); });
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_TRUE(Mentions(e, "empty"));
  }
}

TEST_F(BadInput, TextWithNoKnownCharacter) {
  const Error e = error_of([&] { synth.synthesize("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xc3\xa9\xc3\xa9", load_voice("slt"), opt, masks); });
  EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  EXPECT_TRUE(Mentions(e, "no character"));
}

TEST_F(BadInput, SpeakerOfTheWrongLength) {
  const Error e = error_of([&] { synth.synthesize("Hello.", Tensor({511}), opt, masks); });
  EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  EXPECT_TRUE(Mentions(e, "511"));
  EXPECT_TRUE(Mentions(e, "512"));
}

TEST_F(BadInput, SpeakerWithNonFiniteValues) {
  Tensor v = load_voice("slt").clone();
  v[3] = NAN;
  const Error e = error_of([&] { model->generate(model->tokenizer().encode("Hi"), v, opt.generate, masks); });
  EXPECT_EQ(e.kind(), ErrorKind::BadInput);
}

TEST_F(BadInput, MasksOfTheWrongShapeOrTooFewSteps) {
  RecordedMasks wrong(Tensor({10, 3, 32}), "wrong.npy");
  Error e = error_of([&] { synth.synthesize("Hello.", load_voice("slt"), opt, wrong); });
  EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  EXPECT_TRUE(Mentions(e, "[10, 3, 32]"));
  EXPECT_THROW(RecordedMasks(Tensor({10, 64}), "flat.npy"), Error);
  Tensor halves({4, 2, 32});
  halves[0] = 0.5f;
  EXPECT_THROW(RecordedMasks(halves, "halves.npy"), Error);

  RecordedMasks few(Tensor({3, 2, 32}), "few.npy");  // maxlenratio 20 needs many more steps
  e = error_of([&] { synth.synthesize("Hello there.", load_voice("slt"), opt, few); });
  EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  EXPECT_TRUE(Mentions(e, "3 steps"));
}

TEST_F(BadInput, VocoderWithAnotherMelSize) {
  const Error e = error_of([&] { Synthesizer(model, vocoder("hifigan-small-a")); });  // 64 bins vs 80
  EXPECT_EQ(e.kind(), ErrorKind::BadModel);
  EXPECT_TRUE(Mentions(e, "64"));
  EXPECT_TRUE(Mentions(e, "80"));
  EXPECT_THROW(vocoder("hifigan-small-a")->vocode(Tensor({5, 80})), Error);
}

TEST_F(BadInput, StopSettings) {
  GenerateOptions bad;
  bad.maxlenratio = -1;
  EXPECT_EQ(error_of([&] { model->generate(model->tokenizer().encode("Hi"), load_voice("slt"), bad, masks); }).kind(),
            ErrorKind::InvalidArgument);
  bad = GenerateOptions();
  bad.threshold = NAN;
  EXPECT_THROW(bad.validate(), Error);
}

TEST_F(BadInput, TokenIdsOutsideTheVocabularyOrTooMany) {
  const std::vector<int> ids = {4, 500};
  EXPECT_EQ(error_of([&] { model->encode(ids); }).kind(), ErrorKind::BadInput);
  EXPECT_EQ(error_of([&] { model->encode(std::vector<int>(451, 4)); }).kind(), ErrorKind::BadInput);
  EXPECT_EQ(error_of([&] { model->encode(std::vector<int>{}); }).kind(), ErrorKind::BadInput);
}

// ----------------------------------------------------------------------------- voices

TEST(Voices, NamedVoicesShipInsideTheBinary) {
  const std::vector<std::string> names = voice_names();
  EXPECT_EQ(names, (std::vector<std::string>{"awb", "bdl", "clb", "ksp", "rms", "slt"}));
  EXPECT_EQ(kDefaultVoice, "slt");
  for (const auto& n : names) {
    const Tensor v = load_voice(n);
    EXPECT_EQ(v.shape(), (Shape{512})) << n;
    EXPECT_TRUE(test::AllClose(v, read_npy(test::data_path("../../voices/" + n + ".npy")), 0)) << n;
  }
}

TEST(Voices, FilesAndErrors) {
  const auto dir = test::temp_dir("voices");
  Tensor row({1, 512});
  row[0] = 1;
  write_npy(dir / "row.npy", row);
  EXPECT_EQ(load_voice((dir / "row.npy").string()).shape(), (Shape{512}));

  Error e = error_of([] { load_voice("nobody"); });
  EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  EXPECT_TRUE(Mentions(e, "slt"));
  EXPECT_EQ(error_of([&] { load_voice((dir / "missing.npy").string()); }).kind(), ErrorKind::NotFound);
  write_file_atomic(dir / "bad.npy", "\x93NUMPY garbage");
  EXPECT_EQ(error_of([&] { load_voice((dir / "bad.npy").string()); }).kind(), ErrorKind::BadInput);
  write_npy(dir / "matrix.npy", Tensor({2, 256}));
  EXPECT_EQ(error_of([&] { load_voice((dir / "matrix.npy").string()); }).kind(), ErrorKind::BadInput);
}

// ----------------------------------------------------------------------------- broken models

std::filesystem::path broken_copy(const std::string& model, const std::string& config_edit_key, nlohmann::json value) {
  const auto dir = model_copy("models/" + model, "pytorch_model.bin");  // a fresh copy we may edit
  std::filesystem::copy_file(test::data_path("models/" + model + "/model.safetensors"), dir / "model.safetensors");
  auto config = nlohmann::json::parse(read_file(dir / "config.json"));
  if (value.is_null()) {
    config.erase(config_edit_key);
  } else {
    config[config_edit_key] = value;
  }
  write_file_atomic(dir / "config.json", config.dump());
  return dir;
}

TEST(BrokenModel, ConfigErrorsAreOneLineBadModel) {
  struct Edit {
    const char* key;
    nlohmann::json value;
    const char* mention;
  };
  const Edit edits[] = {{"hidden_size", nullptr, "hidden_size"},
                        {"hidden_size", "big", "hidden_size"},
                        {"speech_decoder_postnet_kernel", 4, "odd"},
                        {"decoder_attention_heads", 3, "divisible"},
                        {"hidden_act", "mish", "hidden_act"},
                        {"hidden_size", 64, "shape"},
                        // Hostile sizes are refused from the config alone, before any allocation (the
                        // position tables absent from the weights would be built at this size: 2 GB).
                        {"max_speech_positions", 8000000, "must lie in [1, 16384]"},
                        {"max_text_positions", -1, "must lie in"},
                        {"hidden_size", int64_t{1} << 40, "must lie in"}};
  for (const Edit& edit : edits) {
    const auto dir = broken_copy("speecht5-tiny-random", edit.key, edit.value);
    const Error e = error_of([&] { SpeechT5Tts::load(dir); });
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
    EXPECT_TRUE(Mentions(e, edit.mention));
  }
  const auto voc = broken_copy("hifigan-tiny-random", "upsample_kernel_sizes", nlohmann::json::array({8, 8}));
  EXPECT_TRUE(Mentions(error_of([&] { HifiGan::load(voc); }), "upsample"));
  const auto voc2 = broken_copy("hifigan-tiny-random", "resblock_kernel_sizes", nlohmann::json::array({3, 6, 11}));
  EXPECT_TRUE(Mentions(error_of([&] { HifiGan::load(voc2); }), "odd"));
  EXPECT_EQ(error_of([] { SpeechT5Tts::load("/nonexistent/model"); }).kind(), ErrorKind::NotFound);
}

}  // namespace
}  // namespace parley::speecht5
