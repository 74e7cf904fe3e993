// A SpeechService without models, for the server's tests: every answer is computed from the input
// (so a test can tell which audio and options reached it) and it can be made slow or held, to fill
// the server's queue deterministically.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "pipeline/service.h"

namespace parley::test {

class FakeSpeechService : public SpeechService {
 public:
  // Length of one fake segment, seconds.
  static constexpr double kSegmentSeconds = 4.0;

  AsrResult speech_to_text(std::span<const float> audio16k, const AsrRequest& request) override;
  // The language whose speech model is "not on disk": asking for it throws Error(NotFound).
  static constexpr const char* kMissingTtsLanguage = "de";

  // Text "error: bad input" throws Error(BadInput); "error: crash" throws std::runtime_error;
  // "error: out of memory" throws std::bad_alloc. A tone of 20 ms per character divided by `speed`,
  // its pitch set by the voice (English) or the language (others), its phase by the seed. English
  // (SpeechT5) refuses a speed other than 1 with Error(InvalidArgument), as the real service does.
  TtsResult text_to_speech(const TtsRequest& request) override;
  // English targets: the "English" transcript spoken whole, or segment by segment with on_chunk.
  // Other targets: the "Spoken" transcript is source_text, and each segment's text marked "[<to>]"
  // is its translation (text); on_recognized gets the transcript (see routes_stream.cpp).
  TranslateResult translate(std::span<const float> audio16k, const TranslateRequest& request) override;
  std::vector<std::string> voices() const override;
  // en, fr (models on disk), de (speech model not on disk), and Acehnese (spoken, not heard); after
  // set_lists_languages(false), SpeechService's default (none: the server lists Whisper's and English).
  std::vector<LanguageSupport> languages() const override;
  void set_lists_languages(bool lists) { lists_languages_ = lists; }
  std::string default_voice() const override { return "slt"; }
  ServiceInfo info() const override { return {"fake-whisper", "fake-speecht5", "fake-hifigan"}; }

  // Every call sleeps this long first (0 = no delay).
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  // While held, every call waits (after counting itself as active) until release().
  void hold();
  void release();
  int active() const { return active_; }  // calls inside the service now
  int calls() const { return calls_; }    // calls so far

  // What the server passed in (copies, in call order).
  std::vector<AsrRequest> asr_requests() const;
  std::vector<TtsRequest> tts_requests() const;
  std::vector<TranslateRequest> translate_requests() const;

 private:
  // Counts the call, then waits out the delay and any hold(); Error(Cancelled) when `control` is
  // cancelled meanwhile.
  void enter(const RunControl* control);
  void leave() { --active_; }

  std::atomic<bool> lists_languages_{true};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> active_{0};
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
  std::vector<AsrRequest> asr_requests_;
  std::vector<TtsRequest> tts_requests_;
  std::vector<TranslateRequest> translate_requests_;
};

}  // namespace parley::test
