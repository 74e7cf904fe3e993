// One stretch of recognised text with its place in the recording: the one segment type of the
// product. Whisper's long-form loop makes it, the speech service hands it to its callers, and the
// subtitle writers (text/subtitles.h) and the server's response formats render it.
//
// The decoding statistics are those openai/whisper's transcribe() reports per segment (each is the
// value of the window attempt the segment came from). A decode that cannot know one leaves it unset,
// and verbose_json then leaves the field out rather than report a made-up 0.0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley {

// One word of a segment with its place in the recording (word timestamps: whisper/word_timing.h).
struct Word {
  std::string word;          // with its leading space (" Hello,"), punctuation merged in
  double start = 0, end = 0; // seconds from the start of the recording, to 0.01 s
  double probability = 0;    // mean probability of its tokens
};

struct Segment {
  int id = 0;                  // 0, 1, 2, ... in the recording
  int64_t seek = 0;            // start of the 30-second window it came from, in mel frames (10 ms)
  double start = 0, end = 0;   // seconds from the start of the recording
  std::string text;            // as decoded, usually with a leading space (" Hello there.")
  std::vector<int> tokens;     // its tokens (timestamp tokens included where decoded with them)
  double temperature = 0;      // the sampling temperature that produced it (fallback may raise it)
  std::optional<double> avg_logprob;        // mean log-probability of the window's tokens
  std::optional<double> compression_ratio;  // UTF-8 bytes / zlib bytes of the window's text
  std::optional<double> no_speech_prob;     // probability of <|nospeech|> at the window's start
  std::vector<Word> words;     // with word timestamps only
};

}  // namespace parley
