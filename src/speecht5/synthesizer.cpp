#include "speecht5/synthesizer.h"

#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "text/sentences.h"
#include "text/utf8.h"

namespace parley::speecht5 {

namespace {

// Sentences packed greedily into pieces of at most max_tokens tokens; a sentence too long alone is
// cut further (clauses, words).
std::vector<std::string> pack(const std::vector<std::string>& sentences, SplitMode mode,
                              const std::function<bool(std::string_view)>& fits) {
  std::vector<std::string> pieces;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) pieces.push_back(std::move(current));
    current.clear();
  };
  for (const std::string& sentence : sentences) {
    if (mode == SplitMode::WhenTooLong && !current.empty() && fits(current + " " + sentence)) {
      current += " " + sentence;
      continue;
    }
    flush();
    if (fits(sentence)) {
      current = sentence;
    } else {
      for (auto& part : sentences::split_to_fit(sentence, fits)) pieces.push_back(std::move(part));
    }
    if (mode == SplitMode::Sentences) flush();
  }
  flush();
  return pieces;
}

}  // namespace

std::vector<std::string> plan_pieces(const SpeechT5Tokenizer& tokenizer, std::string_view text, int64_t max_tokens,
                                     SplitMode mode) {
  utf8::require_valid(text, "the text");
  if (sentences::trim(text).empty()) bad_input("the text is empty: nothing to synthesize");
  const std::vector<int> ids = tokenizer.encode(text);
  if (!tokenizer.has_speakable(ids)) bad_input("the text has no character that the speech model knows");
  if (mode == SplitMode::WhenTooLong && static_cast<int64_t>(ids.size()) <= max_tokens)
    return {std::string(text)};  // unchanged: the reference's input exactly

  const auto fits = [&](std::string_view s) {
    return static_cast<int64_t>(tokenizer.encode(s).size()) <= max_tokens;
  };
  std::vector<std::string> pieces;
  for (auto& piece : pack(sentences::split(text), mode, fits)) {
    const std::vector<int> piece_ids = tokenizer.encode(piece);
    if (!tokenizer.has_speakable(piece_ids)) continue;  // e.g. a lone "..." between sentences
    if (static_cast<int64_t>(piece_ids.size()) > max_tokens)
      bad_input("a single character of the text needs more than the model's " + std::to_string(max_tokens) +
                " text positions");
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

Synthesizer::Synthesizer(std::shared_ptr<const SpeechT5Tts> tts, std::shared_ptr<const HifiGan> vocoder)
    : tts_(std::move(tts)), vocoder_(std::move(vocoder)), session_(tts_) {
  if (!vocoder_) fail(ErrorKind::Internal, "Synthesizer needs a vocoder");
  if (vocoder_->mel_bins() != tts_->config().num_mel_bins)
    bad_model("the vocoder takes " + std::to_string(vocoder_->mel_bins()) + " mel bins but the speech model makes " +
              std::to_string(tts_->config().num_mel_bins) + "; use a vocoder made for this model");
}

void Synthesizer::start(std::string_view text, const Tensor& speaker, const SynthesisOptions& options,
                        PrenetMasks& masks) {
  options.generate.validate();
  if (!std::isfinite(options.pause_seconds) || options.pause_seconds < 0 || options.pause_seconds > 60)
    invalid_argument("the pause between sentences must be 0 to 60 seconds");
  const TtsConfig& c = tts_->config();
  if (speaker.numel() != c.speaker_embedding_dim)
    bad_input("the speaker x-vector has " + std::to_string(speaker.numel()) + " values; this model needs " +
              std::to_string(c.speaker_embedding_dim));
  masks.check(c.prenet_layers, c.prenet_units);
  const std::string folded = options.fold_accents ? tts_->tokenizer().fold_unknown(text) : std::string();
  pieces_ = plan_pieces(tts_->tokenizer(), options.fold_accents ? std::string_view(folded) : text, tts_->max_tokens(),
                        options.split);
  next_piece_ = 0;
  speaker_ = speaker;
  options_ = options;
  masks_ = &masks;
}

bool Synthesizer::next(SpeechPiece& piece) {
  if (!masks_ || next_piece_ >= pieces_.size()) return false;
  piece.text = pieces_[next_piece_++];
  piece.ids = tts_->tokenizer().encode(piece.text);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  TtsResult r = session_.generate(piece.ids, speaker_, options_.generate, *masks_);
  const auto t1 = Clock::now();
  piece.mel = r.mel;
  piece.steps = r.steps;
  piece.stop = r.stop;
  piece.audio = vocoder_->vocode(r.mel);
  piece.tts_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  piece.vocoder_ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
  return true;
}

int64_t Synthesizer::pause_samples() const {
  return static_cast<int64_t>(std::llround(options_.pause_seconds * vocoder_->sample_rate()));
}

Speech Synthesizer::synthesize(std::string_view text, const Tensor& speaker, const SynthesisOptions& options,
                               PrenetMasks& masks, const std::function<void(const SpeechPiece&)>& on_piece) {
  start(text, speaker, options, masks);
  Speech speech;
  speech.sample_rate = sample_rate();
  SpeechPiece piece;
  int64_t frames = 0;
  while (next(piece)) {
    if (on_piece) on_piece(piece);
    if (!speech.pieces.empty()) speech.audio.insert(speech.audio.end(), static_cast<size_t>(pause_samples()), 0.f);
    speech.audio.insert(speech.audio.end(), piece.audio.begin(), piece.audio.end());
    piece.audio.clear();
    frames += piece.mel.dim(0);
    speech.pieces.push_back(std::move(piece));
    piece = SpeechPiece();
  }
  const int64_t bins = tts_->config().num_mel_bins;
  speech.mel = Tensor({frames, bins});
  int64_t row = 0;
  for (const SpeechPiece& p : speech.pieces) {
    std::memcpy(speech.mel.row(row), p.mel.data(), sizeof(float) * p.mel.numel());
    row += p.mel.dim(0);
  }
  return speech;
}

}  // namespace parley::speecht5
