#include "whisper/window_decode.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "core/error.h"
#include "tensor/ops.h"
#include "generation/sampling.h"
#include "whisper/window_rules.h"

namespace parley::whisper {

namespace {

struct Plan {
  std::vector<int> initial;  // prompt + sot sequence: what sampling starts from
  int sot_index = 0;
  int max_length = 0;  // total length at which sampling stops
  int eot = 0;
  int vocab = 0;
  generation::LogitsProcessors processors;
};

Plan make_plan(const WhisperConfig& c, const WindowDecodeOptions& o) {
  if (o.sot_sequence.empty() || o.sot_sequence.front() != c.decoder_start_token_id)
    invalid_argument("a window's decoder prompt must start with <|startoftranscript|>");
  const int n_ctx = c.max_target_positions;
  Plan p;
  if (!o.prompt.empty()) {
    if (!c.prev_token_id) invalid_argument("this model has no <|startofprev|> token, so it cannot take a prompt");
    p.initial.push_back(*c.prev_token_id);
    const size_t keep = std::min(o.prompt.size(), static_cast<size_t>(std::max(0, n_ctx / 2 - 1)));
    p.initial.insert(p.initial.end(), o.prompt.end() - static_cast<std::ptrdiff_t>(keep), o.prompt.end());
  }
  p.sot_index = static_cast<int>(p.initial.size());
  p.initial.insert(p.initial.end(), o.sot_sequence.begin(), o.sot_sequence.end());
  if (o.without_timestamps) {
    if (!c.has_timestamps()) invalid_argument("this model has no <|notimestamps|> token");
    p.initial.push_back(c.no_timestamps_token_id);
  } else if (!c.has_timestamps()) {
    invalid_argument("this model has no timestamp tokens");
  }
  const int sample_begin = static_cast<int>(p.initial.size());
  const int sample_len = o.sample_len > 0 ? o.sample_len : n_ctx / 2;
  p.max_length = std::min(sample_begin + sample_len, n_ctx + 1);
  if (p.max_length <= sample_begin)
    invalid_argument("the window's prompt leaves no room to decode in the decoder's " + std::to_string(n_ctx) + " positions");
  p.eot = c.eos_token_id;
  p.vocab = c.vocab_size;
  if (!o.blank_tokens.empty()) p.processors.add(std::make_unique<generation::SuppressTokensAtBegin>(o.blank_tokens, sample_begin));
  p.processors.add(std::make_unique<generation::SuppressTokens>(o.suppress_tokens));
  if (!o.without_timestamps)
    p.processors.add(std::make_unique<OpenaiTimestampRules>(
        OpenaiTimestampRules::Ids{c.eos_token_id, c.no_timestamps_token_id, c.timestamp_begin()}, sample_begin,
        o.max_initial_timestamp_index));
  return p;
}

// Feeds the initial tokens to one hypothesis and returns the logits after the last one. With a
// no-speech token, <|startoftranscript|>'s logits are taken on the way (the prompt up to it is one
// call, the rest another, so only two rows of logits are ever computed).
std::vector<float> prefill(DecoderSession& session, const Plan& p, WindowDecodeResult& r) {
  const std::optional<int>& no_speech = session.model().config().no_speech_token_id;
  const std::span<const int> initial(p.initial);
  session.reset(1);
  const float* row = nullptr;
  std::span<const int> rest = initial;
  if (no_speech && *no_speech >= 0 && *no_speech < p.vocab) {
    const auto head = initial.first(static_cast<size_t>(p.sot_index) + 1);
    row = session.decode(head, static_cast<int>(head.size())).row(0);
    const std::span<const float> sot_logits(row, static_cast<size_t>(p.vocab));
    r.no_speech_prob = std::exp(static_cast<double>(sot_logits[*no_speech]) - generation::log_sum_exp(sot_logits));
    rest = initial.subspan(head.size());
  }
  if (!rest.empty()) row = session.decode(rest, static_cast<int>(rest.size())).row(0);
  return std::vector<float>(row, row + p.vocab);
}

// The sampled part of a finished sequence: from sample_begin up to its first <|endoftext|>.
std::vector<int> sampled_part(const std::vector<int>& seq, size_t sample_begin, int eot) {
  auto end = std::find(seq.begin() + static_cast<std::ptrdiff_t>(sample_begin), seq.end(), eot);
  return {seq.begin() + static_cast<std::ptrdiff_t>(sample_begin), end};
}

// MaximumLikelihoodRanker: the candidate with the best sum / length penalty (the first of equals).
size_t rank(const std::vector<std::vector<int>>& tokens, const std::vector<double>& sums, std::optional<float> lp) {
  size_t best = 0;
  double best_score = -INFINITY;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const double length = static_cast<double>(std::max<size_t>(tokens[i].size(), 1));
    const double penalty = lp ? std::pow((5.0 + length) / 6.0, static_cast<double>(*lp)) : length;
    const double score = sums[i] / penalty;
    if (i == 0 || score > best_score) best = i, best_score = score;
  }
  return best;
}

void finish(WindowDecodeResult& r, const Plan& p, const std::vector<std::vector<int>>& seqs,
            const std::vector<double>& sums, std::optional<float> lp) {
  std::vector<std::vector<int>> tokens;
  for (const auto& s : seqs) tokens.push_back(sampled_part(s, p.initial.size(), p.eot));
  const size_t best = rank(tokens, sums, lp);
  r.tokens = std::move(tokens[best]);
  r.sum_logprob = sums[best];
  r.avg_logprob = sums[best] / static_cast<double>(r.tokens.size() + 1);
  r.initial_tokens = p.initial;
}

// GreedyDecoder over n hypotheses: argmax at temperature 0, else independent draws; a finished
// hypothesis keeps <|endoftext|> and adds nothing to its log-probability.
void sample_group(DecoderSession& session, const Plan& p, const WindowDecodeOptions& o, int n, WindowDecodeResult& r) {
  const std::vector<float> first = prefill(session, p, r);
  if (n > 1) session.reorder(std::vector<int>(static_cast<size_t>(n), 0));
  std::vector<std::vector<int>> seqs(static_cast<size_t>(n), p.initial);
  std::vector<double> sums(static_cast<size_t>(n), 0.0);
  std::vector<int> next(static_cast<size_t>(n));
  std::vector<float> scores(static_cast<size_t>(p.vocab));
  std::mt19937_64 rng(o.seed);
  const Tensor* logits = nullptr;
  while (true) {
    check(o.control);
    bool all_done = true;
    for (int b = 0; b < n; ++b) {
      auto& seq = seqs[static_cast<size_t>(b)];
      if (seq.size() > p.initial.size() && seq.back() == p.eot) {  // finished
        next[static_cast<size_t>(b)] = p.eot;
        continue;
      }
      std::memcpy(scores.data(), logits ? logits->row(b) : first.data(), sizeof(float) * scores.size());
      p.processors.apply(seq, scores);
      const int token = o.temperature > 0 ? generation::sample_token(scores, o.temperature, rng) : generation::argmax(scores);
      sums[static_cast<size_t>(b)] += scores[static_cast<size_t>(token)] - generation::log_sum_exp(scores);
      next[static_cast<size_t>(b)] = token;
      all_done = all_done && token == p.eot;
    }
    for (int b = 0; b < n; ++b) seqs[static_cast<size_t>(b)].push_back(next[static_cast<size_t>(b)]);
    if (all_done || static_cast<int>(seqs[0].size()) >= p.max_length) break;
    logits = &session.decode(next, 1);
  }
  finish(r, p, seqs, sums, o.length_penalty);
}

// The beam_size + 1 best tokens of one row of log-probabilities (ties: the lower id first).
void top_tokens(std::span<const float> logprobs, int k, std::vector<int>& out) {
  out.resize(logprobs.size());
  std::iota(out.begin(), out.end(), 0);
  const auto better = [&](int a, int b) { return logprobs[a] > logprobs[b] || (logprobs[a] == logprobs[b] && a < b); };
  const int kk = std::min<int>(k, static_cast<int>(out.size()));
  std::partial_sort(out.begin(), out.begin() + kk, out.end(), better);
  out.resize(static_cast<size_t>(kk));
}

// openai's BeamSearchDecoder: each beam proposes its beam_size + 1 best tokens; the candidates are
// ranked by summed log-probability; those ending in <|endoftext|> before beam_size others are found
// finish, the best beam_size others continue. Decoding stops once round(beam_size * patience)
// hypotheses have finished; unfinished beams fill up to beam_size candidates by their sums.
void beam_group(DecoderSession& session, const Plan& p, const WindowDecodeOptions& o, WindowDecodeResult& r) {
  const int B = o.beam_size;
  const int max_candidates = static_cast<int>(std::nearbyint(static_cast<double>(B) * o.patience));
  if (max_candidates < 1) invalid_argument("beam_size * patience must be at least 1");
  const std::vector<float> first = prefill(session, p, r);
  session.reorder(std::vector<int>(static_cast<size_t>(B), 0));
  std::vector<std::vector<int>> seqs(static_cast<size_t>(B), p.initial), next_seqs;
  std::vector<double> sums(static_cast<size_t>(B), 0.0), next_sums;
  std::vector<std::vector<int>> finished;  // in the order openai's dict keeps them
  std::vector<double> finished_sums;
  std::vector<float> scores(static_cast<size_t>(p.vocab));
  std::vector<int> top, sources, next_tokens;
  struct Candidate {
    double score;
    int source, token;
  };
  std::vector<Candidate> candidates;
  const Tensor* logits = nullptr;
  while (true) {
    check(o.control);
    candidates.clear();
    for (int b = 0; b < B; ++b) {
      // Identical beams (all of them before the first step) propose identical candidates, which
      // openai's dict keeps once.
      if (std::find(seqs.begin(), seqs.begin() + b, seqs[static_cast<size_t>(b)]) != seqs.begin() + b) continue;
      std::memcpy(scores.data(), logits ? logits->row(b) : first.data(), sizeof(float) * scores.size());
      p.processors.apply(seqs[static_cast<size_t>(b)], scores);
      ops::log_softmax(scores.data(), static_cast<int64_t>(scores.size()));
      top_tokens(scores, B + 1, top);
      for (int t : top) candidates.push_back({sums[static_cast<size_t>(b)] + scores[static_cast<size_t>(t)], b, t});
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    next_seqs.clear(), next_sums.clear(), sources.clear(), next_tokens.clear();
    std::vector<std::pair<std::vector<int>, double>> newly;
    for (const Candidate& c : candidates) {
      std::vector<int> seq = seqs[static_cast<size_t>(c.source)];
      seq.push_back(c.token);
      if (c.token == p.eot) {
        newly.emplace_back(std::move(seq), c.score);
        continue;
      }
      next_seqs.push_back(std::move(seq)), next_sums.push_back(c.score);
      sources.push_back(c.source), next_tokens.push_back(c.token);
      if (static_cast<int>(next_seqs.size()) == B) break;
    }
    if (static_cast<int>(next_seqs.size()) < B) fail(ErrorKind::Internal, "beam search: fewer candidates than beams");
    session.reorder(sources);
    seqs.swap(next_seqs), sums.swap(next_sums);
    std::stable_sort(newly.begin(), newly.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (auto& [seq, score] : newly) {
      if (static_cast<int>(finished.size()) >= max_candidates) break;
      finished.push_back(std::move(seq)), finished_sums.push_back(score);
    }
    if (static_cast<int>(finished.size()) >= max_candidates || static_cast<int>(seqs[0].size()) >= p.max_length) break;
    logits = &session.decode(next_tokens, 1);
  }
  if (static_cast<int>(finished.size()) < B) {
    // np.argsort(sums)[::-1]: by sum, highest first, the later beam first among equals
    std::vector<int> order(static_cast<size_t>(B));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sums[static_cast<size_t>(a)] < sums[static_cast<size_t>(b)]; });
    std::reverse(order.begin(), order.end());
    for (int j : order) {
      finished.push_back(seqs[static_cast<size_t>(j)]);
      finished.back().push_back(p.eot);
      finished_sums.push_back(sums[static_cast<size_t>(j)]);
      if (static_cast<int>(finished.size()) >= B) break;
    }
  }
  finish(r, p, finished, finished_sums, o.length_penalty);
}

}  // namespace

