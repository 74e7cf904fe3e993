// The one thing a search needs from a model: a decoder that extends hypotheses a token at a time.
//
// Whisper's and the translation models' decoder sessions implement this; the searches in
// generation/search.h run over it, so the project has one greedy and one beam search.
#pragma once

#include <span>

#include "tensor/tensor.h"

namespace parley::generation {

class StepDecoder {
 public:
  virtual ~StepDecoder() = default;
  virtual int vocab_size() const = 0;
  // Most hypotheses (rows) the session can hold at once, over all its inputs.
  virtual int max_beams() const = 0;
  // Hypotheses it holds now.
  virtual int beams() const = 0;
  // Drops all hypotheses and starts `beams` empty ones (the encoder's states stay). A session that
  // holds a batch of k encoded inputs (generation/search.h search_batch) takes a multiple of k:
  // hypothesis r then belongs to input r / (beams / k).
  virtual void reset(int beams) = 0;
  // Appends `n` tokens to every hypothesis (tokens[b * n + i] is token i of hypothesis b); returns
  // logits [beams, vocab] after each hypothesis' last new token, or [beams * n, vocab] for every new
  // position when `all_positions`. The reference is valid until the next call.
  virtual const Tensor& decode(std::span<const int> tokens, int n, bool all_positions = false) = 0;
  // Hypothesis b continues from previous hypothesis sources[b] (a new count up to max_beams()), and
  // belongs to its input.
  virtual void reorder(std::span<const int> sources) = 0;
};

}  // namespace parley::generation
