// Text to speech with SpeechT5 + HiFi-GAN: text -> pieces (sentences) -> mel -> audio.
//
// Text the model can take in one go (at most max_text_positions tokens) is synthesized as one piece,
// exactly as the reference's generate_speech would. Longer text is cut at sentence boundaries (then
// clauses, then words; see text/sentences.h), sentences packed into as few pieces as fit, each piece
// synthesized on its own, and the audio joined with a short pause: never truncated.
//
// Like Piper, synthesis can go one piece at a time: start() plans the pieces (and reports bad input
// before any work), next() synthesizes and returns the next one, so a caller can play or stream the
// first sentence while the rest is made. SplitMode::Sentences makes every sentence its own piece,
// for the earliest first audio.
//
// The models are shared read-only; a Synthesizer holds one request's decoding state (a TtsSession):
// give each worker thread its own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "speecht5/hifigan.h"
#include "speecht5/tts_model.h"

namespace parley::speecht5 {

enum class SplitMode {
  WhenTooLong,  // one piece when the text fits the model, else sentences packed into pieces that fit
  Sentences,    // one piece per sentence (split further only when a sentence alone is too long)
};

struct SynthesisOptions {
  GenerateOptions generate;
  SplitMode split = SplitMode::WhenTooLong;
  double pause_seconds = 0.25;  // silence between pieces
  // Letters the model lacks read without their accents (SpeechT5Tokenizer::fold_unknown); off, they
  // are <unk> as in the reference.
  bool fold_accents = false;
};

// One synthesized piece of the text.
struct SpeechPiece {
  std::string text;
  std::vector<int> ids;
  Tensor mel;                // [frames, num_mel_bins] after the postnet
  std::vector<float> audio;  // the vocoder's samples for this piece alone
  int64_t steps = 0;
  StopReason stop = StopReason::MaxLength;
  double tts_ms = 0;      // time SpeechT5 took for this piece (text encoder, decoder loop, postnet)
  double vocoder_ms = 0;  // time HiFi-GAN took for it
};

// The whole text's speech.
struct Speech {
  std::vector<float> audio;  // pieces joined with pauses
  int sample_rate = 0;
  Tensor mel;                // [frames, num_mel_bins]: every piece's mel, one after another (no pauses)
  std::vector<SpeechPiece> pieces;  // per piece (their audio moved into `audio`; left empty here)
};

// The pieces `text` is synthesized in. Throws Error(BadInput) for text that is empty (or only spaces),
// not UTF-8, or has no character the model can speak.
std::vector<std::string> plan_pieces(const SpeechT5Tokenizer& tokenizer, std::string_view text, int64_t max_tokens,
                                     SplitMode mode);

class Synthesizer {
 public:
  // Throws Error(BadModel) when the vocoder's mel size is not the TTS model's.
  Synthesizer(std::shared_ptr<const SpeechT5Tts> tts, std::shared_ptr<const HifiGan> vocoder);

  // Plans the pieces of `text` and checks the speaker; `masks` must outlive the calls to next().
  void start(std::string_view text, const Tensor& speaker, const SynthesisOptions& options, PrenetMasks& masks);
  // Synthesizes the next piece into `piece`; false when all pieces are done.
  bool next(SpeechPiece& piece);
  size_t piece_count() const { return pieces_.size(); }
  // Samples of silence between two pieces.
  int64_t pause_samples() const;

  // start() and next() to the end, joined. `on_piece`, when set, sees each piece (with its audio)
  // as soon as it is made, before it is joined: for streaming and per-stage timings.
  Speech synthesize(std::string_view text, const Tensor& speaker, const SynthesisOptions& options, PrenetMasks& masks,
                    const std::function<void(const SpeechPiece&)>& on_piece = {});

  int sample_rate() const { return vocoder_->sample_rate(); }
  const SpeechT5Tts& tts() const { return *tts_; }
  const HifiGan& vocoder() const { return *vocoder_; }

 private:
  std::shared_ptr<const SpeechT5Tts> tts_;
  std::shared_ptr<const HifiGan> vocoder_;
  TtsSession session_;
  std::vector<std::string> pieces_;
  size_t next_piece_ = 0;
  Tensor speaker_;
  SynthesisOptions options_;
  PrenetMasks* masks_ = nullptr;
};

}  // namespace parley::speecht5