WindowDecodeResult decode_window(DecoderSession& session, const WindowDecodeOptions& o) {
  const WhisperConfig& c = session.model().config();
  if (!(o.temperature >= 0 && o.temperature <= 100)) invalid_argument("the temperature must be between 0 and 100");
  if (o.beam_size < 0 || o.best_of < 1) invalid_argument("beam_size must be >= 0 and best_of >= 1");
  const bool beams = o.temperature == 0 && o.beam_size > 0;
  const int n = beams ? o.beam_size : (o.temperature > 0 ? o.best_of : 1);
  if (n > session.max_beams())
    invalid_argument(std::to_string(n) + " hypotheses do not fit a session of " + std::to_string(session.max_beams()));
  if (session.max_tokens() < c.max_target_positions)
    invalid_argument("a window needs a decoder session of the model's " + std::to_string(c.max_target_positions) + " positions");
  Plan p = make_plan(c, o);
  WindowDecodeResult r;
  if (beams)
    beam_group(session, p, o, r);
  else
    sample_group(session, p, o, n, r);
  return r;
}

ModelWindowDecoder::ModelWindowDecoder(std::shared_ptr<const WhisperModel> model, WindowDecodeOptions base)
    : model_(std::move(model)),
      base_(std::move(base)),
      session_(model_, std::max({1, base_.beam_size, base_.best_of}), model_->config().max_target_positions) {}

