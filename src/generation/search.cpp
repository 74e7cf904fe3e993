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

// Feeds the prefix to `inputs` fresh hypotheses, one per encoded input (one call), and returns the
// logits after the last prefix token of each. With a no-speech token, also records its probability
// at no_speech_position (the logits of every prefix position are computed then).
std::vector<const float*> prefill(StepDecoder& decoder, int inputs, std::span<const int> prefix,
                                  const SearchOptions& opt, std::vector<SearchResult>& results) {
  const int n = static_cast<int>(prefix.size());
  const bool want_no_speech = opt.no_speech_token >= 0;
  std::vector<int> tokens;
  tokens.reserve(static_cast<size_t>(inputs) * n);
  for (int i = 0; i < inputs; ++i) tokens.insert(tokens.end(), prefix.begin(), prefix.end());
  decoder.reset(inputs);
  const Tensor& logits = decoder.decode(tokens, n, want_no_speech);
  std::vector<const float*> last(inputs);
  for (int i = 0; i < inputs; ++i) last[i] = logits.row(want_no_speech ? int64_t{i} * n + n - 1 : i);
  if (!want_no_speech) return last;
  if (opt.no_speech_position < 0 || opt.no_speech_position >= n || opt.no_speech_token >= logits.dim(1))
    invalid_argument("no_speech_position / no_speech_token outside the prompt or the vocabulary");
  for (int i = 0; i < inputs; ++i) {
    std::span<const float> row(logits.row(int64_t{i} * n + opt.no_speech_position), static_cast<size_t>(logits.dim(1)));
    results[i].no_speech_prob = static_cast<float>(std::exp(row[opt.no_speech_token] - log_sum_exp(row)));
  }
  return last;
}

// The prefix of every input, or an error when the decoder cannot hold `rows` hypotheses.
std::vector<SearchResult> start_results(StepDecoder& decoder, int inputs, int rows, std::span<const int> prompt,
                                        const LogitsProcessors& processors, const SearchOptions& opt) {
  if (inputs < 1) invalid_argument("generation needs at least one input");
  if (rows > decoder.max_beams())
    invalid_argument("num_beams " + std::to_string(opt.num_beams) + " for " + std::to_string(inputs) +
                     " inputs is more than the decoder's " + std::to_string(decoder.max_beams()) + " hypotheses");
  return std::vector<SearchResult>(inputs, SearchResult{forced_prefix(prompt, processors, opt)});
}

// One input's beams during beam search.
struct InputBeams {
  std::vector<std::vector<int>> seqs;  // the running hypotheses
  std::vector<float> running;          // their summed log-probabilities
  FinishedHypotheses hyps;
  bool done = false;
};

// BeamSearchScorer.process for one input: scores its beams (`logits[b]` the row of beam b), keeps
// the best B continuations, files finished ones. Returns its next tokens and beams' sources (0..B-1).
void step_input(InputBeams& in, const std::vector<const float*>& logits, int vocab, const LogitsProcessors& processors,
                const SearchOptions& opt, std::vector<float>& scores, std::vector<Candidate>& top,
                std::vector<int>& tokens, std::vector<int>& sources) {
  const int B = opt.num_beams;
  for (int b = 0; b < B; ++b)
    beam_scores_of(logits[b], vocab, in.seqs[b], in.running[b], processors, opt,
                   std::span<float>(scores.data() + static_cast<size_t>(b) * vocab, vocab));
  top_k(scores, 2 * B, top);
  const int cur_len = static_cast<int>(in.seqs[0].size());
  // An eos among the best B candidates finishes a hypothesis; the best B others continue.
  std::vector<float> next_running(B);
  int kept = 0;
  for (size_t rank = 0; rank < top.size() && kept < B; ++rank) {
    const int beam = static_cast<int>(top[rank].index / vocab), token = static_cast<int>(top[rank].index % vocab);
    if (token == opt.eos) {
      if (static_cast<int>(rank) < B) in.hyps.add(in.seqs[beam], top[rank].score);
      continue;
    }
    next_running[kept] = top[rank].score;
    tokens[kept] = token;
    sources[kept] = beam;
    ++kept;
  }
  if (kept < B) fail(ErrorKind::Internal, "beam search: fewer candidates than beams");
  in.done = in.hyps.is_done(top.front().score, cur_len + 1);
  std::vector<std::vector<int>> next(B);
  for (int b = 0; b < B; ++b) {
    next[b].reserve(static_cast<size_t>(opt.max_length) + 1);
    next[b].assign(in.seqs[sources[b]].begin(), in.seqs[sources[b]].end());
    next[b].push_back(tokens[b]);
  }
  in.seqs.swap(next);
  in.running.swap(next_running);
}

}  // namespace

SearchResult search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                    const SearchOptions& options) {
  return std::move(search_batch(decoder, 1, prompt, processors, options)[0]);
}

std::vector<SearchResult> search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                       const LogitsProcessors& processors, const SearchOptions& options) {
  return options.num_beams > 1 ? beam_search_batch(decoder, inputs, prompt, processors, options)
                               : greedy_search_batch(decoder, inputs, prompt, processors, options);
}

SearchResult greedy_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                           const SearchOptions& opt) {
  return std::move(greedy_search_batch(decoder, 1, prompt, processors, opt)[0]);
}

SearchResult beam_search(StepDecoder& decoder, std::span<const int> prompt, const LogitsProcessors& processors,
                         const SearchOptions& opt) {
  return std::move(beam_search_batch(decoder, 1, prompt, processors, opt)[0]);
}

