// The other-language side of the pipeline through its API (fixture models): the bounded LRU model
// cache; TtsRequest::language and speed (VITS's speaking rate; SpeechT5 refuses); translate() into
// French streamed chunk by chunk after the transcript is known; a long recording into French streamed
// window by window equals the unstreamed run, with progress reports; languages() with models and disk state.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/error.h"
#include "pipeline/model_cache.h"
#include "pipeline/pipeline.h"
#include "pipeline/vits_engine.h"
#include "audio/decode.h"
#include "audio/wav.h"
#include "common/test_util.h"
#include "pipeline_fixtures.h"

namespace parley::test {
namespace {

using pipeline::ModelCache;

TEST(ModelCache, KeepsTheMostRecentlyUsedUpToItsCapacity) {
  ModelCache<std::string, const int> cache(2);
  int loads = 0;
  auto load = [&](int v) { return [&loads, v] { ++loads; return std::make_shared<const int>(v); }; };
  EXPECT_EQ(*cache.get("a", load(1)), 1);
  EXPECT_EQ(*cache.get("b", load(2)), 2);
  EXPECT_EQ(*cache.get("a", load(99)), 1);  // a hit: not loaded again, now the most recent
  EXPECT_EQ(loads, 2);
  const auto c = cache.get("c", load(3));   // b is the least recently used: dropped
  EXPECT_TRUE(cache.contains("a"));
  EXPECT_FALSE(cache.contains("b"));
  EXPECT_TRUE(cache.contains("c"));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_THROW(cache.get("d", []() -> std::shared_ptr<const int> { throw std::runtime_error("broken"); }),
               std::runtime_error);
  EXPECT_TRUE(cache.contains("a"));  // a failed load changes nothing
  EXPECT_TRUE(cache.contains("c"));
}

TEST(ModelCache, ServesManyThreadsAtOnce) {
  ModelCache<int, const int> cache(3);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int key = (i + t) % 5;
        if (*cache.get(key, [key] { return std::make_shared<const int>(key * 10); }) != key * 10) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 3u);
}

std::string vits_dir() { return data_path("models/vits-tiny-random").string(); }

std::shared_ptr<pipeline::Pipeline> french_pipeline() {
  pipeline::PipelineOptions o = fixture_options(8);
  o.mt_model = data_path("models/m2m100-tiny-random").string();
  o.tts_models = {{"French", vits_dir()}};
  return pipeline::Pipeline::load(o);
}

TEST(TargetSpeech, TextToSpeechInFrenchIsTheVoicesOwnAndHonoursSpeed) {
  const auto p = french_pipeline();
  TtsRequest r;
  r.text = "bonjour le monde";
  r.language = "fra";
  const TtsResult got = p->text_to_speech(r);
  pipeline::VitsEngine engine(vits::VitsModel::load(vits_dir()), {}, std::make_unique<vits::SeededNoise>(vits::kDefaultSeed));
  EXPECT_EQ(got.audio, engine.speak(r.text, false, nullptr));
  EXPECT_EQ(got.sample_rate, engine.sample_rate());

  r.speed = 2.0;
  const TtsResult fast = p->text_to_speech(r);
  EXPECT_GT(fast.audio.size(), 0u);
  EXPECT_LT(fast.audio.size(), got.audio.size());

  auto kind_of = [&](TtsRequest q) {
    try {
      p->text_to_speech(q);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  r.speed = 5.0;
  EXPECT_EQ(kind_of(r), ErrorKind::InvalidArgument);  // out of range
  TtsRequest english;
  english.text = "hello";
  english.speed = 1.5;
  EXPECT_EQ(kind_of(english), ErrorKind::InvalidArgument);  // SpeechT5 has no speaking rate
  TtsRequest voiced = r;
  voiced.speed.reset();
  voiced.voice = "slt";
  EXPECT_EQ(kind_of(voiced), ErrorKind::InvalidArgument);  // the voices are English
  TtsRequest unknown;
  unknown.text = "hola";
  unknown.language = "xq";
  EXPECT_EQ(kind_of(unknown), ErrorKind::InvalidArgument);
}

TEST(TargetSpeech, TranslateIntoFrenchStreamsAfterTheTranscript) {
  const auto p = french_pipeline();
  const std::vector<float> audio = audio::read_wav(data_path("audio/es.wav")).samples;
  TranslateRequest r;
  r.language = "es";
  r.target_language = "fr";
  std::string heard;
  std::vector<float> streamed;
  size_t chunks = 0;
  r.on_recognized = [&](const AsrResult& a) { heard = a.text; };
  r.on_chunk = [&](const AudioChunk& c) {
    EXPECT_FALSE(heard.empty());  // the transcript came first
    EXPECT_EQ(c.index, chunks++);
    streamed.insert(streamed.end(), c.audio.begin(), c.audio.end());
  };
  const TranslateResult out = p->translate(audio, r);
  EXPECT_EQ(out.source_text, heard);
  EXPECT_EQ(out.target_language, "fr");
  EXPECT_FALSE(out.text.empty());
  EXPECT_GT(chunks, 0u);
  EXPECT_EQ(streamed, out.audio);
  EXPECT_GT(out.first_audio_ms, 0);
  ASSERT_FALSE(out.segments.empty());
  bool has_mt = false;
  for (const auto& [stage, ms] : out.timings) has_mt = has_mt || stage == "mt";
  EXPECT_TRUE(has_mt);
}

// A recording of two windows into French, streamed: each window's transcript is handed over as it
// is decoded (a sentence that may go on into the next window is held), progress is reported window
// by window, and the result (text, segments, audio) is the unstreamed run's, sample for sample.
TEST(TargetSpeech, LongAudioStreamedWindowByWindowEqualsTheWholeRun) {
  const auto p = french_pipeline();
  std::vector<float> clip = audio::decode_file(data_path("audio/long_2min.wav"));
  clip.resize(45 * 16000);
  TranslateRequest r;
  r.language = "es";
  r.target_language = "fr";
  r.seed = 7;
  r.temperature_fallback = false;
  const TranslateResult whole = p->translate(clip, r);

  std::vector<std::string> events;
  std::vector<AsrResult> windows;
  std::vector<float> joined;
  std::vector<Progress> progress;
  RunControl control;
  control.on_progress = [&](const Progress& q) { progress.push_back(q); };
  r.control = &control;
  r.on_recognized = [&](const AsrResult& w) {
    events.push_back("text");
    windows.push_back(w);
  };
  r.on_chunk = [&](const AudioChunk& c) {
    events.push_back("audio");
    joined.insert(joined.end(), c.audio.begin(), c.audio.end());
  };
  const TranslateResult streamed = p->translate(clip, r);
  ASSERT_GE(windows.size(), 2u) << ::testing::PrintToString(events);
  EXPECT_EQ(events.front(), "text");
  ASSERT_FALSE(windows.back().segments.empty());
  EXPECT_GT(windows.back().segments.back().start, 30.0);  // timed from the recording's start
  std::string heard;  // the windows' segments make the whole transcript
  for (const AsrResult& w : windows)
    for (const Segment& s : w.segments) heard += s.text;
  EXPECT_EQ(trimmed(heard), whole.source_text);

  EXPECT_EQ(streamed.source_text, whole.source_text);
  EXPECT_EQ(streamed.text, whole.text);
  ASSERT_EQ(streamed.segments.size(), whole.segments.size());
  for (size_t i = 0; i < whole.segments.size(); ++i) {
    EXPECT_EQ(streamed.segments[i].text, whole.segments[i].text);
    EXPECT_EQ(streamed.segments[i].start, whole.segments[i].start);
    EXPECT_EQ(streamed.segments[i].end, whole.segments[i].end);
  }
  ASSERT_FALSE(whole.audio.empty());
  EXPECT_EQ(streamed.audio, whole.audio);
  EXPECT_EQ(joined, whole.audio);

  // Progress: the seconds recognised window by window, then translation and speech.
  std::vector<const Progress*> asr;
  for (const Progress& q : progress)
    if (q.stage == "asr") asr.push_back(&q);
  ASSERT_GE(asr.size(), windows.size());
  for (size_t i = 0; i < asr.size(); ++i) {
    EXPECT_EQ(asr[i]->detail.rfind("window " + std::to_string(i + 1) + " of ", 0), 0u) << asr[i]->detail;
    EXPECT_EQ(asr[i]->total, 45.0);
    EXPECT_EQ(asr[i]->unit, "s");
    if (i > 0) {
      EXPECT_GE(asr[i]->done, asr[i - 1]->done);
    }
  }
  EXPECT_EQ(asr.front()->done, 30.0);
  EXPECT_EQ(asr.back()->done, 45.0);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().stage, "tts");
  EXPECT_NEAR(progress.back().done, static_cast<double>(whole.audio.size()) / whole.sample_rate, 1e-9);
}

TEST(TargetSpeech, LanguagesListModelsAndWhatIsOnDisk) {
  const auto p = french_pipeline();
  const std::vector<LanguageSupport> all = p->languages();
  EXPECT_GT(all.size(), 100u);
  auto row = [&](const std::string& code) {
    for (const auto& l : all)
      if (l.code == code) return l;
    ADD_FAILURE() << code << " not listed";
    return LanguageSupport{};
  };
  const LanguageSupport fr = row("fr"), en = row("en"), de = row("de");
  EXPECT_TRUE(fr.hear && fr.speak && fr.tts_on_disk && fr.mt_on_disk);
  EXPECT_EQ(fr.tts_model, "vits-tiny-random");  // a folder by its own name only
  EXPECT_EQ(fr.mt_model, "m2m100-tiny-random");
  EXPECT_TRUE(en.speak && en.tts_on_disk);
  EXPECT_EQ(en.tts_model, "speecht5-tiny-random");
  EXPECT_EQ(de.tts_model, "facebook/mms-tts-deu");
}

}  // namespace
}  // namespace parley::test
