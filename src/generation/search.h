// Greedy search and beam search over any StepDecoder, with the semantics of transformers 4.27.1
// (generation/utils.py greedy_search and beam_search, generation/beam_search.py BeamSearchScorer).
#pragma once

#include "core/run_control.h"

#include <cstdint>
#include <span>
#include <vector>

#include "generation/logits.h"
#include "generation/step_decoder.h"

namespace parley::generation {

struct SearchOptions {
  int max_length = 20;  // total sequence length (decoder prompt included) at which generation stops
  int eos = 2;          // a hypothesis ends with it
  int num_beams = 1;
  float length_penalty = 1.0f;  // beam score = sum of log-probs / length ** length_penalty
  bool early_stopping = false;  // true: stop once num_beams hypotheses are finished
  // >= 0: this token's logit is -inf before beam search's log-softmax (the reference's
  // adjust_logits_during_generation, MarianMTModel's "never predict pad"). Greedy ignores it.
  int never_token = -1;
  // > 0: greedy draws each token from softmax(scores / temperature) instead of taking the best
  // (openai/whisper's temperature fallback), with a generator seeded by `seed`. Beam search refuses it.
  float temperature = 0.f;
  uint64_t seed = 0;
  // Greedy: also sum the log-probabilities (after the processors) of the chosen tokens.
  bool compute_logprobs = false;
  // Checked before every step (throws Error(Cancelled)): a cancelled request stops within one
  // decoder step. Null: never cancelled.
  const RunControl* control = nullptr;
  // >= 0: report the probability of this token (Whisper's <|nocaptions|>) at prompt position
  // no_speech_position (that of <|startoftranscript|>), as long-form decoding's no-speech test uses.
  int no_speech_token = -1;
  int no_speech_position = 0;
};

struct SearchResult {
  std::vector<int> tokens;  // the whole sequence, prompt included, eos included when reached
  // Beam search: the reference's sequences_scores (length-normalised sum of log-probs).
  // Greedy with compute_logprobs: the mean log-probability of the generated (unforced) tokens.
  float score = 0.f;
  double sum_logprob = 0;      // greedy with compute_logprobs: sum over the generated tokens
  int scored_tokens = 0;       // how many tokens sum_logprob covers
  float no_speech_prob = 0.f;  // with SearchOptions::no_speech_token
};

// The prompt and the tokens the processors force after it are fed to the decoder in one call; then
// one token per step. The decoder is reset first. Virtual calls are per step (the decoder, each
// processor), never per vocabulary entry.
SearchResult greedy_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                           const SearchOptions& options);
SearchResult beam_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                         const SearchOptions& options);
// Greedy for num_beams == 1, beam search otherwise.
SearchResult search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                    const SearchOptions& options);

// The same searches over a batch: the decoder holds `inputs` encoded inputs (a translation model's
// sentences) and the search runs (inputs x num_beams) hypotheses as the decoder's rows, input by
// input. Every input starts from the same prompt with the same processors and options, and gets
// exactly the result it gets alone (the reference's generate() on a padded batch). An input whose
// search ends drops its rows (reorder), so it stops costing decoder work. The single-input searches
// above are these with inputs = 1.
std::vector<SearchResult> search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                       const LogitsProcessors& processors, const SearchOptions& options);
std::vector<SearchResult> greedy_search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                              const LogitsProcessors& processors, const SearchOptions& options);
std::vector<SearchResult> beam_search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                            const LogitsProcessors& processors, const SearchOptions& options);

// The reference's BeamHypotheses: the n best finished hypotheses of one input.
class FinishedHypotheses {
 public:
  FinishedHypotheses(int num_beams, float length_penalty, bool early_stopping)
      : num_beams_(num_beams), length_penalty_(length_penalty), early_stopping_(early_stopping) {}
  // Adds a hypothesis (without its eos) with its summed log-probability.
  void add(const std::vector<int>& tokens, float sum_logprobs);
  // Whether no running hypothesis can still beat the worst kept one.
  bool is_done(float best_sum_logprobs, int cur_len) const;
  size_t size() const { return kept_.size(); }
  // The best (the last added among equal scores, as the reference's sorted() + pop()), and its score.
  const std::vector<int>& best_tokens() const;
  double best_score() const;

 private:
  struct Kept {
    double score;
    std::vector<int> tokens;
  };
  size_t best_index() const;
  int num_beams_;
  double length_penalty_;
  bool early_stopping_;
  std::vector<Kept> kept_;
  double worst_ = 1e9;
};

}  // namespace parley::generation
