#include "whisper/search.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.h"
#include "tensor/ops.h"
#include "whisper/sampling.h"

namespace parley::whisper {

namespace {

// The prompt followed by every token the processors force after it (up to max_length).
std::vector<int> forced_prefix(std::span<const int> prompt, const LogitsProcessors& processors, int max_length) {
  if (prompt.empty()) invalid_argument("generation needs a decoder prompt");
  std::vector<int> seq(prompt.begin(), prompt.end());
  seq.reserve(static_cast<size_t>(std::max<int>(max_length, static_cast<int>(seq.size()))) + 1);
  while (static_cast<int>(seq.size()) < max_length) {
    auto f = processors.forced(seq);
    if (!f) break;
    seq.push_back(*f);
  }
  return seq;
}

struct Candidate {
  float score;
  int64_t index;  // beam * vocab + token
};

// The k best of `scores` by value, ties by lower index (a stable descending top-k).
void top_k(std::span<const float> scores, int k, std::vector<Candidate>& out) {
  out.clear();
  for (int64_t i = 0; i < static_cast<int64_t>(scores.size()); ++i) {
    const float s = scores[i];
    if (std::isnan(s)) continue;
    if (static_cast<int>(out.size()) == k && !(s > out.back().score)) continue;
    auto pos = std::upper_bound(out.begin(), out.end(), s, [](float v, const Candidate& c) { return v > c.score; });
    if (static_cast<int>(out.size()) == k) out.pop_back();
    out.insert(pos, Candidate{s, i});
  }
}

// Feeds the prefix to a fresh session (one call) and returns the logits after its last token. With
// a no-speech token, also records its probability at no_speech_position (the logits of every
// prefix position are computed then).
const float* prefill(DecoderSession& session, std::span<const int> prefix, const SearchOptions& opt, SearchResult& r) {
  const int n = static_cast<int>(prefix.size());
  const bool want_no_speech = opt.no_speech_token >= 0;
  session.reset(1);
  const Tensor& logits = session.decode(prefix, n, want_no_speech);
  if (!want_no_speech) return logits.row(0);
  if (opt.no_speech_position < 0 || opt.no_speech_position >= n || opt.no_speech_token >= logits.dim(1))
    invalid_argument("no_speech_position / no_speech_token outside the prompt or the vocabulary");
  std::span<const float> row(logits.row(opt.no_speech_position), static_cast<size_t>(logits.dim(1)));
  r.no_speech_prob = static_cast<float>(std::exp(row[opt.no_speech_token] - log_sum_exp(row)));
  return logits.row(n - 1);
}

}  // namespace

SearchResult search(DecoderSession& session, std::span<const int> prompt, const LogitsProcessors& processors,
                    const SearchOptions& options) {
  return options.num_beams > 1 ? beam_search(session, prompt, processors, options)
                               : greedy_search(session, prompt, processors, options);
}

SearchResult greedy_search(DecoderSession& session, std::span<const int> prompt, const LogitsProcessors& processors,
                           const SearchOptions& opt) {
  SearchResult r;
  r.tokens = forced_prefix(prompt, processors, opt.max_length);
  std::vector<int>& seq = r.tokens;
  if (static_cast<int>(seq.size()) >= opt.max_length) return r;
  const int vocab = session.model().config().vocab_size;
  std::vector<float> scores(vocab);
  std::mt19937_64 rng(opt.seed);
  const float* logits = prefill(session, seq, opt, r);
  while (true) {
    std::memcpy(scores.data(), logits, sizeof(float) * vocab);
    processors.apply(seq, scores);
    const int next = opt.temperature > 0 ? sample_token(scores, opt.temperature, rng) : argmax(scores);
    if (opt.compute_logprobs) {
      r.sum_logprob += scores[next] - log_sum_exp(scores);
      ++r.scored_tokens;
    }
    seq.push_back(next);
    if (next == opt.eos || static_cast<int>(seq.size()) >= opt.max_length) break;
    logits = session.decode(std::span<const int>(&seq.back(), 1), 1).data();
  }
  if (r.scored_tokens > 0) r.score = static_cast<float>(r.sum_logprob / r.scored_tokens);
  return r;
}

SearchResult beam_search(DecoderSession& session, std::span<const int> prompt, const LogitsProcessors& processors,
                         const SearchOptions& opt) {
  const int B = opt.num_beams;
  if (opt.temperature > 0) invalid_argument("beam search does not sample: use temperature 0");
  if (B < 1 || B > session.max_beams())
    invalid_argument("num_beams " + std::to_string(B) + " is outside 1.." + std::to_string(session.max_beams()));
  SearchResult r;
  const std::vector<int> prefix = forced_prefix(prompt, processors, opt.max_length);
  if (static_cast<int>(prefix.size()) >= opt.max_length) {
    r.tokens = prefix;
    return r;
  }
  const int vocab = session.model().config().vocab_size;

  // All beams start as the prefix; the first beam scores 0 and the others -1e9, so the first
  // choice only takes tokens of the first (the reference's trick against B identical beams).
  std::vector<std::vector<int>> seqs(B, prefix), next_seqs(B);
  for (auto& s : next_seqs) s.reserve(opt.max_length + 1);
  for (auto& s : seqs) s.reserve(opt.max_length + 1);
  std::vector<float> beam_scores(B, -1e9f), next_scores(B);
  beam_scores[0] = 0.f;
  std::vector<int> next_tokens(B), sources(B);
  std::vector<float> scores(static_cast<size_t>(B) * vocab);
  std::vector<Candidate> top;
  top.reserve(2 * B + 1);
  BeamHypotheses hyps(B, opt.length_penalty, opt.early_stopping);

  const float* first = prefill(session, prefix, opt, r);
  const Tensor* logits = nullptr;  // after the first step
  bool done = false;
  while (true) {
    for (int b = 0; b < B; ++b) {
      // Before the first step every beam is the prefix.
      const float* row = logits ? logits->row(b) : first;
      std::span<float> s(scores.data() + static_cast<size_t>(b) * vocab, vocab);
      std::memcpy(s.data(), row, sizeof(float) * vocab);
      ops::log_softmax(s.data(), vocab);
      processors.apply(seqs[b], s);
      for (float& v : s) v += beam_scores[b];
    }
    top_k(scores, 2 * B, top);
    const int cur_len = static_cast<int>(seqs[0].size());
    // BeamSearchScorer.process: eos among the top B candidates finishes a hypothesis; the best B
    // others continue.
    int kept = 0;
    for (size_t rank = 0; rank < top.size() && kept < B; ++rank) {
      const int beam = static_cast<int>(top[rank].index / vocab);
      const int token = static_cast<int>(top[rank].index % vocab);
      if (token == opt.eos) {
        if (static_cast<int>(rank) >= B) continue;
        hyps.add(seqs[beam], top[rank].score);
      } else {
        next_scores[kept] = top[rank].score;
        next_tokens[kept] = token;
        sources[kept] = beam;
        ++kept;
      }
    }
    if (kept < B) fail(ErrorKind::Internal, "beam search: fewer candidates than beams");
    done = hyps.is_done(top.front().score, cur_len + 1);
    for (int b = 0; b < B; ++b) {
      next_seqs[b].assign(seqs[sources[b]].begin(), seqs[sources[b]].end());
      next_seqs[b].push_back(next_tokens[b]);
    }
    seqs.swap(next_seqs);
    beam_scores.swap(next_scores);
    if (session.beams() == 1) std::fill(sources.begin(), sources.end(), 0);
    if (done || cur_len + 1 >= opt.max_length) break;
    session.reorder(sources);
    logits = &session.decode(next_tokens, 1);
  }
  if (!done)
    for (int b = 0; b < B; ++b) hyps.add(seqs[b], beam_scores[b]);
  r.tokens = hyps.best_tokens();
  if (static_cast<int>(r.tokens.size()) < opt.max_length) r.tokens.push_back(opt.eos);
  r.score = static_cast<float>(hyps.best_score());
  return r;
}

// ------------------------------------------------------------------------------ BeamHypotheses

void BeamHypotheses::add(std::vector<int> tokens, float sum_logprobs) {
  const double score = static_cast<double>(sum_logprobs) / std::pow(static_cast<double>(tokens.size()), length_penalty_);
  if (static_cast<int>(beams_.size()) >= num_beams_ && !(score > worst_score_)) return;
  beams_.push_back(Hyp{score, std::move(tokens)});
  if (static_cast<int>(beams_.size()) > num_beams_) {
    // Drop the worst (the earliest added among equals), as the reference's sorted() + del.
    std::vector<std::pair<double, size_t>> order;
    for (size_t i = 0; i < beams_.size(); ++i) order.emplace_back(beams_[i].score, i);
    std::sort(order.begin(), order.end());
    beams_.erase(beams_.begin() + static_cast<std::ptrdiff_t>(order[0].second));
    worst_score_ = order[1].first;
  } else {
    worst_score_ = std::min(score, worst_score_);
  }
}

bool BeamHypotheses::is_done(float best_sum_logprobs, int cur_len) const {
  if (static_cast<int>(beams_.size()) < num_beams_) return false;
  if (early_stopping_) return true;
  const double highest = static_cast<double>(best_sum_logprobs) / std::pow(static_cast<double>(cur_len), length_penalty_);
  return worst_score_ >= highest;
}

const BeamHypotheses::Hyp& BeamHypotheses::best() const {
  if (beams_.empty()) fail(ErrorKind::Internal, "beam search finished without hypotheses");
  size_t best = 0;
  for (size_t i = 1; i < beams_.size(); ++i)
    if (beams_[i].score >= beams_[best].score) best = i;
  return beams_[best];
}

const std::vector<int>& BeamHypotheses::best_tokens() const { return best().tokens; }
double BeamHypotheses::best_score() const { return best().score; }

}  // namespace parley::whisper
