#include "whisper/longform.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <zlib.h>

#include "core/error.h"
#include "text/pretokenizer.h"
#include "text/sentences.h"

namespace parley::whisper {

namespace {

// splitmix64: decorrelates the seeds of neighbouring windows and attempts.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Python's v[-k:] for any k (k <= 0 keeps v[-k:] from the front, as the slice does).
std::vector<int> py_tail(const std::vector<int>& v, int64_t k) {
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t from = k > 0 ? std::max<int64_t>(0, n - k) : std::min<int64_t>(n, -k);
  return {v.begin() + from, v.end()};
}

// mel[:, seek : seek + size], zero-padded to `frames` (openai's pad_or_trim of the slice).
Tensor window_features(const Tensor& mel, int64_t seek, int64_t size, int frames) {
  const int64_t n_mels = mel.dim(0);
  Tensor w({n_mels, frames});
  for (int64_t m = 0; m < n_mels; ++m)
    std::memcpy(w.row(m), mel.row(m) + seek, sizeof(float) * static_cast<size_t>(size));
  return w;
}

class Loop {
 public:
  Loop(const Tensor& mel, int64_t content_frames, double audio_seconds, WindowDecoder& decoder,
       const WhisperTokenizer& tok, const LongformSetup& setup, const LongformOptions& o,
       const std::function<void(const Segment&)>& on_segment,
       const std::function<void(const WindowTrace&)>& on_window)
      : mel_(mel), content_frames_(content_frames), audio_seconds_(audio_seconds), decoder_(decoder), tok_(tok),
        s_(setup), o_(o), on_segment_(on_segment), on_window_(on_window) {
    time_precision_ = static_cast<double>(s_.input_stride * s_.hop_length) / s_.sample_rate;
    remaining_prompt_length_ = s_.n_text_ctx / 2 - 1;
    if (!o_.initial_prompt.empty()) {
      std::string text(1, ' ');  // openai: encode(" " + initial_prompt.strip())
      text.append(strip_python(o_.initial_prompt));
      initial_prompt_ = tok_.encode(text);
      for (int id : initial_prompt_)
        if (id >= s_.eot) invalid_argument("the prompt must be plain text, without special tokens such as <|endoftext|>");
      all_tokens_ = initial_prompt_;
      remaining_prompt_length_ -= static_cast<int64_t>(initial_prompt_.size());
    }
  }

  LongformResult run() {
    while (seek_ < content_frames_) window();
    result_.text = tok_.decode(kept_tokens_, false);
    return std::move(result_);
  }

 private:
  void window();
  WindowAttempt decode_with_fallback(WindowTrace& trace);
  std::vector<Segment> split(const WindowAttempt& a, int64_t segment_size);
  Segment make_segment(double start, double end, std::vector<int> tokens, const WindowAttempt& a) const;
  void keep(std::vector<Segment>& segments);
  void align_words(std::vector<Segment>& segments, int64_t segment_size);

