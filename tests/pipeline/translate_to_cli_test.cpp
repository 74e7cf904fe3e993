// `parley translate --to` end to end on the fixture models (Whisper, M2M100 and VITS tiny random
// checkpoints: gibberish, compared like with like): the source transcript is `parley transcribe`'s, the
// text is `parley translate-text`'s on that transcript, the audio is `parley synthesize --stream`'s on
// that text with the same seed, sample for sample; --to en is today's path; a source already in the
// target skips MT; subtitles in both languages; bad targets and missing models are one-line errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "common/test_util.h"
#include "core/files.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string model(const std::string& name) { return data_path("models/" + name).string(); }
std::string es_wav() { return data_path("audio/es.wav").string(); }

// `parley translate es.wav --language es -o OUT` on the tiny Whisper with `extra` arguments.
RunResult translate(const fs::path& out, std::vector<std::string> extra) {
  std::vector<std::string> a = {"translate",       es_wav(), "-o", out.string(), "--language", "es",
                                "--asr-model",     model("whisper-tiny-random"), "--max-new-tokens", "8",
                                "--format",        "f32"};
  a.insert(a.end(), extra.begin(), extra.end());
  return run_parley(a, 120);
}

std::vector<std::string> to_french(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"--to", "fr", "--mt-model", model("m2m100-tiny-random"), "--tts-model",
                                "fr=" + model("vits-tiny-random")};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string without_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

