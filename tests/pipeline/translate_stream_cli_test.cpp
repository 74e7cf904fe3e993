// `parley translate --stream` and `-o -` on the fixture models: the WAV written sentence by sentence
// (its header fixed up at the end) and the raw samples on stdout hold exactly the pipeline's
// sentence-by-sentence speech for the same seed; --json reports time_to_first_audio_ms (to stderr
// when the audio goes to stdout).
#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "audio/wav_stream.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "pipeline_fixtures.h"
#include "speecht5/voices.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kMaxNewTokens = 32;

RunResult translate(const std::string& out, std::vector<std::string> extra) {
  std::vector<std::string> a = {"translate", data_path("audio/es.wav").string(), "-o", out};
  for (const auto& s : fixture_model_args(kMaxNewTokens)) a.push_back(s);
  a.insert(a.end(), extra.begin(), extra.end());
  return run_parley(a, 300);
}

// The pipeline in process, one piece per sentence: what the streamed output must hold.
TranslateResult sentence_by_sentence(uint64_t seed) {
  auto p = pipeline::Pipeline::load(fixture_options(kMaxNewTokens));
  TranslateRequest request;
  request.language = "es";
  request.seed = seed;
  request.sentence_by_sentence = true;
  pipeline::RunStats stats;
  return p->translate(audio::decode_file(data_path("audio/es.wav")), request, speecht5::load_voice("slt"), stats);
}

TEST(TranslateStreamCli, WavWrittenAsProducedHoldsTheSentenceBySentenceSpeech) {
  const fs::path out = temp_dir("translate-stream") / "english.wav";
  const auto r = translate(out.string(), {"--language", "es", "--seed", "9", "--stream", "--json", "--format", "f32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["stream"], true);
  ASSERT_TRUE(j.contains("time_to_first_audio_ms"));
  EXPECT_GT(j["time_to_first_audio_ms"].get<double>(), 0.0);
  EXPECT_LE(j["time_to_first_audio_ms"].get<double>(), j["timings"]["total_ms"].get<double>());

  const TranslateResult want = sentence_by_sentence(9);
  EXPECT_EQ(j["text"], want.text);
  const audio::WavData wav = audio::read_wav(out);  // the header's sizes were fixed up
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_EQ(wav.samples, want.audio);
  EXPECT_EQ(j["samples"].get<size_t>(), want.audio.size());
  std::printf("  --stream: %zu samples in %lld pieces, time to first audio %.1f ms of %.1f ms\n", want.audio.size(),
              j["pieces"].get<long long>(), j["time_to_first_audio_ms"].get<double>(),
              j["timings"]["total_ms"].get<double>());

  // Without --stream the report has the time too: when the whole file was written.
  const auto whole = translate(out.string(), {"--language", "es", "--seed", "9", "--json"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const json w = json::parse(whole.out);
  EXPECT_EQ(w["stream"], false);
  EXPECT_TRUE(w.contains("time_to_first_audio_ms"));
}

TEST(TranslateStreamCli, DashWritesRawSamplesToStdoutAndTheReportToStderr) {
  const auto r = translate("-", {"--language", "es", "--seed", "9", "--json", "--format", "f32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.err);
  EXPECT_EQ(j["output"], "-");
  EXPECT_EQ(j["stream"], true);
  EXPECT_TRUE(j.contains("time_to_first_audio_ms"));
  const TranslateResult want = sentence_by_sentence(9);
  ASSERT_EQ(r.out.size(), want.audio.size() * sizeof(float));
  std::vector<float> got(want.audio.size());
  std::memcpy(got.data(), r.out.data(), r.out.size());
  EXPECT_EQ(got, want.audio);

  // 16-bit: the same samples as the WAV encoder converts them.
  const auto pcm = translate("-", {"--language", "es", "--seed", "9"});
  ASSERT_EQ(pcm.exit_code, 0) << pcm.err;
  EXPECT_TRUE(pcm.out == audio::encode_pcm16(want.audio));
  EXPECT_NE(pcm.err.find("first audio after"), std::string::npos) << pcm.err;
}

// The streamed WAV's first header: encode_wav's layout, sizes unknown (0xFFFFFFFF) until the real
// header replaces it.
TEST(OpenEndedHeader, SizesUnknownUntilTheEnd) {
  for (const auto fmt : {audio::SampleFormat::Pcm16, audio::SampleFormat::F32}) {
    const std::string open = audio::open_ended_header(16000, fmt), real = audio::wav_header(5, 16000, fmt);
    ASSERT_EQ(open.size(), real.size());
    EXPECT_EQ(open.substr(4, 4), std::string(4, '\xff'));                 // RIFF size
    EXPECT_EQ(open.substr(open.size() - 4), std::string(4, '\xff'));      // data size
    EXPECT_EQ(open.substr(8, 28), real.substr(8, 28));                     // WAVE, fmt chunk: the same
  }
  EXPECT_EQ(audio::open_ended_header(16000, audio::SampleFormat::F32).substr(audio::wav_header(0, 16000, audio::SampleFormat::F32).size() - 12, 4),
            std::string(4, '\xff'));  // f32's fact chunk: frames unknown
  EXPECT_THROW(audio::open_ended_header(0, audio::SampleFormat::Pcm16), Error);
}

}  // namespace
}  // namespace parley::test
