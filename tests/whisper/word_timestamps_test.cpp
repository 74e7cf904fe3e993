// Word timestamps (whisper/word_timing.h): the pieces on small hand-made inputs, then the whole of
// Whisper::transcribe_long(word_timestamps) against openai/whisper's transcribe(word_timestamps=True)
// on the tiny fixture model (cases/whisper-tiny-random/word_timestamps.json, written by
// tools/make_word_timestamp_goldens.py).
//
// Tolerances: word texts, segment tokens, texts and windows exactly; word and segment times within
// kTimeTol = 0.02 s, one encoder frame: a time is the DTW path's frame / 50 s, so two float32
// computations of the attention (the fixtures' logits agree to 1e-3) can at most move a near-tie of
// the path by a frame; probabilities within 1% (a softmax of logits that agree to 1e-3).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "whisper/whisper.h"
#include "whisper/word_timing.h"

namespace parley::whisper {
namespace {

using nlohmann::json;
using test::data_path;

constexpr double kTimeTol = 0.02;
constexpr double kProbRelTol = 0.01;

const WhisperTokenizer& tokenizer() {
  static const WhisperTokenizer tok = WhisperTokenizer::load(ModelDir(data_path("models/whisper-tiny-random")));
  return tok;
}

TEST(MedianFilter, WidthSevenWithReflectedEdges) {
  Tensor x = Tensor::from_vector({1, 8}, {5, 1, 9, 2, 8, 3, 7, 4});
  median_filter_rows(x, 7);
  // reflected: 2 9 1 | 5 1 9 2 8 3 7 4 | 7 3 8, the median of each window of 7 (as openai's gives)
  const std::vector<float> want = {2, 5, 3, 5, 4, 7, 4, 7};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(x[i], want[static_cast<size_t>(i)]) << i;
}

TEST(MedianFilter, WidthThreeAndRowsTooShortToFilter) {
  Tensor x = Tensor::from_vector({2, 4}, {1, 9, 2, 7, 4, 0, 4, 4});
  median_filter_rows(x, 3);  // row 0 reflected: 9 | 1 9 2 7 | 2
  const std::vector<float> want = {9, 2, 7, 2, 0, 4, 4, 4};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(x[i], want[static_cast<size_t>(i)]) << i;
  Tensor short_row = Tensor::from_vector({1, 3}, {3, 1, 2});
  median_filter_rows(short_row, 7);  // 3 values <= 7 / 2: unchanged, as openai returns them
  EXPECT_EQ(short_row[0], 3);
  EXPECT_EQ(short_row[1], 1);
  EXPECT_THROW(median_filter_rows(x, 4), Error);
}

TEST(Dtw, FollowsTheCheapestMonotonicPath) {
  // Row 0 is cheap in columns 0-1, row 1 in column 2, row 2 in columns 3-4.
  const std::vector<double> x = {0, 0, 9, 9, 9,  //
                                 9, 9, 0, 9, 9,  //
                                 9, 9, 9, 0, 0};
  const DtwPath p = dtw(x, 3, 5);
  EXPECT_EQ(p.rows, (std::vector<int>{0, 0, 1, 2, 2}));
  EXPECT_EQ(p.cols, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Dtw, TiesPreferTheHorizontalMoveAsOpenaiDoes) {
  // All costs equal: at the last cell the diagonal and the left move cost the same, and openai's rule
  // (diagonal or up only when strictly cheapest) moves left; then the diagonal is cheapest.
  const std::vector<double> x(6, 1.0);
  const DtwPath p = dtw(x, 2, 3);
  EXPECT_EQ(p.rows, (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(p.cols, (std::vector<int>{0, 1, 2}));
  const DtwPath tall = dtw(std::vector<double>(3, 0.0), 3, 1);  // one column: straight down
  EXPECT_EQ(tall.rows, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(tall.cols, (std::vector<int>{0, 0, 0}));
}

TEST(WordSplit, SpacesAndPunctuationStartWords) {
  const WhisperTokenizer& tok = tokenizer();
  std::vector<int> ids = tok.encode(" Hello, world! It's fine");
  ids.push_back(tok.eot());
  const WordSplit s = split_to_word_tokens(tok, ids, "en", tok.eot());
  EXPECT_EQ(s.words, (std::vector<std::string>{" Hello", ",", " world", "!", " It's", " fine", "<|endoftext|>"}));
  size_t n = 0;
  for (const auto& t : s.tokens) n += t.size();
  EXPECT_EQ(n, ids.size());
}

TEST(WordSplit, ChineseSplitsAtEveryWholeCharacter) {
  const WhisperTokenizer& tok = tokenizer();
  std::vector<int> ids = tok.encode("你好世界");
  ids.push_back(tok.eot());
  const WordSplit s = split_to_word_tokens(tok, ids, "zh", tok.eot());
  std::string joined;
  for (const auto& w : s.words) {
    EXPECT_EQ(w.find("\xEF\xBF\xBD"), std::string::npos) << "a word ends inside a character";
    joined += w;
  }
  EXPECT_EQ(joined, "你好世界<|endoftext|>");
  EXPECT_GE(s.words.size(), 3u);
}

TEST(MergePunctuations, OpeningMarksJoinTheNextWordClosingMarksThePrevious) {
  std::vector<WordTiming> a = {{" \"", {1}, 0, 1, 1}, {"Hi", {2}, 1, 2, 1}, {",", {3}, 2, 3, 1},
                               {" there", {4}, 3, 4, 1}, {".", {5}, 4, 5, 1}};
  const WordTimingOptions o;
  merge_punctuations(a, o.prepend_punctuations, o.append_punctuations);
  EXPECT_EQ(a[0].word, "");
  EXPECT_TRUE(a[0].tokens.empty());
  EXPECT_EQ(a[1].word, " \"Hi,");
  EXPECT_EQ(a[1].tokens, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(a[3].word, " there.");
  EXPECT_EQ(a[4].word, "");
}

TEST(AddWordTimestamps, WordsGoToTheirSegmentsAndSegmentsTakeTheirWordsTimes) {
  const int eot = tokenizer().eot();
  std::vector<Segment> segs(2);
  segs[0].start = 10.0, segs[0].end = 11.0, segs[0].tokens = {eot + 100, 11, 12, eot + 150};
  segs[1].start = 11.0, segs[1].end = 12.0, segs[1].tokens = {eot + 150, 13, eot + 200};
  std::vector<WordTiming> a = {{" a", {11}, 0.1, 0.4, 0.5}, {" b", {12}, 0.4, 0.8, 0.5}, {" c", {13}, 1.0, 1.3, 0.5}};
  add_word_timestamps(segs, a, eot, 10.0, 10.0);
  ASSERT_EQ(segs[0].words.size(), 2u);
  ASSERT_EQ(segs[1].words.size(), 1u);
  EXPECT_DOUBLE_EQ(segs[0].words[0].start, 10.1);
  EXPECT_DOUBLE_EQ(segs[0].start, 10.1);  // the first word's start
  EXPECT_DOUBLE_EQ(segs[0].end, 10.8);    // the last word's end
  EXPECT_EQ(segs[1].words[0].word, " c");
  EXPECT_DOUBLE_EQ(segs[1].start, 11.0);
  EXPECT_DOUBLE_EQ(last_word_end(segs).value(), 11.3);
}

// ------------------------------------------------------------------------------------------ golden

struct Measured {
  double time = 0, prob = 0;
  int words = 0, exact = 0;
};

LongformOptions options_of(const json& o) {
  LongformOptions r;
  r.task = o["task"];
  r.language = o["language"];
  r.temperatures = o["temperature"].get<std::vector<float>>();
  r.compression_ratio_threshold = o["compression_ratio_threshold"].get<double>();
  r.logprob_threshold = o["logprob_threshold"].get<double>();
  r.no_speech_threshold = o["no_speech_threshold"].get<double>();
  r.word_timestamps = o["word_timestamps"];
  r.clamp_to_duration = false;  // the reference lets a random model's times run past the audio
  return r;
}

void check_words(const Segment& g, const json& s, Measured& m) {
  ASSERT_EQ(g.words.size(), s["words"].size());
  for (size_t k = 0; k < g.words.size(); ++k) {
    const json& w = s["words"][k];
    const Word& got = g.words[k];
    EXPECT_EQ(got.word, w["word"].get<std::string>()) << "word " << k;
    for (const auto& [have, want] : {std::pair{got.start, w["start"].get<double>()}, {got.end, w["end"].get<double>()}}) {
      EXPECT_NEAR(have, want, kTimeTol) << "word " << k;
      m.time = std::max(m.time, std::abs(have - want));
      m.exact += std::abs(have - want) < 1e-9;
    }
    const double p = w["probability"];
    EXPECT_NEAR(got.probability, p, kProbRelTol * p) << "word " << k;
    m.prob = std::max(m.prob, std::abs(got.probability - p) / p);
    ++m.words;
  }
}

// One segment against the reference's: window, tokens and text exactly, times within kTimeTol, words.
void check_segment(const Segment& got, const json& want, Measured& m) {
  SCOPED_TRACE("segment " + std::to_string(got.id));
  EXPECT_EQ(got.seek, want["seek"].get<int64_t>());
  EXPECT_EQ(got.tokens, want["tokens"].get<std::vector<int>>());
  EXPECT_EQ(got.text, want["text"].get<std::string>());
  const double start = want["start"], end = want["end"];
  EXPECT_NEAR(got.start, start, kTimeTol);
  EXPECT_NEAR(got.end, end, kTimeTol);
  m.time = std::max({m.time, std::abs(got.start - start), std::abs(got.end - end)});
  check_words(got, want, m);
}

void check_run(const Whisper& w, const json& run, Measured& m) {
  const std::vector<float> audio = audio::decode_file(data_path(run["audio"].get<std::string>()));
  const LongformResult r = w.transcribe_long(audio, options_of(run["options"]));
  EXPECT_EQ(r.text, run["text"].get<std::string>());
  ASSERT_EQ(r.segments.size(), run["segments"].size());
  size_t i = 0;
  for (const json& want : run["segments"]) check_segment(r.segments[i++], want, m);
}

// The model folder of a run: the fixture's, or a copy whose generation_config.json names the heads.
std::filesystem::path model_folder(const json& run) {
  const std::filesystem::path fixture = data_path("models/" + run["model"].get<std::string>());
  if (!run["given_heads"].get<bool>()) return fixture;
  const std::filesystem::path copy = test::temp_dir("word-heads") / run["model"].get<std::string>();
  std::filesystem::create_directories(copy);
  for (const auto& f : std::filesystem::directory_iterator(fixture))
    if (f.path().filename() != "generation_config.json" && f.path().extension() != ".bin")
      std::filesystem::copy_file(f.path(), copy / f.path().filename(), std::filesystem::copy_options::overwrite_existing);
  json gen = json::parse(read_file(fixture / "generation_config.json"));
  gen["alignment_heads"] = run["alignment_heads"];
  write_file_atomic(copy / "generation_config.json", gen.dump());
  return copy;
}

// The golden's runs whose name starts with `prefix` (or, with `except`, all the others).
void check_runs(const std::string& prefix, bool except, int min_words) {
  const json g = json::parse(read_file(data_path("cases/word_timestamps.json")));
  Measured m;
  for (const json& run : g["runs"]) {
    const std::string name = run["name"];
    if ((name.rfind(prefix, 0) == 0) == except) continue;
    SCOPED_TRACE(name);
    const Whisper w = Whisper::load(model_folder(run));
    std::vector<std::pair<int, int>> heads;
    for (const json& h : run["alignment_heads"]) heads.emplace_back(h[0].get<int>(), h[1].get<int>());
    EXPECT_EQ(w.config().alignment_heads, heads);
    check_run(w, run, m);
  }
  std::printf("word timestamps: %d words, %d of %d word times exact, max time diff %.3g s, max probability rel diff %.3g\n",
              m.words, m.exact, 2 * m.words, m.time, m.prob);
  EXPECT_GE(m.words, min_words);
}

TEST(WordTimestampsGolden, ShortClipsMatchOpenaiWhisper) { check_runs("long_", true, 130); }

TEST(WordTimestampsGolden, TwoMinuteRecordingMatchesOpenaiWhisper) { check_runs("long_", false, 21); }

}  // namespace
}  // namespace parley::whisper