TEST(TranslateToCli, AgreesWithTranscribeTranslateTextAndSynthesize) {
  const fs::path dir = temp_dir("translate-to");
  const auto r = translate(dir / "fr.wav", to_french({"--json", "--seed", "5"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["language"], "es");
  EXPECT_EQ(j["target_language"], "fr");
  for (const char* stage : {"asr_ms", "mt_ms", "tts_ms", "total_ms"})
    EXPECT_GE(j["timings"][stage].get<double>(), 0) << stage;

  // Whisper's transcript, as `parley transcribe` gives it.
  const auto heard = run_parley({"transcribe", "-m", model("whisper-tiny-random"), "--language", "es",
                                 "--max-new-tokens", "8", "--json", es_wav()}, 60);
  ASSERT_EQ(heard.exit_code, 0) << heard.err;
  const std::string source = j["source_text"];
  EXPECT_EQ(source, json::parse(heard.out)["text"].get<std::string>());
  ASSERT_FALSE(source.empty());

  // The translation, as `parley translate-text` gives it for that transcript.
  const auto text = run_parley({"translate-text", "--model", model("m2m100-tiny-random"), "--from", "es", "--to",
                                "fr", source}, 60);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::string said = j["text"];
  EXPECT_EQ(said, without_newline(text.out));
  ASSERT_FALSE(said.empty());

  // The speech, as `parley synthesize --stream` (sentence by sentence) makes it with the same seed.
  const auto alone = run_parley({"synthesize", "--model", model("vits-tiny-random"), "--text", said, "--stream",
                                 "--seed", "5", "-o", (dir / "alone.wav").string(), "--format", "f32"}, 60);
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const audio::WavData wav = audio::read_wav(dir / "fr.wav");
  EXPECT_GT(wav.frames(), 0);
  EXPECT_EQ(j["samples"].get<int64_t>(), wav.frames());
  EXPECT_EQ(audio::read_wav(dir / "alone.wav").samples, wav.samples);

  // Streamed: the same samples.
  const auto streamed = translate(dir / "streamed.wav", to_french({"--seed", "5", "--stream"}));
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  EXPECT_EQ(audio::read_wav(dir / "streamed.wav").samples, wav.samples);
}

TEST(TranslateToCli, EnglishTargetIsTodaysPath) {
  const fs::path dir = temp_dir("translate-to-en");
  std::vector<std::string> english = {"--tts-model", model("speecht5-tiny-random"), "--vocoder",
                                      model("hifigan-tiny-random"), "--json"};
  const auto plain = translate(dir / "plain.wav", english);
  // --to English, and the English --tts-model before the input: it takes one value, not the input.
  const auto to_en = run_parley({"translate", "--tts-model", model("speecht5-tiny-random"), es_wav(), "-o",
                                 (dir / "to_en.wav").string(), "--language", "es", "--asr-model",
                                 model("whisper-tiny-random"), "--max-new-tokens", "8", "--format", "f32", "--vocoder",
                                 model("hifigan-tiny-random"), "--json", "--to", "English"}, 120);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(to_en.exit_code, 0) << to_en.err;
  const json a = json::parse(plain.out), b = json::parse(to_en.out);
  EXPECT_EQ(a["text"], b["text"]);
  EXPECT_EQ(b["target_language"], "en");
  EXPECT_EQ(b["source_text"], "");
  EXPECT_EQ(a["steps"], b["steps"]);
  EXPECT_EQ(audio::read_wav(dir / "plain.wav").samples, audio::read_wav(dir / "to_en.wav").samples);
}

// Spanish into Spanish: no translation model is loaded (a missing one does not matter), the text is
// the transcript; both subtitle files come out, the same cues.
TEST(TranslateToCli, SourceInTheTargetLanguageSkipsTranslationAndWritesBothSubtitles) {
  const fs::path dir = temp_dir("translate-to-es");
  const auto r = translate(dir / "es.wav", {"--to", "spa", "--mt-model", (dir / "no-such-model").string(),
                                            "--tts-model", "es=" + model("vits-tiny-random"), "--json",
                                            "--output-format", "srt", "--text-output", (dir / "es.srt").string(),
                                            "--source-subtitles", (dir / "source.srt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["target_language"], "es");
  EXPECT_EQ(j["text"], j["source_text"]);
  EXPECT_EQ(j["timings"]["mt_ms"].get<double>(), 0);
  // One window, one segment, one sentence: one cue over the whole recording.
  const std::string want = "1\n00:00:00,000 --> 00:00:05,528\n" + j["text"].get<std::string>() + "\n\n";
  EXPECT_EQ(read_file(dir / "source.srt"), want);
  EXPECT_EQ(read_file(dir / "es.srt"), want);
}

TEST(TranslateToCli, TranslatedSubtitlesHoldTheTargetText) {
  const fs::path dir = temp_dir("translate-to-vtt");
  const auto r = translate(dir / "fr.wav", to_french({"--json", "-f", "vtt", "--text-output", (dir / "fr.vtt").string(),
                                                      "--source-subtitles", (dir / "es.vtt").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const std::string fr = read_file(dir / "fr.vtt"), es = read_file(dir / "es.vtt");
  EXPECT_EQ(fr.rfind("WEBVTT", 0), 0u) << fr;
  EXPECT_NE(fr.find(j["text"].get<std::string>()), std::string::npos) << fr;
  EXPECT_NE(es.find(j["source_text"].get<std::string>()), std::string::npos) << es;
  EXPECT_NE(fr.find("00:00:00.000 --> 00:00:05.528"), std::string::npos) << fr;
}

// Sets environment variables for one test and puts them back after.
class ScopedEnv {
 public:
  void set(const char* name, const std::optional<std::string>& value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
      if (it->second) setenv(it->first.c_str(), it->second->c_str(), 1);
      else unsetenv(it->first.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TranslateToCli, BadTargetsAndMissingModelsAreOneLineErrors) {
  const fs::path dir = temp_dir("translate-to-bad");
  const auto unknown = translate(dir / "x.wav", {"--to", "frnch"});
  EXPECT_EQ(unknown.exit_code, 2);
  expect_one_line_error(unknown, "did you mean fr (French)");

  const auto no_mt = translate(dir / "x.wav", {"--to", "fr", "--mt-model", (dir / "no-such-mt").string(),
                                               "--tts-model", "fr=" + model("vits-tiny-random")});
  expect_one_line_error(no_mt, "no-such-mt");

  const auto english_only = translate(dir / "x.wav", {"--source-subtitles", (dir / "s.srt").string()});
  EXPECT_EQ(english_only.exit_code, 2);
  expect_one_line_error(english_only, "--source-subtitles");

  // No German voice on disk, offline, and with a Hub that does not answer: the model and the command.
  ScopedEnv env;
  env.set("HF_HOME", (dir / "hf").string());
  for (const char* v : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_OFFLINE"}) env.set(v, std::nullopt);
  env.set("HF_HUB_OFFLINE", "1");
  const std::vector<std::string> german = {"--to", "de", "--mt-model", model("m2m100-tiny-random")};
  const auto offline = translate(dir / "x.wav", german);
  EXPECT_EQ(offline.exit_code, 1);
  expect_one_line_error(offline, "parley models download facebook/mms-tts-deu");
  env.set("HF_HUB_OFFLINE", std::nullopt);
  env.set("HF_ENDPOINT", "http://127.0.0.1:1");  // a closed port
  const auto unreachable = translate(dir / "x.wav", german);
  EXPECT_EQ(unreachable.exit_code, 1);
  expect_one_line_error(unreachable, "parley models download facebook/mms-tts-deu");
  EXPECT_NE(unreachable.err.find("German text-to-speech model"), std::string::npos) << unreachable.err;
}

}  // namespace
}  // namespace parley::test