  const Tensor& mel_;
  int64_t content_frames_;
  double audio_seconds_;
  WindowDecoder& decoder_;
  const WhisperTokenizer& tok_;
  const LongformSetup& s_;
  const LongformOptions& o_;
  const std::function<void(const Segment&)>& on_segment_;
  const std::function<void(const WindowTrace&)>& on_window_;
  double time_precision_ = 0.02;
  int64_t remaining_prompt_length_ = 0;
  std::vector<int> initial_prompt_;
  std::vector<int> all_tokens_;   // the prompt source: initial prompt + every segment's tokens
  std::vector<int> kept_tokens_;  // the text's tokens: those of the segments kept
  size_t prompt_reset_since_ = 0;
  int64_t seek_ = 0;
  int64_t window_start_ = 0;             // seek_ when the current window began
  bool single_timestamp_ending_ = false; // of the window split() last cut
  double last_speech_timestamp_ = 0;     // end of the last word so far (word timestamps)
  LongformResult result_;
};

void Loop::window() {
  WindowTrace trace;
  trace.seek = window_start_ = seek_;
  trace.segment_size = std::min<int64_t>(s_.window_frames, content_frames_ - seek_);
  decoder_.set_window(window_features(mel_, seek_, trace.segment_size, s_.window_frames), seek_);
  if (o_.carry_initial_prompt) {
    const size_t ignored = std::max(initial_prompt_.size(), prompt_reset_since_);
    const std::vector<int> recent(all_tokens_.begin() + static_cast<std::ptrdiff_t>(ignored), all_tokens_.end());
    trace.prompt = initial_prompt_;
    const std::vector<int> tail = py_tail(recent, remaining_prompt_length_);
    trace.prompt.insert(trace.prompt.end(), tail.begin(), tail.end());
  } else {
    trace.prompt.assign(all_tokens_.begin() + static_cast<std::ptrdiff_t>(prompt_reset_since_), all_tokens_.end());
  }
  if (!trace.prompt.empty()) trace.prompt = py_tail(trace.prompt, s_.n_text_ctx / 2 - 1);

  const WindowAttempt a = decode_with_fallback(trace);
  const int64_t previous_seek = seek_;
  bool skip = o_.no_speech_threshold && a.result.no_speech_prob > *o_.no_speech_threshold;
  if (o_.logprob_threshold && a.result.avg_logprob > *o_.logprob_threshold) skip = false;  // confident text
  if (skip) {
    trace.skipped = true;
    seek_ += trace.segment_size;
  } else {
    std::vector<Segment> segments = split(a, trace.segment_size);
    if (o_.word_timestamps) align_words(segments, trace.segment_size);
    for (Segment& seg : segments)
      if (seg.start == seg.end || strip_python(seg.text).empty()) seg.text.clear(), seg.tokens.clear(), seg.words.clear();
    for (const Segment& seg : segments) all_tokens_.insert(all_tokens_.end(), seg.tokens.begin(), seg.tokens.end());
    keep(segments);
    if (!o_.condition_on_previous_text || a.temperature > 0.5f) prompt_reset_since_ = all_tokens_.size();
  }
  // A decoder that gives a window's first timestamp as its last would never move on (openai loops).
  if (seek_ <= previous_seek) seek_ = previous_seek + trace.segment_size;
  result_.windows.push_back(std::move(trace));
  if (on_window_) on_window_(result_.windows.back());
}

WindowAttempt Loop::decode_with_fallback(WindowTrace& trace) {
  if (o_.temperatures.empty()) invalid_argument("long-form decoding needs at least one temperature");
  for (size_t i = 0; i < o_.temperatures.size(); ++i) {
    WindowRequest req{seek_, trace.segment_size, trace.prompt, o_.temperatures[i], 0};
    req.seed = mix(o_.seed ^ mix(static_cast<uint64_t>(seek_) * 0x100 + i));
    WindowAttempt a;
    a.temperature = req.temperature;
    a.result = decoder_.decode(req);
    a.text = std::string(strip_python(tok_.decode(a.result.tokens, false)));
    a.compression_ratio = compression_ratio(a.text);
    const double lp = a.result.avg_logprob;
    a.needs_fallback = (o_.compression_ratio_threshold && a.compression_ratio > *o_.compression_ratio_threshold) ||
                       (o_.logprob_threshold && lp < *o_.logprob_threshold);
    if (o_.no_speech_threshold && a.result.no_speech_prob > *o_.no_speech_threshold && o_.logprob_threshold &&
        lp < *o_.logprob_threshold)
      a.needs_fallback = false;  // silence: a hotter temperature would only invent words
    trace.attempts.push_back(a);
    if (!a.needs_fallback) break;
  }
  return trace.attempts.back();
}

Segment Loop::make_segment(double start, double end, std::vector<int> tokens, const WindowAttempt& a) const {
  Segment seg;
  seg.seek = seek_;
  seg.start = start;
  seg.end = end;
  std::vector<int> text_tokens;
  for (int t : tokens)
    if (t < s_.eot) text_tokens.push_back(t);
  seg.text = tok_.decode(text_tokens, true);
  seg.tokens = std::move(tokens);
  seg.temperature = a.temperature;
  seg.avg_logprob = a.result.avg_logprob;
  seg.compression_ratio = a.compression_ratio;
  seg.no_speech_prob = a.result.no_speech_prob;
  return seg;
}

// Segments between consecutive timestamp tokens, and the window's advance (seek_ is updated).
std::vector<Segment> Loop::split(const WindowAttempt& a, int64_t segment_size) {
  const std::vector<int>& tokens = a.result.tokens;
  const int ts = s_.timestamp_begin;
  const size_t n = tokens.size();
  const double time_offset = static_cast<double>(seek_ * s_.hop_length) / s_.sample_rate;
  const bool single_timestamp_ending = n >= 2 && tokens[n - 2] < ts && tokens[n - 1] >= ts;
  single_timestamp_ending_ = single_timestamp_ending;
  std::vector<size_t> slices;
  for (size_t i = 0; i + 1 < n; ++i)
    if (tokens[i] >= ts && tokens[i + 1] >= ts) slices.push_back(i + 1);
  std::vector<Segment> out;
  if (!slices.empty()) {
    if (single_timestamp_ending) slices.push_back(n);
    size_t last = 0;
    for (size_t cur : slices) {
      std::vector<int> part(tokens.begin() + static_cast<std::ptrdiff_t>(last), tokens.begin() + static_cast<std::ptrdiff_t>(cur));
      const double start = time_offset + (part.front() - ts) * time_precision_;
      const double end = time_offset + (part.back() - ts) * time_precision_;
      out.push_back(make_segment(start, end, std::move(part), a));
      last = cur;
    }
    if (single_timestamp_ending)
      seek_ += segment_size;  // nothing was said after the last timestamp
    else
      seek_ += static_cast<int64_t>(tokens[last - 1] - ts) * s_.input_stride;  // redo the unfinished segment
    return out;
  }
  double duration = static_cast<double>(segment_size * s_.hop_length) / s_.sample_rate;
  int last_ts = -1;
  for (int t : tokens)
    if (t >= ts) last_ts = t;
  if (last_ts >= 0 && last_ts != ts) duration = (last_ts - ts) * time_precision_;
  out.push_back(make_segment(time_offset, time_offset + duration, tokens, a));
  seek_ += segment_size;
  return out;
}

// openai's add_word_timestamps for the window's segments, and where the next window starts.
void Loop::align_words(std::vector<Segment>& segments, int64_t segment_size) {
  if (segments.empty()) return;
  std::vector<int> text_tokens;
  for (const Segment& seg : segments)
    for (int t : seg.tokens)
      if (t < s_.eot) text_tokens.push_back(t);
  std::vector<WordTiming> alignment;
  if (!text_tokens.empty())
    alignment = find_alignment(decoder_.align(text_tokens), text_tokens, segment_size, tok_, s_.language, s_.eot,
                               o_.word_timing);
  const double time_offset = static_cast<double>(window_start_ * s_.hop_length) / s_.sample_rate;
  add_word_timestamps(segments, std::move(alignment), s_.eot, time_offset, last_speech_timestamp_, o_.word_timing);
  const std::optional<double> end = last_word_end(segments);
  const double frames_per_second = static_cast<double>(s_.sample_rate) / s_.hop_length;
  if (!single_timestamp_ending_ && end && *end > time_offset)
    seek_ = static_cast<int64_t>(std::nearbyint(*end * frames_per_second));
  if (end) last_speech_timestamp_ = *end;
}

// Numbers the window's segments, clamps them to the audio and hands them out.
void Loop::keep(std::vector<Segment>& segments) {
  for (Segment& seg : segments) {
    if (o_.clamp_to_duration) {
      if (seg.start >= audio_seconds_) continue;  // a random or confused model's time past the end
      seg.end = std::min(seg.end, audio_seconds_);
      for (Word& w : seg.words) w.start = std::min(w.start, audio_seconds_), w.end = std::min(w.end, audio_seconds_);
    }
    seg.id = static_cast<int>(result_.segments.size());
    kept_tokens_.insert(kept_tokens_.end(), seg.tokens.begin(), seg.tokens.end());
    result_.segments.push_back(std::move(seg));
    if (on_segment_) on_segment_(result_.segments.back());
  }
}

}  // namespace

double compression_ratio(std::string_view text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> buf(size);
  if (compress2(buf.data(), &size, reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK)
    fail(ErrorKind::Internal, "zlib could not compress a window's text");
  return static_cast<double>(text.size()) / static_cast<double>(size);
}

bool decode_in_windows(double audio_seconds, double window_seconds, bool timed, bool windowed_options) {
  return audio_seconds > window_seconds || timed || windowed_options;
}

subtitles::Transcript to_transcript(const LongformResult& r, const std::string& task) {
  return subtitles::transcript_of(task, r.language_name.empty() ? r.language : r.language_name, r.audio_seconds,
                                  std::string(sentences::trim(r.text)),  // as the API has it
                                  r.segments);
}

LongformResult run_longform(const Tensor& mel, int64_t content_frames, double audio_seconds, WindowDecoder& decoder,
                            const WhisperTokenizer& tokenizer, const LongformSetup& setup,
                            const LongformOptions& options, const std::function<void(const Segment&)>& on_segment,
                            const std::function<void(const WindowTrace&)>& on_window) {
  if (mel.ndim() != 2 || content_frames < 0 || mel.dim(1) < content_frames + setup.window_frames)
    invalid_argument("long-form decoding needs the log-mel of the audio followed by one window of silence");
  if (setup.window_frames <= 0 || setup.input_stride <= 0 || setup.hop_length <= 0 || setup.sample_rate <= 0)
    invalid_argument("long-form decoding: bad window geometry");
  return Loop(mel, content_frames, audio_seconds, decoder, tokenizer, setup, options, on_segment, on_window).run();
}

}  // namespace parley::whisper
