#include "whisper/window_rules.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include "generation/sampling.h"

namespace parley::whisper {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void fill_range(std::span<float> scores, int64_t begin, int64_t end) {
  begin = std::clamp<int64_t>(begin, 0, static_cast<int64_t>(scores.size()));
  end = std::clamp<int64_t>(end, begin, static_cast<int64_t>(scores.size()));
  std::fill(scores.begin() + begin, scores.begin() + end, kNegInf);
}

}  // namespace

void OpenaiTimestampRules::apply(std::span<const int> tokens, std::span<float> scores) const {
  const int64_t n = static_cast<int64_t>(scores.size());
  const int ts = ids_.timestamp_begin;
  if (ids_.no_timestamps >= 0 && ids_.no_timestamps < n) scores[ids_.no_timestamps] = kNegInf;

  // Timestamps come in pairs, except directly before <|endoftext|>.
  const std::span<const int> sampled =
      tokens.subspan(std::min<size_t>(tokens.size(), static_cast<size_t>(std::max(0, sample_begin_))));
  const size_t len = sampled.size();
  const bool last_ts = len >= 1 && sampled[len - 1] >= ts;
  const bool penultimate_ts = len < 2 || sampled[len - 2] >= ts;
  if (last_ts) {
    if (penultimate_ts)
      fill_range(scores, ts, n);  // has to be text
    else
      fill_range(scores, 0, ids_.eot);  // cannot be text
  }
  // Timestamps never decrease, and a segment is never empty (so decoding cannot loop in place).
  int last_timestamp = -1;
  for (int t : sampled)
    if (t >= ts) last_timestamp = t;
  if (last_timestamp >= 0) fill_range(scores, ts, (last_ts && !penultimate_ts) ? last_timestamp : last_timestamp + 1);

  if (static_cast<int>(tokens.size()) == sample_begin_) {
    fill_range(scores, 0, ts);  // the first sampled token is a timestamp
    if (max_initial_) fill_range(scores, static_cast<int64_t>(ts) + *max_initial_ + 1, n);
  }
  // Text is suppressed when the timestamps' total probability beats every single text token (compared
  // on raw scores: the log-softmax shifts both sides by the same amount).
  const int64_t split = std::min<int64_t>(ts, n);
  const double ts_mass = generation::log_sum_exp(scores.subspan(split));
  float best_text = kNegInf;
  for (int64_t i = 0; i < split; ++i) best_text = std::max(best_text, scores[i]);
  if (ts_mass > best_text) fill_range(scores, 0, split);
}

std::vector<int> non_speech_tokens(const WhisperTokenizer& tok) {
  std::vector<std::string> symbols;
  for (char c : std::string("\"#()*+/:;<=>@[\\]^_`{|}~")) symbols.emplace_back(1, c);
  for (const char* s : {"「", "」", "『", "』", "<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('", "(\"", "((",
                        "))", "(((", ")))", "[[", "]]", "{{", "}}", "♪♪", "♪♪♪"})
    symbols.emplace_back(s);
  // U+2640..U+267F symbols: their first token is safe to suppress even when they take several tokens.
  const std::vector<std::string> miscellaneous = {"♩", "♪", "♫", "♬", "♭", "♮", "♯"};
  std::set<int> result = {tok.encode(" -").at(0), tok.encode(" '").at(0)};
  for (const auto& s : symbols)
    for (const std::string& text : {s, " " + s})
      if (auto ids = tok.encode(text); ids.size() == 1) result.insert(ids[0]);
  for (const auto& s : miscellaneous)
    for (const std::string& text : {s, " " + s}) result.insert(tok.encode(text).at(0));
  return {result.begin(), result.end()};
}

std::vector<int> default_suppress_tokens(const WhisperTokenizer& tok) {
  std::vector<int> ids = non_speech_tokens(tok);
  ids.insert(ids.end(), {tok.transcribe(), tok.translate(), tok.sot()});
  for (auto id : {tok.start_of_prev(), tok.start_of_lm(), tok.no_speech()})
    if (id) ids.push_back(*id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<int> blank_tokens(const WhisperTokenizer& tok) {
  std::vector<int> ids = tok.encode(" ");
  ids.push_back(tok.eot());
  return ids;
}

}  // namespace parley::whisper
