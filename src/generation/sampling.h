// Small numeric helpers the searches and logits rules share: the best token, a seeded draw at a
// temperature (openai/whisper's sampling), and log-sum-exp in double precision.
#pragma once

#include <random>
#include <span>

namespace parley::generation {

// Index of the largest score; the first one on ties (as torch.argmax).
int argmax(std::span<const float> scores);

// A draw from softmax(scores / temperature) (openai/whisper's sampling at temperature > 0); -inf
// scores are never drawn. Deterministic for a given generator state.
int sample_token(std::span<const float> scores, float temperature, std::mt19937_64& rng);

// log(sum(exp(x))) in double; -inf for an empty or all -inf range.
double log_sum_exp(std::span<const float> x);

}  // namespace parley::generation
