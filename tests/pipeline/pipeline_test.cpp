// The speech pipeline on the fixture models: Whisper's greedy translate runs give the reference's
// text, the speech is what SpeechT5 + HiFi-GAN make of that text (the same samples as synthesizing
// it alone) and has steps x reduction x hop samples; the SpeechService calls, voices, concurrency
// and the errors the server maps to HTTP statuses.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "core/files.h"
#include "common/test_util.h"
#include "core/error.h"
#include "pipeline/pipeline.h"
#include "pipeline_fixtures.h"
#include "speecht5/prenet_masks.h"
#include "speecht5/synthesizer.h"
#include "speecht5/voices.h"

namespace parley::test {
namespace {

using nlohmann::json;
using pipeline::Pipeline;

std::vector<float> samples_of(const std::string& audio) { return audio::decode_file(data_path(audio)); }

// SpeechT5 + HiFi-GAN alone on `text`: what the pipeline's speech must equal.
speecht5::Speech synthesize_alone(const std::string& text, const std::string& voice, uint64_t seed) {
  const auto o = fixture_options();
  speecht5::Synthesizer synth(speecht5::SpeechT5Tts::load(o.tts_model), speecht5::HifiGan::load(o.vocoder));
  speecht5::SeededMasks masks(seed);
  return synth.synthesize(text, speecht5::load_voice(voice), speecht5::SynthesisOptions(), masks);
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no parley::Error thrown";
  return ErrorKind::Internal;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

class GoldenTranslate : public ::testing::TestWithParam<TranslateRun> {};

TEST_P(GoldenTranslate, TextIsTheReferenceAndSpeechIsThatTextSynthesized) {
  const TranslateRun& run = GetParam();
  auto p = Pipeline::load(fixture_options(run.max_new_tokens));
  TranslateRequest request;
  if (!run.detected) request.language = run.language;  // else detected, as the reference did
  pipeline::RunStats stats;
  const TranslateResult r = p->translate(samples_of(run.audio), request, speecht5::load_voice("slt"), stats);
  EXPECT_EQ(r.language, run.language);
  EXPECT_EQ(r.text, trimmed(run.text));
  ASSERT_TRUE(stats.spoken);
  EXPECT_EQ(r.sample_rate, fixture_sample_rate());
  EXPECT_EQ(static_cast<int64_t>(r.audio.size()), expected_samples(stats.steps, static_cast<int64_t>(stats.pieces)));

  const speecht5::Speech alone = synthesize_alone(trimmed(run.text), "slt", speecht5::kDefaultSeed);
  int64_t steps = 0;
  for (const auto& piece : alone.pieces) steps += piece.steps;
  EXPECT_EQ(stats.steps, steps);
  EXPECT_EQ(stats.pieces, alone.pieces.size());
  EXPECT_EQ(r.audio, alone.audio);
  std::printf("  %s: %zu pieces, %lld steps, %zu samples\n", run.name.c_str(), stats.pieces,
              static_cast<long long>(stats.steps), r.audio.size());

  std::vector<std::string> stages;
  for (const auto& [stage, ms] : r.timings) {
    stages.push_back(stage);
    EXPECT_GE(ms, 0) << stage;
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"features", "asr", "tts", "vocoder"}));
}

// The 256-token Italian run is the CLI test's; here the shorter ones keep this binary quick.
std::vector<TranslateRun> short_runs() {
  std::vector<TranslateRun> out;
  for (const auto& r : translate_runs())
    if (r.max_new_tokens <= 64) out.push_back(r);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Fixture, GoldenTranslate, ::testing::ValuesIn(short_runs()),
                         [](const auto& info) { return info.param.name; });

TEST(Pipeline, GoldenRunsArePresent) {
  // The three greedy translate runs of the fixture (jfk en, it_seed it, es detected).
  EXPECT_EQ(translate_runs().size(), 3u);
  EXPECT_GE(short_runs().size(), 2u);
}

TEST(Pipeline, ServiceCallsMatchTheRunsAndVoices) {
  const TranslateRun run = short_runs().at(0);
  auto p = Pipeline::load(fixture_options(run.max_new_tokens));
  SpeechService& service = *p;
  EXPECT_EQ(service.default_voice(), "slt");
  EXPECT_EQ(service.voices(), speecht5::voice_names());
  EXPECT_EQ(service.info().asr_model, "whisper-tiny-random");  // a folder's name, never its path

  TranslateRequest request;
  request.language = run.language;
  request.voice = "bdl";
  std::vector<float> streamed;
  std::vector<std::string> segments;
  request.on_audio = [&](std::span<const float> a, int) { streamed.insert(streamed.end(), a.begin(), a.end()); };
  request.on_segment = [&](const Segment& s) { segments.push_back(s.text); };
  const TranslateResult r = service.translate(samples_of(run.audio), request);
  EXPECT_EQ(r.text, trimmed(run.text));
  EXPECT_EQ(r.audio, synthesize_alone(r.text, "bdl", speecht5::kDefaultSeed).audio);
  EXPECT_EQ(streamed, r.audio);  // on_audio saw the whole speech, in order
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(trimmed(segments[0]), r.text);

  AsrRequest asr;
  asr.task = AsrTask::Translate;
  asr.language = run.language;
  const AsrResult a = service.speech_to_text(samples_of(run.audio), asr);
  EXPECT_EQ(a.text, r.text);
  EXPECT_EQ(a.language, run.language);

  TtsRequest tts;
  tts.text = r.text;
  tts.seed = 7;
  const TtsResult t = service.text_to_speech(tts);
  EXPECT_EQ(t.audio, synthesize_alone(r.text, "slt", 7).audio);
  EXPECT_EQ(t.sample_rate, fixture_sample_rate());
}

TEST(Pipeline, TranscribeTaskGivesTheReferenceTranscription) {
  // jfk's "transcribe_detected" run: the detected language, 40 tokens.
  const json g = json::parse(read_file(data_path("cases/whisper-tiny-random/golden.json")));
  const json& c = g["cases"][0];
  const json& run = c["runs"][0];
  ASSERT_EQ(run["name"], "transcribe_detected");
  ASSERT_EQ(run["generate_kwargs"]["language"], c["detected_language"]);
  auto p = Pipeline::load(fixture_options(run["generate_kwargs"]["max_new_tokens"]));
  const AsrResult r = p->speech_to_text(samples_of(c["audio"]), AsrRequest());
  EXPECT_EQ(r.language, c["detected_language"]);
  EXPECT_EQ(r.text, trimmed(run["text"]));
  EXPECT_NEAR(r.duration_s, c["samples"].get<double>() / fixture_sample_rate(), 1e-9);
}

// Into English with transcribe_source: the same text and speech, plus the speech's own words as
// Whisper's transcription hears them; English speech is its own transcript.
TEST(Pipeline, TranscribeSourceAddsTheTranscriptWithoutChangingTheTranslation) {
  auto p = Pipeline::load(fixture_options(8));
  const std::vector<float> audio = samples_of("audio/es.wav");
  TranslateRequest plain;
  plain.language = "es";
  plain.seed = 3;
  const TranslateResult without = p->translate(audio, plain);
  EXPECT_EQ(without.source_text, "");
  TranslateRequest asked = plain;
  asked.transcribe_source = true;
  const TranslateResult with = p->translate(audio, asked);
  EXPECT_EQ(with.text, without.text);
  EXPECT_EQ(with.audio, without.audio);
  EXPECT_EQ(with.language, without.language);
  AsrRequest transcribe;
  transcribe.task = AsrTask::Transcribe;
  transcribe.language = without.language;
  const std::string heard = p->speech_to_text(audio, transcribe).text;
  ASSERT_FALSE(heard.empty());
  EXPECT_EQ(with.source_text, heard);
  bool timed = false;
  for (const auto& [stage, ms] : with.timings) timed = timed || stage == "asr_source";
  EXPECT_TRUE(timed);

  TranslateRequest english = asked;
  english.language = "en";  // said to be English: the translation is the transcript
  const TranslateResult own = p->translate(audio, english);
  EXPECT_EQ(own.source_text, own.text);
}

TEST(Pipeline, ConcurrentCallsGiveTheSameResults) {
  auto p = Pipeline::load(fixture_options(12));
  const std::vector<float> audio = samples_of("audio/es.wav");
  TranslateRequest request;
  request.language = "es";
  const TranslateResult alone = p->translate(audio, request);
  std::vector<std::future<TranslateResult>> runs;
  for (int i = 0; i < 3; ++i)
    runs.push_back(std::async(std::launch::async, [&] { return p->translate(audio, request); }));
  for (auto& f : runs) {
    const TranslateResult r = f.get();
    EXPECT_EQ(r.text, alone.text);
    EXPECT_EQ(r.audio, alone.audio);
  }
}

TEST(PipelineErrors, KindsTheServerMapsToStatuses) {
  auto p = Pipeline::load(fixture_options(8));
  const std::vector<float> es = samples_of("audio/es.wav");
  TranslateRequest unknown_voice;
  unknown_voice.voice = "nobody";
  EXPECT_EQ(kind_of([&] { p->translate(es, unknown_voice); }), ErrorKind::InvalidArgument);
  EXPECT_NE(message_of([&] { p->translate(es, unknown_voice); }).find("nobody"), std::string::npos);

  TranslateRequest bad_language;
  bad_language.language = "xx";
  EXPECT_EQ(kind_of([&] { p->translate(es, bad_language); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kind_of([&] { p->translate({}, TranslateRequest()); }), ErrorKind::BadInput);

  TtsRequest nothing;
  nothing.text = "   ";
  EXPECT_EQ(kind_of([&] { p->text_to_speech(nothing); }), ErrorKind::BadInput);
  pipeline::RunStats stats;
  EXPECT_EQ(kind_of([&] { p->translate(es, TranslateRequest(), Tensor::from_vector({3}, {0.f, 0.f, 0.f}), stats); }), ErrorKind::BadInput);
}

TEST(PipelineErrors, MissingModelsNameTheFix) {
  auto o = fixture_options();
  o.vocoder = "/nonexistent/hifigan";
  EXPECT_EQ(kind_of([&] { Pipeline::load(o); }), ErrorKind::NotFound);
  o = fixture_options();
  o.tts_model = "not a model name";
  EXPECT_EQ(kind_of([&] { Pipeline::load(o); }), ErrorKind::InvalidArgument);
  // A vocoder made for another mel size is refused at load, not on the first request.
  o = fixture_options();
  o.vocoder = o.tts_model;
  EXPECT_EQ(kind_of([&] { Pipeline::load(o); }), ErrorKind::BadModel);
}

TEST(PipelineErrors, OfflineAndNotCachedSaysWhichCommandFetchesIt) {
  const std::string cache = temp_dir("pipeline-offline").string();
  ::setenv("HF_HUB_CACHE", cache.c_str(), 1);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  auto o = fixture_options();
  o.asr_model = "openai/whisper-base";
  const std::string message = message_of([&] { Pipeline::load(o); });
  EXPECT_EQ(kind_of([&] { Pipeline::load(o); }), ErrorKind::NotFound);
  ::unsetenv("HF_HUB_OFFLINE");
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_NE(message.find("parley models download openai/whisper-base"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace parley::test
