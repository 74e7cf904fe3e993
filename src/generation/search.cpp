#include "generation/search.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.h"
#include "generation/sampling.h"
#include "tensor/ops.h"

namespace parley::generation {

namespace {

// The prompt followed by every token the processors force after it (up to max_length; a forced eos
// ends it).
std::vector<int> forced_prefix(std::span<const int> prompt, const LogitsProcessors& processors,
                               const SearchOptions& opt) {
  if (prompt.empty()) invalid_argument("generation needs a decoder prompt");
  std::vector<int> seq(prompt.begin(), prompt.end());
  seq.reserve(static_cast<size_t>(std::max<int>(opt.max_length, static_cast<int>(seq.size()))) + 1);
  while (static_cast<int>(seq.size()) < opt.max_length) {
    const auto f = processors.forced(seq);
    if (!f) break;
    seq.push_back(*f);
    if (*f == opt.eos) break;
  }
  return seq;
}

bool finished(const std::vector<int>& seq, const SearchOptions& opt) {
  return static_cast<int>(seq.size()) >= opt.max_length || (seq.size() > 1 && seq.back() == opt.eos);
}

struct Candidate {
  float score;
  int64_t index;  // beam * vocab + token
};

// The k best scores, best first, equal scores by lower index.
void top_k(std::span<const float> scores, int k, std::vector<Candidate>& out) {
  out.clear();
  for (int64_t i = 0; i < static_cast<int64_t>(scores.size()); ++i) {
    const float s = scores[i];
    if (std::isnan(s) || (static_cast<int>(out.size()) == k && !(s > out.back().score))) continue;
    auto at = std::upper_bound(out.begin(), out.end(), s, [](float v, const Candidate& c) { return v > c.score; });
    if (static_cast<int>(out.size()) == k) out.pop_back();
    out.insert(at, Candidate{s, i});
  }
}

// Log-probabilities of one beam's next token, processed, plus the beam's running score.
void beam_scores_of(const float* logits, int vocab, const std::vector<int>& seq, float running,
                    const LogitsProcessors& processors, const SearchOptions& opt, std::span<float> out) {
  std::memcpy(out.data(), logits, sizeof(float) * vocab);
  if (opt.never_token >= 0 && opt.never_token < vocab) out[opt.never_token] = -std::numeric_limits<float>::infinity();
  ops::log_softmax(out.data(), vocab);
  processors.apply(seq, out);
  for (float& v : out) v += running;
}

// Feeds the prefix to a fresh single hypothesis (one call) and returns the logits after its last
// token. With a no-speech token, also records its probability at no_speech_position (the logits of
// every prefix position are computed then).
const float* prefill(StepDecoder& decoder, std::span<const int> prefix, const SearchOptions& opt, SearchResult& r) {
  const int n = static_cast<int>(prefix.size());
  const bool want_no_speech = opt.no_speech_token >= 0;
  decoder.reset(1);
  const Tensor& logits = decoder.decode(prefix, n, want_no_speech);
  if (!want_no_speech) return logits.row(0);
  if (opt.no_speech_position < 0 || opt.no_speech_position >= n || opt.no_speech_token >= logits.dim(1))
    invalid_argument("no_speech_position / no_speech_token outside the prompt or the vocabulary");
  std::span<const float> row(logits.row(opt.no_speech_position), static_cast<size_t>(logits.dim(1)));
  r.no_speech_prob = static_cast<float>(std::exp(row[opt.no_speech_token] - log_sum_exp(row)));
  return logits.row(n - 1);
}

}  // namespace

SearchResult search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                    const SearchOptions& options) {
  return options.num_beams > 1 ? beam_search(decoder, prompt, processors, options)
                               : greedy_search(decoder, prompt, processors, options);
}

SearchResult greedy_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                           const SearchOptions& opt) {
  SearchResult r;
  r.tokens = forced_prefix(prompt, processors, opt);
  std::vector<int>& seq = r.tokens;
  if (finished(seq, opt)) return r;
  const int vocab = decoder.vocab_size();
  std::vector<float> scores(vocab);
  std::mt19937_64 rng(opt.seed);
  const float* logits = prefill(decoder, seq, opt, r);
  while (true) {
    check(opt.control);
    std::memcpy(scores.data(), logits, sizeof(float) * vocab);
    processors.apply(seq, scores);
    const int next = opt.temperature > 0 ? sample_token(scores, opt.temperature, rng) : argmax(scores);
    if (opt.compute_logprobs) {
      r.sum_logprob += scores[next] - log_sum_exp(scores);
      ++r.scored_tokens;
    }
    seq.push_back(next);
    if (finished(seq, opt)) break;
    logits = decoder.decode(std::span<const int>(&seq.back(), 1), 1).data();
  }
  if (r.scored_tokens > 0) r.score = static_cast<float>(r.sum_logprob / r.scored_tokens);
  return r;
}