void ModelWindowDecoder::set_window(const Tensor& features, int64_t seek) {
  model_->encode(features, states_, buffers_);
  session_.set_encoder_states(states_);
}

WindowDecoding ModelWindowDecoder::decode(const WindowRequest& request) {
  WindowDecodeOptions o = base_;
  o.prompt = request.prompt;
  o.temperature = request.temperature;
  o.seed = request.seed;
  WindowDecodeResult r = decode_window(session_, o);
  return WindowDecoding{std::move(r.tokens), r.avg_logprob, r.no_speech_prob};
}

AlignmentScores ModelWindowDecoder::align(const std::vector<int>& text_tokens) {
  const WhisperConfig& c = model_->config();
  AlignmentScores a;
  a.sot_length = static_cast<int>(base_.sot_sequence.size());
  std::vector<int> tokens = base_.sot_sequence;
  tokens.push_back(c.no_timestamps_token_id);
  tokens.insert(tokens.end(), text_tokens.begin(), text_tokens.end());
  tokens.push_back(c.eos_token_id);
  const Tensor& logits = session_.decode_with_cross_scores(tokens, c.alignment_heads, a.scores);
  // Each text token's probability among the ids below <|endoftext|>, at the position before it.
  const int eot = c.eos_token_id;
  for (size_t i = 0; i < text_tokens.size(); ++i) {
    const float* row = logits.row(a.sot_length + static_cast<int64_t>(i));
    const float top = *std::max_element(row, row + eot);
    double sum = 0;
    for (int v = 0; v < eot; ++v) sum += std::exp(static_cast<double>(row[v] - top));
    a.text_token_probs.push_back(std::exp(static_cast<double>(row[text_tokens[i]] - top)) / sum);
  }
  return a;
}

}  // namespace parley::whisper