std::vector<SearchResult> greedy_search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                              const LogitsProcessors& processors, const SearchOptions& opt) {
  std::vector<SearchResult> results = start_results(decoder, inputs, inputs, prompt, processors, opt);
  if (finished(results[0].tokens, opt)) return results;
  const int vocab = decoder.vocab_size();
  std::vector<float> scores(vocab);
  std::mt19937_64 rng(opt.seed);
  std::vector<const float*> logits = prefill(decoder, inputs, results[0].tokens, opt, results);
  // Row r of the decoder holds input active[r]; a finished input's row is dropped.
  std::vector<int> active(inputs), next_active, sources, tokens;
  for (int i = 0; i < inputs; ++i) active[i] = i;
  while (true) {
    check(opt.control);
    next_active.clear();
    sources.clear();
    tokens.clear();
    for (size_t r = 0; r < active.size(); ++r) {
      SearchResult& res = results[active[r]];
      std::memcpy(scores.data(), logits[r], sizeof(float) * vocab);
      processors.apply(res.tokens, scores);
      const int next = opt.temperature > 0 ? sample_token(scores, opt.temperature, rng) : argmax(scores);
      if (opt.compute_logprobs) {
        res.sum_logprob += scores[next] - log_sum_exp(scores);
        ++res.scored_tokens;
      }
      res.tokens.push_back(next);
      if (finished(res.tokens, opt)) continue;
      next_active.push_back(active[r]);
      sources.push_back(static_cast<int>(r));
      tokens.push_back(next);
    }
    if (next_active.empty()) break;
    if (next_active.size() != active.size()) decoder.reorder(sources);  // finished rows stop costing work
    active.swap(next_active);
    const Tensor& step = decoder.decode(tokens, 1);
    for (size_t r = 0; r < active.size(); ++r) logits[r] = step.row(static_cast<int64_t>(r));
  }
  for (SearchResult& res : results)
    if (res.scored_tokens > 0) res.score = static_cast<float>(res.sum_logprob / res.scored_tokens);
  return results;
}

std::vector<SearchResult> beam_search_batch(StepDecoder& decoder, int inputs, std::span<const int> prompt,
                                            const LogitsProcessors& processors, const SearchOptions& opt) {
  const int B = opt.num_beams;
  if (opt.temperature > 0) invalid_argument("beam search does not sample: use temperature 0");
  if (B < 1 || B > decoder.max_beams())
    invalid_argument("num_beams " + std::to_string(B) + " is outside 1.." + std::to_string(decoder.max_beams()));
  std::vector<SearchResult> results = start_results(decoder, inputs, inputs * B, prompt, processors, opt);
  if (finished(results[0].tokens, opt)) return results;
  const int vocab = decoder.vocab_size();
  // Every beam starts as the prefix; only the first scores 0 (the others -1e9), so the first step
  // picks B different continuations of one hypothesis, as the reference does.
  std::vector<InputBeams> beams(inputs, InputBeams{std::vector<std::vector<int>>(B, results[0].tokens),
                                                   std::vector<float>(B, -1e9f),
                                                   FinishedHypotheses(B, opt.length_penalty, opt.early_stopping)});
  for (InputBeams& in : beams) in.running[0] = 0.f;
  std::vector<float> scores(static_cast<size_t>(B) * vocab);
  std::vector<Candidate> top;
  top.reserve(2 * static_cast<size_t>(B) + 1);
  std::vector<int> tokens(B), sources(B), all_tokens, all_sources, active(inputs), next_active;
  for (int i = 0; i < inputs; ++i) active[i] = i;
  // Before the first step the decoder holds one row per input, the prefix every beam starts as;
  // then B rows per input still searching, in the order of `active`.
  std::vector<const float*> rows = prefill(decoder, inputs, results[0].tokens, opt, results);
  int rows_per_input = 1;
  std::vector<const float*> input_rows(B);
  while (true) {
    check(opt.control);
    all_tokens.clear();
    all_sources.clear();
    next_active.clear();
    for (size_t a = 0; a < active.size(); ++a) {
      InputBeams& in = beams[active[a]];
      const int first_row = static_cast<int>(a) * rows_per_input;
      for (int b = 0; b < B; ++b) input_rows[b] = rows[first_row + (rows_per_input == 1 ? 0 : b)];
      step_input(in, input_rows, vocab, processors, opt, scores, top, tokens, sources);
      if (in.done || static_cast<int>(in.seqs[0].size()) >= opt.max_length) continue;
      next_active.push_back(active[a]);
      for (int b = 0; b < B; ++b) {
        all_tokens.push_back(tokens[b]);
        all_sources.push_back(first_row + (rows_per_input == 1 ? 0 : sources[b]));
      }
    }
    if (next_active.empty()) break;
    active.swap(next_active);
    decoder.reorder(all_sources);
    rows_per_input = B;
    const Tensor& step = decoder.decode(all_tokens, 1);
    rows.resize(all_tokens.size());
    for (size_t r = 0; r < rows.size(); ++r) rows[r] = step.row(static_cast<int64_t>(r));
  }
  for (int i = 0; i < inputs; ++i) {
    InputBeams& in = beams[i];
    if (!in.done)
      for (int b = 0; b < B; ++b) in.hyps.add(in.seqs[b], in.running[b]);
    results[i].tokens = in.hyps.best_tokens();
    if (static_cast<int>(results[i].tokens.size()) < opt.max_length) results[i].tokens.push_back(opt.eos);
    results[i].score = static_cast<float>(in.hyps.best_score());
  }
  return results;
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