SearchResult beam_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                         const SearchOptions& opt) {
  const int B = opt.num_beams;
  if (opt.temperature > 0) invalid_argument("beam search does not sample: use temperature 0");
  if (B < 1 || B > decoder.max_beams())
    invalid_argument("num_beams " + std::to_string(B) + " is outside 1.." + std::to_string(decoder.max_beams()));
  SearchResult r;
  const std::vector<int> prefix = forced_prefix(prompt, processors, opt);
  if (finished(prefix, opt)) {
    r.tokens = prefix;
    return r;
  }
  const int vocab = decoder.vocab_size();
  // Every beam starts as the prefix; only the first scores 0 (the others -1e9), so the first step
  // picks B different continuations of one hypothesis, as the reference does.
  std::vector<std::vector<int>> seqs(B, prefix), next(B);
  for (auto& s : seqs) s.reserve(static_cast<size_t>(opt.max_length) + 1);
  for (auto& s : next) s.reserve(static_cast<size_t>(opt.max_length) + 1);
  std::vector<float> running(B, -1e9f), next_running(B);
  running[0] = 0.f;
  std::vector<int> tokens(B), sources(B);
  std::vector<float> scores(static_cast<size_t>(B) * vocab);
  std::vector<Candidate> top;
  top.reserve(2 * static_cast<size_t>(B) + 1);
  FinishedHypotheses done_hyps(B, opt.length_penalty, opt.early_stopping);

  const float* prefix_logits = prefill(decoder, prefix, opt, r);
  const Tensor* logits = nullptr;  // after the first step
  bool done = false;
  while (true) {
    check(opt.control);
    // Before the first step the decoder holds one hypothesis, the prefix every beam starts as.
    const bool first = logits == nullptr;
    for (int b = 0; b < B; ++b)
      beam_scores_of(first ? prefix_logits : logits->row(b), vocab, seqs[b], running[b], processors, opt,
                     std::span<float>(scores.data() + static_cast<size_t>(b) * vocab, vocab));
    top_k(scores, 2 * B, top);
    const int cur_len = static_cast<int>(seqs[0].size());
    // BeamSearchScorer.process: an eos among the best B candidates finishes a hypothesis; the best
    // B others continue.
    int kept = 0;
    for (size_t rank = 0; rank < top.size() && kept < B; ++rank) {
      const int beam = static_cast<int>(top[rank].index / vocab), token = static_cast<int>(top[rank].index % vocab);
      if (token == opt.eos) {
        if (static_cast<int>(rank) < B) done_hyps.add(seqs[beam], top[rank].score);
        continue;
      }
      next_running[kept] = top[rank].score;
      tokens[kept] = token;
      sources[kept] = first ? 0 : beam;
      ++kept;
    }
    if (kept < B) fail(ErrorKind::Internal, "beam search: fewer candidates than beams");
    done = done_hyps.is_done(top.front().score, cur_len + 1);
    for (int b = 0; b < B; ++b) {
      next[b].assign(seqs[sources[b]].begin(), seqs[sources[b]].end());
      next[b].push_back(tokens[b]);
    }
    seqs.swap(next);
    running.swap(next_running);
    if (done || cur_len + 1 >= opt.max_length) break;
    decoder.reorder(sources);
    logits = &decoder.decode(tokens, 1);
  }
  if (!done)
    for (int b = 0; b < B; ++b) done_hyps.add(seqs[b], running[b]);
  r.tokens = done_hyps.best_tokens();
  if (static_cast<int>(r.tokens.size()) < opt.max_length) r.tokens.push_back(opt.eos);
  r.score = static_cast<float>(done_hyps.best_score());
  return r;
}

void FinishedHypotheses::add(const std::vector<int>& tokens, float sum_logprobs) {
  const double score = static_cast<double>(sum_logprobs) / std::pow(static_cast<double>(tokens.size()), length_penalty_);
  if (static_cast<int>(kept_.size()) >= num_beams_ && !(score > worst_)) return;
  kept_.push_back(Kept{score, tokens});
  if (static_cast<int>(kept_.size()) <= num_beams_) {
    worst_ = std::min(score, worst_);
    return;
  }
  // Over the limit: drop the worst (the earliest added among equals, as sorted() + del), and the
  // next worst becomes the bar.
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < kept_.size(); ++i) order.emplace_back(kept_[i].score, i);
  std::sort(order.begin(), order.end());
  kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(order[0].second));
  worst_ = order[1].first;
}

bool FinishedHypotheses::is_done(float best_sum_logprobs, int cur_len) const {
  if (static_cast<int>(kept_.size()) < num_beams_) return false;
  if (early_stopping_) return true;
  return worst_ >= static_cast<double>(best_sum_logprobs) / std::pow(static_cast<double>(cur_len), length_penalty_);
}

size_t FinishedHypotheses::best_index() const {
  if (kept_.empty()) fail(ErrorKind::Internal, "beam search finished without hypotheses");
  size_t best = 0;
  for (size_t i = 1; i < kept_.size(); ++i)
    if (kept_[i].score >= kept_[best].score) best = i;
  return best;
}

const std::vector<int>& FinishedHypotheses::best_tokens() const { return kept_[best_index()].tokens; }
double FinishedHypotheses::best_score() const { return kept_[best_index()].score; }

}  // namespace parley::generation
