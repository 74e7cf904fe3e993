#include "pipeline/segments.h"

#include <algorithm>

namespace parley::pipeline {

namespace {

struct Cut {
  size_t begin = 0, end = 0;  // [begin, end) of the kept tokens
};

}  // namespace

std::vector<Segment> window_segments(const WhisperTokenizer& tokenizer, std::span<const int> tokens,
                                     double time_precision, double duration) {
  // The text and timestamp tokens, in order (the prompt and <|endoftext|> are special).
  std::vector<int> kept;
  for (int id : tokens)
    if (tokenizer.is_timestamp(id) || !tokenizer.is_special(id)) kept.push_back(id);
  auto is_time = [&](size_t i) { return tokenizer.is_timestamp(kept[i]); };
  auto time_of = [&](int id) { return (id - tokenizer.timestamp_begin()) * time_precision; };

  std::vector<Cut> cuts;
  size_t last = 0;
  for (size_t i = 1; i < kept.size(); ++i)
    if (is_time(i - 1) && is_time(i)) {
      cuts.push_back({last, i});
      last = i;
    }
  const bool pairs = !cuts.empty();
  if (last < kept.size()) cuts.push_back({last, kept.size()});  // the rest (or everything)

  std::vector<Segment> out;
  for (size_t c = 0; c < cuts.size(); ++c) {
    const Cut& cut = cuts[c];
    Segment s;
    for (size_t i = cut.begin; i < cut.end; ++i)
      if (!is_time(i)) s.tokens.push_back(kept[i]);
    if (s.tokens.empty()) continue;
    const bool closed = cut.end > cut.begin + 1 && is_time(cut.end - 1);
    if (pairs) {
      // Opened by a timestamp; closed by one, or (decoding ran out) by the end of the audio.
      s.start = is_time(cut.begin) ? time_of(kept[cut.begin]) : 0.0;
      s.end = closed ? time_of(kept[cut.end - 1]) : duration;
    } else {
      // No pair: one segment up to the last timestamp, if a later one than 0.00 was decoded.
      s.start = 0;
      s.end = duration;
      for (size_t i = cut.end; i-- > cut.begin;)
        if (is_time(i)) {
          if (kept[i] != tokenizer.timestamp_begin()) s.end = time_of(kept[i]);
          break;
        }
    }
    s.start = std::clamp(s.start, 0.0, duration);
    s.end = std::clamp(s.end, s.start, duration);
    s.text = tokenizer.decode(s.tokens, true);
    out.push_back(std::move(s));
  }
  return out;
}


}  // namespace parley::pipeline
