// Segments of one decoded 30-second window: the stretches of text between Whisper's timestamp
// tokens, with their times, as openai/whisper's transcribe() cuts a window.
//
// Audio that fits one window is decoded in one (the reference's generate()) and its segments are cut
// with window_segments(); longer audio is cut by long-form decoding (src/whisper/longform.h).
#pragma once

#include <span>
#include <vector>

#include "pipeline/service.h"
#include "text/subtitles.h"
#include "text/whisper_tokenizer.h"

namespace parley::pipeline {

// `tokens`: a window's whole generated sequence (decoder prompt and <|endoftext|> included; special
// tokens other than timestamps are skipped). `time_precision`: seconds per timestamp step (0.02).
// `duration`: seconds of audio in the window; times are clamped to [0, duration], end >= start.
//
// - Two timestamps in a row close one segment and open the next; a sequence that ends with a single
//   timestamp closes its last segment there.
// - Text after the last closed segment (decoding ran out of tokens) becomes a last segment from its
//   opening timestamp to the end of the audio: nothing decoded is dropped.
// - With no pair of timestamps (e.g. decoded without timestamps) the whole text is one segment from 0
//   to the last timestamp, or to the end of the audio when there is none.
// Segments with no text tokens are left out. Each segment's text is its tokens decoded.
std::vector<Segment> window_segments(const WhisperTokenizer& tokenizer, std::span<const int> tokens,
                                     double time_precision, double duration);


}  // namespace parley::pipeline
