// Word timestamps from Whisper's cross-attention, as openai/whisper computes them (whisper/timing.py):
//
//  1. the decoder re-runs the window's final text tokens after <|startoftranscript|> <|lang|> <|task|>
//     <|notimestamps|> (and before <|endoftext|>); the raw cross-attention scores of the alignment
//     heads (WhisperConfig::alignment_heads) are kept, over the frames that hold audio (num_frames / 2
//     encoder positions);
//  2. alignment_matrix: softmax over those frames, standardised per head and frame over the tokens,
//     median-filtered along time (width 7, reflected edges), averaged over the heads;
//  3. dynamic time warping over the negated matrix (text rows: <|notimestamps|>'s row onwards, without
//     the last) gives a monotonic path; where the path moves to a new token, that token starts
//     (50 encoder positions a second);
//  4. the tokens are grouped into words (split_to_word_tokens: at spaces and punctuation, or at every
//     complete character for zh, ja, th, lo, my and yue); a word runs from its first token's start to
//     the next word's start, with the mean probability of its tokens;
//  5. add_word_timestamps: durations clipped to twice the median at sentence ends, punctuation
//     merged into its neighbour word, words handed to their segments, and the first and last word of
//     each segment reconciled with the segment's own timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"
#include "text/segment.h"
#include "text/whisper_tokenizer.h"

namespace parley::whisper {

// One word before the segment heuristics (openai's WordTiming); times from the window's start.
struct WordTiming {
  std::string word;  // with its leading space (" Hello")
  std::vector<int> tokens;
  double start = 0, end = 0;  // seconds
  double probability = 0;     // mean of its tokens' probabilities
};

// What the decoder's second pass gives (step 1 above).
struct AlignmentScores {
  Tensor scores;  // [alignment heads, sot + 1 + text + 1 tokens, encoder positions]: raw q.k / sqrt(head_dim)
  int sot_length = 0;  // tokens before <|notimestamps|>
  std::vector<double> text_token_probs;  // softmax over the ids below <|endoftext|>, of each text token
};

struct WordTimingOptions {
  int medfilt_width = 7;
  std::string prepend_punctuations = "\"'\u201c\u00bf([{-";
  std::string append_punctuations = "\"'.\u3002,\uff0c!\uff01?\uff1f:\uff1a\u201d)]}\u3001";
};

// Median of each window of `width` (odd) values along each row of x [rows, cols], the row's ends
// reflected (openai's median_filter); rows of at most width / 2 values are left as they are.
void median_filter_rows(Tensor& x, int width);

// The path of least total cost through x [n, m] from (0, 0) to (n - 1, m - 1) moving right, down or
// diagonally (openai's dtw_cpu + backtrace, with its tie rules): the row and column of each step.
struct DtwPath {
  std::vector<int> rows, cols;
};
DtwPath dtw(const std::vector<double>& x, int64_t n, int64_t m);

// Step 2: scores [heads, tokens, positions] -> [tokens, frames] with frames = num_frames / 2.
Tensor alignment_matrix(const Tensor& scores, int64_t frames, int medfilt_width);

// openai's Tokenizer.split_to_word_tokens: the words of `tokens` and the tokens of each.
struct WordSplit {
  std::vector<std::string> words;
  std::vector<std::vector<int>> tokens;
};
WordSplit split_to_word_tokens(const WhisperTokenizer& tokenizer, const std::vector<int>& tokens,
                               std::string_view language, int eot);

// Steps 2-4 (openai's find_alignment): the words of `text_tokens` with times from the window's start.
std::vector<WordTiming> find_alignment(const AlignmentScores& a, const std::vector<int>& text_tokens,
                                       int64_t num_frames, const WhisperTokenizer& tokenizer,
                                       std::string_view language, int eot, const WordTimingOptions& options = {});

// openai's merge_punctuations: prepended marks join the next word, appended marks the previous one
// (the emptied entries stay, with no word and no tokens).
void merge_punctuations(std::vector<WordTiming>& alignment, std::string_view prepended, std::string_view appended);

// Step 5 (openai's add_word_timestamps) over one window's segments: fills each segment's `words` and
// may move its start and end. `time_offset` is the window's start (s); `last_speech_timestamp` the end
// of the last word before this window.
void add_word_timestamps(std::vector<Segment>& segments, std::vector<WordTiming> alignment, int eot,
                         double time_offset, double last_speech_timestamp, const WordTimingOptions& options = {});

// openai's get_end: the end of the last word of the last segment that has words, else the last
// segment's end; nullopt without segments.
std::optional<double> last_word_end(const std::vector<Segment>& segments);

}  // namespace parley::whisper
