#include "whisper/word_timing.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "text/pretokenizer.h"
#include "text/utf8.h"

namespace parley::whisper {

namespace {

constexpr double kTokensPerSecond = 50;  // encoder positions a second (openai's TOKENS_PER_SECOND)
constexpr char32_t kReplacement = 0xFFFD;

std::u32string code_points(std::string_view s) {
  std::u32string out;
  for (size_t pos = 0; pos < s.size();) out.push_back(utf8::next_code_point(s, pos));
  return out;
}

// Python's `part in whole` for strings: a substring test ("" is in everything). For well-formed UTF-8 a
// substring of code points is a substring of bytes.
bool python_in(std::string_view part, std::string_view whole) { return whole.find(part) != std::string_view::npos; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

// openai's split_tokens_on_unicode: a word ends wherever the tokens so far decode to whole characters
// (or where the full text has a replacement character at the same place anyway).
WordSplit split_on_unicode(const WhisperTokenizer& tok, const std::vector<int>& tokens) {
  const std::u32string full = code_points(tok.decode_with_timestamps(tokens));
  WordSplit out;
  std::vector<int> current;
  size_t offset = 0;
  for (int t : tokens) {
    current.push_back(t);
    const std::string decoded = tok.decode_with_timestamps(current);
    const std::u32string cps = code_points(decoded);
    const size_t bad = cps.find(kReplacement);
    if (bad == std::u32string::npos || (offset + bad < full.size() && full[offset + bad] == kReplacement)) {
      out.words.push_back(decoded);
      out.tokens.push_back(std::move(current));
      current.clear();
      offset += cps.size();
    }
  }
  return out;
}

// openai's split_tokens_on_spaces: the unicode pieces joined up to the next space, punctuation or special.
WordSplit split_on_spaces(const WhisperTokenizer& tok, const std::vector<int>& tokens, int eot) {
  static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";  // string.punctuation
  WordSplit pieces = split_on_unicode(tok, tokens);
  WordSplit out;
  for (size_t i = 0; i < pieces.words.size(); ++i) {
    const std::string& sub = pieces.words[i];
    const bool special = pieces.tokens[i].front() >= eot;
    const bool with_space = starts_with(sub, " ");
    const bool punctuation = python_in(strip_python(sub), kPunctuation);
    if (special || with_space || punctuation || out.words.empty()) {
      out.words.push_back(sub);
      out.tokens.push_back(pieces.tokens[i]);
    } else {
      out.words.back() += sub;
      out.tokens.back().insert(out.tokens.back().end(), pieces.tokens[i].begin(), pieces.tokens[i].end());
    }
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double round2(double x) { return std::nearbyint(x * 100) / 100; }  // Python's round(x, 2) off ties

// add_word_timestamps' hack for long words at sentence ends: at most twice the median duration.
void clip_sentence_ends(std::vector<WordTiming>& alignment, double max_duration) {
  static constexpr std::string_view kSentenceEnds = ".\u3002!\uff01?\uff1f";
  for (size_t i = 1; i < alignment.size(); ++i) {
    WordTiming& w = alignment[i];
    if (w.end - w.start <= max_duration) continue;
    if (python_in(w.word, kSentenceEnds))
      w.end = w.start + max_duration;
    else if (python_in(alignment[i - 1].word, kSentenceEnds))
      w.start = w.end - max_duration;
  }
}

// The segment-boundary part of add_word_timestamps for one segment's words (not empty).
void reconcile(Segment& seg, std::vector<Word>& words, double last_speech, double median_duration, double max_duration) {
  // the first and second word after a pause: no longer than twice the median duration
  if (words[0].end - last_speech > median_duration * 4 &&
      (words[0].end - words[0].start > max_duration ||
       (words.size() > 1 && words[1].end - words[0].start > max_duration * 2))) {
    if (words.size() > 1 && words[1].end - words[1].start > max_duration) {
      const double boundary = std::max(words[1].end / 2, words[1].end - max_duration);
      words[0].end = words[1].start = boundary;
    }
    words[0].start = std::max(0.0, words[0].end - max_duration);
  }
  // the segment's own start when the first word is too long, else the first word's
  if (seg.start < words[0].end && seg.start - 0.5 > words[0].start)
    words[0].start = std::max(0.0, std::min(words[0].end - median_duration, seg.start));
  else
    seg.start = words[0].start;
  // the segment's own end when the last word is too long, else the last word's
  if (seg.end > words.back().start && seg.end + 0.5 < words.back().end)
    words.back().end = std::max(words.back().start + median_duration, seg.end);
  else
    seg.end = words.back().end;
}

}  // namespace

void median_filter_rows(Tensor& x, int width) {
  if (width < 1 || width % 2 == 0) invalid_argument("the median filter's width must be odd");
  const int64_t cols = x.dim(-1), rows = x.numel() / std::max<int64_t>(cols, 1), pad = width / 2;
  if (cols <= pad) return;
  std::vector<float> padded(static_cast<size_t>(cols + 2 * pad)), window(static_cast<size_t>(width));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x.data() + r * cols;
    for (int64_t i = -pad; i < cols + pad; ++i) {
      const int64_t src = i < 0 ? -i : (i >= cols ? 2 * (cols - 1) - i : i);  // reflected, edge not repeated
      padded[static_cast<size_t>(i + pad)] = row[src];
    }
    for (int64_t i = 0; i < cols; ++i) {
      std::copy_n(padded.begin() + i, width, window.begin());
      std::nth_element(window.begin(), window.begin() + pad, window.end());
      row[i] = window[static_cast<size_t>(pad)];
    }
  }
}

DtwPath dtw(const std::vector<double>& x, int64_t n, int64_t m) {
  // m == 0 (a window of one frame has no encoder position): openai's path then runs down column -1.
  if (n < 1 || m < 0 || static_cast<int64_t>(x.size()) != n * m) invalid_argument("dtw: bad matrix");
  // openai keeps the running cost in float32 (and adds the float64 input to it); so does this, so that
  // near-ties go the same way.
  const int64_t w = m + 1;
  std::vector<float> cost(static_cast<size_t>((n + 1) * w), std::numeric_limits<float>::infinity());
  std::vector<int8_t> trace(static_cast<size_t>((n + 1) * w), -1);
  cost[0] = 0;
  for (int64_t j = 1; j <= m; ++j)
    for (int64_t i = 1; i <= n; ++i) {
      const float c0 = cost[(i - 1) * w + j - 1], c1 = cost[(i - 1) * w + j], c2 = cost[i * w + j - 1];
      float c = c2;
      int8_t t = 2;
      if (c0 < c1 && c0 < c2)
        c = c0, t = 0;
      else if (c1 < c0 && c1 < c2)
        c = c1, t = 1;
      cost[i * w + j] = static_cast<float>(x[(i - 1) * m + j - 1] + static_cast<double>(c));
      trace[i * w + j] = t;
    }
  for (int64_t j = 0; j <= m; ++j) trace[j] = 2;
  for (int64_t i = 0; i <= n; ++i) trace[i * w] = 1;
  DtwPath path;
  int64_t i = n, j = m;
  while (i > 0 || j > 0) {
    path.rows.push_back(static_cast<int>(i - 1));
    path.cols.push_back(static_cast<int>(j - 1));
    const int8_t t = trace[i * w + j];
    if (t == 0)
      --i, --j;
    else if (t == 1)
      --i;
    else
      --j;
  }
  std::reverse(path.rows.begin(), path.rows.end());
  std::reverse(path.cols.begin(), path.cols.end());
  return path;
}

Tensor alignment_matrix(const Tensor& scores, int64_t frames, int medfilt_width) {
  if (scores.ndim() != 3 || frames < 1 || frames > scores.dim(2)) invalid_argument("alignment: bad score shape");
  const int64_t heads = scores.dim(0), tokens = scores.dim(1), positions = scores.dim(2);
  Tensor w({heads, tokens, frames});
  for (int64_t r = 0; r < heads * tokens; ++r) {  // softmax over the frames that hold audio
    const float* in = scores.data() + r * positions;
    float* out = w.row(r);
    const float top = *std::max_element(in, in + frames);
    double sum = 0;
    for (int64_t f = 0; f < frames; ++f) sum += out[f] = std::exp(in[f] - top);
    for (int64_t f = 0; f < frames; ++f) out[f] = static_cast<float>(out[f] / sum);
  }
  for (int64_t h = 0; h < heads; ++h)  // standardised per head and frame over the tokens (population std)
    for (int64_t f = 0; f < frames; ++f) {
      float* at = w.data() + h * tokens * frames + f;
      double mean = 0, var = 0;
      for (int64_t t = 0; t < tokens; ++t) mean += at[t * frames];
      mean /= static_cast<double>(tokens);
      for (int64_t t = 0; t < tokens; ++t) var += (at[t * frames] - mean) * (at[t * frames] - mean);
      const double sd = std::sqrt(var / static_cast<double>(tokens));
      for (int64_t t = 0; t < tokens; ++t) at[t * frames] = static_cast<float>((at[t * frames] - mean) / sd);
    }
  median_filter_rows(w, medfilt_width);
  Tensor matrix({tokens, frames});
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < tokens * frames; ++i) matrix[i] += w[h * tokens * frames + i];
  for (int64_t i = 0; i < tokens * frames; ++i) matrix[i] /= static_cast<float>(heads);
  return matrix;
}

WordSplit split_to_word_tokens(const WhisperTokenizer& tokenizer, const std::vector<int>& tokens,
                               std::string_view language, int eot) {
  static constexpr std::string_view kWithoutSpaces[] = {"zh", "ja", "th", "lo", "my", "yue"};
  for (std::string_view l : kWithoutSpaces)
    if (language == l) return split_on_unicode(tokenizer, tokens);
  return split_on_spaces(tokenizer, tokens, eot);
}

std::vector<WordTiming> find_alignment(const AlignmentScores& a, const std::vector<int>& text_tokens, int64_t num_frames,
                                       const WhisperTokenizer& tokenizer, std::string_view language, int eot,
                                       const WordTimingOptions& options) {
  if (text_tokens.empty()) return {};
  const int64_t n_text = static_cast<int64_t>(text_tokens.size());
  if (a.scores.ndim() != 3 || a.scores.dim(1) != a.sot_length + n_text + 2 ||
      static_cast<int64_t>(a.text_token_probs.size()) != n_text)
    fail(ErrorKind::Internal, "alignment: the scores do not match the text tokens");
  // rows: <|notimestamps|>'s position .. the last text token's; columns: the positions that hold audio
  const int64_t frames = std::min(num_frames / 2, a.scores.dim(2)), rows = n_text + 1;
  std::vector<double> cost(static_cast<size_t>(rows * frames));
  if (frames > 0) {
    const Tensor matrix = alignment_matrix(a.scores, frames, options.medfilt_width);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t f = 0; f < frames; ++f) cost[r * frames + f] = -static_cast<double>(matrix.row(a.sot_length + r)[f]);
  }
  const DtwPath path = dtw(cost, rows, frames);

