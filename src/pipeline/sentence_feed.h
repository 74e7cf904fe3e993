// The sentences of a transcript, timed by the segments they came from, for the other-language path
// (target_speech.cpp): each sentence is translated and spoken on its own.
//
// A long recording's transcript arrives window by window (30 s each). SentenceFeed hands out each
// sentence once no later text can change it, so speech can start after the first window: the
// sentences of everything heard so far, except a last one that may still go on in the next window
// ("... and then | we left."), which is held until the next window or the end. Fed all at once or
// window by window, the same transcript gives the same sentences with the same times as
// timed_sentences() on the whole (text/sentences.h splits on what follows a terminator only: a
// space, a lower-case word, a closing quote).
//
// Speech without sentence punctuation (Thai has none; fast speech often comes out of Whisper without
// it) would otherwise be one sentence until the recording ends, and a stream would say nothing until
// then. So a sentence is also ended at the first end of one of Whisper's segments (its pauses) at
// which it has gone on for kLongestSentenceS: the rule looks only at what came before the cut, so the
// streamed and the whole runs still cut the same places.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "text/segment.h"

namespace parley::pipeline {

// A sentence that has gone on this long (seconds, from the start of its first segment) ends at the
// next segment end. Long enough for any punctuated sentence a person says in one breath.
inline constexpr double kLongestSentenceS = 20.0;

// One sentence of the transcript with the times of the segments it came from.
struct TimedSentence {
  std::string text;
  double start = 0, end = 0;
};

// The sentences of `text` (the segments' text, trimmed), each timed from the start of the segment
// its first character lies in to the end of the segment its last character lies in; a sentence
// longer than kLongestSentenceS is cut at the segment ends where it reaches that length.
std::vector<TimedSentence> timed_sentences(const std::string& text, const std::vector<Segment>& segments);

class SentenceFeed {
 public:
  // Adds one window's segments (in order); returns the sentences that are now settled and were not
  // handed out before.
  std::vector<TimedSentence> add(std::span<const Segment> segments);
  // The end of the transcript: the sentences not handed out yet.
  std::vector<TimedSentence> finish();

 private:
  std::vector<TimedSentence> take(size_t settled_end, std::vector<TimedSentence>&& all);

  std::string text_;                // every segment's text so far, joined
  std::vector<Segment> segments_;
  size_t handed_out_ = 0;           // sentences returned so far
};

}  // namespace parley::pipeline
