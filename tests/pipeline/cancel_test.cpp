// A cancelled request stops inside the models (core/run_control.h): Whisper's decoder steps, the
// translation model's, SpeechT5's, each check the request's RunControl, so a server whose client left
// frees its worker within a step, not at the end of the recording. The server's side (the socket
// watched, the 499 counted) is tests/server/operator_test.cpp's.
#include <gtest/gtest.h>

#include "audio/decode.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/run_control.h"
#include "pipeline_fixtures.h"

namespace parley::test {
namespace {

using pipeline::Pipeline;

ErrorKind kind_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Internal;  // no error at all: not what any test here wants
}

std::shared_ptr<Pipeline> pipeline_with_french() {
  pipeline::PipelineOptions o = fixture_options(8);
  o.mt_model = data_path("models/m2m100-tiny-random").string();
  o.tts_models = {{"French", data_path("models/vits-tiny-random").string()}};
  return Pipeline::load(o);
}

// Cancelled before it starts: not one decoder step runs.
TEST(Cancellation, ACancelledRequestDoesNoWork) {
  const auto p = Pipeline::load(fixture_options(8));
  RunControl control;
  control.cancel();
  TranslateRequest r;
  r.control = &control;
  bool recognised = false;
  r.on_recognized = [&](const AsrResult&) { recognised = true; };
  EXPECT_EQ(kind_of([&] { p->translate(audio::decode_file(data_path("audio/jfk.wav")), r); }), ErrorKind::Cancelled);
  EXPECT_FALSE(recognised);
}

// Cancelled when the first of two windows is recognised: the second is never decoded.
TEST(Cancellation, LongAudioStopsBeforeTheNextWindow) {
  const auto p = Pipeline::load(fixture_options(8));
  std::vector<float> clip = audio::decode_file(data_path("audio/long_2min.wav"));
  clip.resize(45 * 16000);
  RunControl control;
  int windows = 0;
  control.on_progress = [&](const Progress& q) {
    if (q.stage == "asr" && ++windows == 1) control.cancel();
  };
  AsrRequest r;
  r.language = "es";
  r.temperature_fallback = false;
  r.control = &control;
  EXPECT_EQ(kind_of([&] { p->speech_to_text(clip, r); }), ErrorKind::Cancelled);
  EXPECT_EQ(windows, 1);
}

// Speech sentence by sentence, cancelled after the first sentence's audio: no second one.
TEST(Cancellation, SpeechStopsAfterThePieceInProgress) {
  const auto p = Pipeline::load(fixture_options(8));
  RunControl control;
  TtsRequest r;
  r.text = "One sentence here. Another one there. And a third.";
  r.sentence_by_sentence = true;
  r.control = &control;
  int pieces = 0;
  r.on_chunk = [&](const AudioChunk&) {
    ++pieces;
    control.cancel();
  };
  EXPECT_EQ(kind_of([&] { p->text_to_speech(r); }), ErrorKind::Cancelled);
  EXPECT_EQ(pieces, 1);
}

// Into French: cancelled when the transcript is ready, before its first sentence is translated.
TEST(Cancellation, TranslationStopsBeforeTheFirstSentence) {
  const auto p = pipeline_with_french();
  RunControl control;
  TranslateRequest r;
  r.language = "es";
  r.target_language = "fr";
  r.control = &control;
  r.on_recognized = [&](const AsrResult&) { control.cancel(); };
  int spoken = 0;
  r.on_chunk = [&](const AudioChunk&) { ++spoken; };
  EXPECT_EQ(kind_of([&] { p->translate(audio::decode_file(data_path("audio/es.wav")), r); }), ErrorKind::Cancelled);
  EXPECT_EQ(spoken, 0);
}

}  // namespace
}  // namespace parley::test