  std::vector<int> with_eot = text_tokens;
  with_eot.push_back(eot);
  const WordSplit split = split_to_word_tokens(tokenizer, with_eot, language, eot);
  if (split.words.size() <= 1) return {};
  std::vector<double> jump_times;  // where the path reaches each token
  for (size_t k = 0; k < path.rows.size(); ++k)
    if (k == 0 || path.rows[k] != path.rows[k - 1]) jump_times.push_back(path.cols[k] / kTokensPerSecond);
  std::vector<WordTiming> out;
  size_t boundary = 0;
  for (size_t w = 0; w + 1 < split.words.size(); ++w) {
    const size_t next = boundary + split.tokens[w].size();
    if (next >= jump_times.size()) fail(ErrorKind::Internal, "alignment: the path misses a token");
    double sum = 0;
    for (size_t i = boundary; i < next; ++i) sum += a.text_token_probs[i];
    out.push_back({split.words[w], split.tokens[w], jump_times[boundary], jump_times[next],
                   sum / static_cast<double>(next - boundary)});
    boundary = next;
  }
  return out;
}

void merge_punctuations(std::vector<WordTiming>& alignment, std::string_view prepended, std::string_view appended) {
  if (alignment.size() >= 2) {
    for (int64_t i = static_cast<int64_t>(alignment.size()) - 2, j = i + 1; i >= 0; --i) {
      WordTiming& previous = alignment[static_cast<size_t>(i)];
      WordTiming& following = alignment[static_cast<size_t>(j)];
      if (starts_with(previous.word, " ") && python_in(strip_python(previous.word), prepended)) {
        following.word = previous.word + following.word;
        previous.tokens.insert(previous.tokens.end(), following.tokens.begin(), following.tokens.end());
        following.tokens = std::move(previous.tokens);
        previous.word.clear();
        previous.tokens.clear();
      } else {
        j = i;
      }
    }
  }
  for (size_t i = 0, j = 1; j < alignment.size(); ++j) {
    WordTiming& previous = alignment[i];
    WordTiming& following = alignment[j];
    if (!ends_with(previous.word, " ") && python_in(following.word, appended)) {
      previous.word += following.word;
      previous.tokens.insert(previous.tokens.end(), following.tokens.begin(), following.tokens.end());
      following.word.clear();
      following.tokens.clear();
    } else {
      i = j;
    }
  }
}

void add_word_timestamps(std::vector<Segment>& segments, std::vector<WordTiming> alignment, int eot, double time_offset,
                         double last_speech_timestamp, const WordTimingOptions& options) {
  if (segments.empty()) return;
  std::vector<double> durations;
  for (const WordTiming& w : alignment)
    if (w.end - w.start != 0) durations.push_back(w.end - w.start);
  const double median_duration = std::min(0.7, durations.empty() ? 0.0 : median(durations));
  const double max_duration = median_duration * 2;
  if (!durations.empty()) clip_sentence_ends(alignment, max_duration);
  merge_punctuations(alignment, options.prepend_punctuations, options.append_punctuations);

  size_t word_index = 0;
  for (Segment& seg : segments) {
    const size_t text_tokens = static_cast<size_t>(std::count_if(seg.tokens.begin(), seg.tokens.end(),
                                                                 [eot](int t) { return t < eot; }));
    size_t saved_tokens = 0;
    std::vector<Word> words;
    while (word_index < alignment.size() && saved_tokens < text_tokens) {
      const WordTiming& t = alignment[word_index];
      if (!t.word.empty())
        words.push_back({t.word, round2(time_offset + t.start), round2(time_offset + t.end), t.probability});
      saved_tokens += t.tokens.size();
      ++word_index;
    }
    if (!words.empty()) {
      reconcile(seg, words, last_speech_timestamp, median_duration, max_duration);
      last_speech_timestamp = seg.end;
    }
    seg.words = std::move(words);
  }
}

std::optional<double> last_word_end(const std::vector<Segment>& segments) {
  for (auto s = segments.rbegin(); s != segments.rend(); ++s)
    if (!s->words.empty()) return s->words.back().end;
  if (segments.empty()) return std::nullopt;
  return segments.back().end;
}

}  // namespace parley::whisper
