#include "pipeline/sentence_feed.h"

#include <algorithm>
#include <utility>

#include "text/sentences.h"

namespace parley::pipeline {

std::vector<TimedSentence> timed_sentences(const std::string& text, const std::vector<Segment>& segments) {
  std::vector<std::pair<size_t, size_t>> spans;  // each segment's bytes in `text`
  size_t at = 0;
  for (const Segment& s : segments) {
    const std::string_view piece = sentences::trim(s.text);
    const size_t found = piece.empty() ? std::string::npos : text.find(piece, at);
    const size_t begin = found == std::string::npos ? at : found;
    at = found == std::string::npos ? at : found + piece.size();
    spans.emplace_back(begin, at);
  }
  auto segment_at = [&](size_t offset) {
    size_t i = 0;
    while (i + 1 < spans.size() && offset >= spans[i].second) ++i;
    return i;
  };
  std::vector<TimedSentence> out;
  size_t from = 0;
  for (std::string& s : sentences::split(text)) {
    const size_t found = text.find(s, from);
    const size_t begin = found == std::string::npos ? from : found;
    from = begin + (found == std::string::npos ? 0 : s.size());
    TimedSentence t{std::move(s), 0, 0};
    if (!segments.empty()) {
      t.start = segments[segment_at(begin)].start;
      t.end = segments[segment_at(from > 0 ? from - 1 : 0)].end;
    }
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

// Whether the last sentence of `text` is finished whatever the next window says: split() still ends
// it when a lower-case word follows (the one continuation that joins a terminator's sentence to the
// next words; text without a terminator is unfinished).
bool last_is_finished(const std::string& last) {
  const std::vector<std::string> probe = sentences::split(last + " and");
  return probe.size() == 2 && probe.front() == last;
}

}  // namespace

std::vector<TimedSentence> SentenceFeed::add(std::span<const Segment> segments) {
  for (const Segment& s : segments) {
    text_ += s.text;
    segments_.push_back(s);
  }
  std::vector<TimedSentence> all = timed_sentences(std::string(sentences::trim(text_)), segments_);
  size_t settled = all.empty() ? 0 : all.size() - 1;
  if (!all.empty() && last_is_finished(all.back().text)) settled = all.size();
  return take(settled, std::move(all));
}

std::vector<TimedSentence> SentenceFeed::finish() {
  std::vector<TimedSentence> all = timed_sentences(std::string(sentences::trim(text_)), segments_);
  return take(all.size(), std::move(all));
}

std::vector<TimedSentence> SentenceFeed::take(size_t settled_end, std::vector<TimedSentence>&& all) {
  std::vector<TimedSentence> out;
  for (size_t i = handed_out_; i < settled_end && i < all.size(); ++i) out.push_back(std::move(all[i]));
  handed_out_ = std::max(handed_out_, settled_end);
  return out;
}

}  // namespace parley::pipeline
