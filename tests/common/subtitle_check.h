// Strict format checks of SRT and WebVTT output (what players and editors expect), shared by the
// tests of every command or endpoint that writes subtitles.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::test {

struct ParsedCue {
  double start = 0, end = 0;
  std::string text;
};

// Checks `doc` cue by cue: SRT index lines 1, 2, 3, ...; timing lines "HH:MM:SS,mmm --> HH:MM:SS,mmm"
// (VTT: a "WEBVTT" header line and "HH:MM:SS.mmm"); non-empty text without blank lines; a blank line
// after each cue; start <= end, starts never decreasing, every time within [0, duration]. The cues
// are stored in `cues` when given.
::testing::AssertionResult ValidSrt(const std::string& doc, double duration, std::vector<ParsedCue>* cues = nullptr);
::testing::AssertionResult ValidVtt(const std::string& doc, double duration, std::vector<ParsedCue>* cues = nullptr);

}  // namespace parley::test
