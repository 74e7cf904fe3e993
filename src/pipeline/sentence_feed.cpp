#include "pipeline/sentence_feed.h"

#include <algorithm>
#include <utility>

#include "text/sentences.h"

namespace parley::pipeline {

namespace {

// Where each segment's text lies in the transcript: what times a sentence, and where a long one is cut.
class SegmentLayout {
 public:
  SegmentLayout(const std::string& text, const std::vector<Segment>& segments) : text_(text), segments_(segments) {
    size_t at = 0;
    for (const Segment& s : segments) {
      const std::string_view piece = sentences::trim(s.text);
      const size_t found = piece.empty() ? std::string::npos : text.find(piece, at);
      const size_t begin = found == std::string::npos ? at : found;
      at = found == std::string::npos ? at : found + piece.size();
      spans_.emplace_back(begin, at);
    }
  }

  // Appends the sentence at bytes [begin, end) of the text (`sentence`: split()'s copy of it), timed,
  // and cut at each segment end where the piece so far has gone on for kLongestSentenceS.
  void add_sentence(std::string sentence, size_t begin, size_t end, std::vector<TimedSentence>& out) const {
    if (segments_.empty()) {
      out.push_back({std::move(sentence), 0, 0});
      return;
    }
    const size_t last = segment_at(end > begin ? end - 1 : begin);
    size_t piece = begin;
    for (size_t k = segment_at(begin); k < last; ++k) {
      const size_t cut = spans_[k].second;
      if (cut <= piece || cut >= end || segments_[k].end - segments_[segment_at(piece)].start < kLongestSentenceS)
        continue;
      add_piece(piece, cut, out);
      piece = cut;
    }
    if (piece == begin) {  // uncut: the sentence as split() gave it
      out.push_back({std::move(sentence), segments_[segment_at(begin)].start, segments_[last].end});
      return;
    }
    add_piece(piece, end, out);
  }

 private:
  // The segment that byte `offset` of the text lies in.
  size_t segment_at(size_t offset) const {
    size_t i = 0;
    while (i + 1 < spans_.size() && offset >= spans_[i].second) ++i;
    return i;
  }
  void add_piece(size_t begin, size_t end, std::vector<TimedSentence>& out) const {
    const std::string_view text = sentences::trim(std::string_view(text_).substr(begin, end - begin));
    if (text.empty()) return;
    out.push_back({std::string(text), segments_[segment_at(begin)].start, segments_[segment_at(end - 1)].end});
  }

  const std::string& text_;
  const std::vector<Segment>& segments_;
  std::vector<std::pair<size_t, size_t>> spans_;  // each segment's bytes in the text
};

}  // namespace

std::vector<TimedSentence> timed_sentences(const std::string& text, const std::vector<Segment>& segments) {
  const SegmentLayout layout(text, segments);
  std::vector<TimedSentence> out;
  size_t from = 0;
  for (std::string& s : sentences::split(text)) {
    const size_t found = text.find(s, from);
    const size_t begin = found == std::string::npos ? from : found;
    from = begin + (found == std::string::npos ? 0 : s.size());
    layout.add_sentence(std::move(s), begin, std::max(from, begin + 1), out);
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
  const std::string text(sentences::trim(text_));
  std::vector<TimedSentence> all = timed_sentences(text, segments_);
  size_t settled = all.size();
  // The last piece may go on in the next window, unless its sentence is finished or it is already
  // long enough to be cut at the end of this window's last segment (as the whole run cuts it).
  if (!all.empty() && !last_is_finished(sentences::split(text).back()) &&
      all.back().end - all.back().start < kLongestSentenceS)
    settled = all.size() - 1;
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
