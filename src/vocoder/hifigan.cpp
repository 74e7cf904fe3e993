#include "vocoder/hifigan.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "tensor/ops.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"

namespace parley::vocoder {

namespace {

constexpr float kFinalLeakySlope = 0.01f;  // the reference calls leaky_relu() without a slope here

void require(bool ok, const std::string& source, const std::string& what) {
  if (!ok) bad_model(source + ": " + what);
}

// A list of 1 to max_count sizes, each in [1, hi].
std::vector<int64_t> size_list(const nlohmann::json& j, const std::string& key, size_t max_count, int64_t hi,
                               const std::string& source) {
  const std::vector<int64_t> v = json_int_list_or(j, key, {}, source);
  require(!v.empty(), source, "\"" + key + "\" is missing or empty");
  require(v.size() <= max_count, source, "\"" + key + "\" lists more than " + std::to_string(max_count) + " sizes");
  for (int64_t x : v)
    require(x >= 1 && x <= hi, source, "\"" + key + "\" has " + std::to_string(x) + ", outside [1, " + std::to_string(hi) + "]");
  return v;
}

void read_upsampling(const nlohmann::json& j, const std::string& source, const HifiGanLimits& limits, HifiGanShape& s) {
  s.upsample_initial_channel = json_int_in(j, "upsample_initial_channel", 1, limits.max_channels, source);
  s.upsample_rates = size_list(j, "upsample_rates", limits.max_upsample_layers, limits.max_rate, source);
  s.upsample_kernel_sizes = size_list(j, "upsample_kernel_sizes", limits.max_upsample_layers, limits.max_upsample_kernel, source);
  require(s.upsample_rates.size() == s.upsample_kernel_sizes.size(), source,
          "upsample_rates and upsample_kernel_sizes differ in length");
  require((s.upsample_initial_channel >> s.upsample_rates.size()) >= 1, source,
          "upsample_initial_channel is too small to halve at every upsampling layer");
  // Samples per input frame (256 in the published models): a product of up to 15 rates of up to
  // 4096 overflows int64 long before any real shape, so it is bounded as it is formed.
  int64_t hop = 1;
  for (int64_t rate : s.upsample_rates) {
    hop *= rate;
    require(hop <= kMaxHopLength, source,
            "upsample_rates multiply to more than " + std::to_string(kMaxHopLength) + " samples per frame");
  }
  for (size_t i = 0; i < s.upsample_rates.size(); ++i) {
    const int64_t excess = s.upsample_kernel_sizes[i] - s.upsample_rates[i];
    require(excess >= 0, source, "upsample kernel " + std::to_string(i) + " is shorter than its rate");
    require(!limits.even_upsample_padding || excess % 2 == 0, source,
            "upsample kernel " + std::to_string(i) + " must exceed its rate by an even number");
  }
}

void read_resblocks(const nlohmann::json& j, const std::string& source, const HifiGanLimits& limits, HifiGanShape& s) {
  s.resblock_kernel_sizes = size_list(j, "resblock_kernel_sizes", limits.max_resblocks, limits.max_resblock_kernel, source);
  // Padding (k*d - d)/2 keeps the length only when k is odd; otherwise the residual sum cannot add up.
  for (int64_t k : s.resblock_kernel_sizes)
    require(k % 2 == 1, source, "resblock kernel sizes must be odd, got " + std::to_string(k));
  const auto it = j.find("resblock_dilation_sizes");
  require(it != j.end() && it->is_array() && it->size() == s.resblock_kernel_sizes.size(), source,
          "resblock_dilation_sizes must hold one list per resblock kernel");
  const std::string count = limits.max_dilations == SIZE_MAX ? "non-empty lists" : "lists of 1 to " + std::to_string(limits.max_dilations);
  const std::string bad_dilation = "resblock_dilation_sizes must hold " + count + " of integers in [1, " +
                                   std::to_string(limits.max_dilation) + "]";
  for (const auto& row : *it) {
    require(row.is_array() && !row.empty() && row.size() <= limits.max_dilations, source, bad_dilation);
    std::vector<int64_t> d;
    for (const auto& x : row) {
      require(x.is_number_integer() && x.get<int64_t>() >= 1 && x.get<int64_t>() <= limits.max_dilation, source,
              bad_dilation);
      d.push_back(x.get<int64_t>());
    }
    s.resblock_dilation_sizes.push_back(std::move(d));
  }
}

}  // namespace

int64_t HifiGanShape::hop_length() const {
  int64_t hop = 1;
  for (int64_t r : upsample_rates) hop *= r;
  return hop;
}

HifiGanShape HifiGanShape::from_json(const nlohmann::json& j, const std::string& source, int64_t in_channels,
                                     const HifiGanLimits& limits) {
  HifiGanShape s;
  s.in_channels = in_channels;
  s.sampling_rate = limits.default_sampling_rate < 0
                        ? json_int_in(j, "sampling_rate", limits.min_sampling_rate, limits.max_sampling_rate, source)
                        : json_int_in_or(j, "sampling_rate", limits.default_sampling_rate, limits.min_sampling_rate,
                                         limits.max_sampling_rate, source);
  read_upsampling(j, source, limits, s);
  read_resblocks(j, source, limits, s);
  s.leaky_relu_slope = json_number_or(j, "leaky_relu_slope", 0.1, source);
  require(std::isfinite(s.leaky_relu_slope), source, "leaky_relu_slope must be a number");
  return s;
}

HifiGan::HifiGan(HifiGanShape shape, const HifiGanWeights& w) : shape_(std::move(shape)) {
  const HifiGanShape& c = shape_;
  const Precision precision = default_precision();
  const std::string& source = w.weights.source();
  auto conv = [&](const std::string& name, int64_t out, int64_t in, int64_t kernel, int dilation, bool bias = true) {
    if (kernel % 2 == 0) bad_model(source + ": " + w.prefix + name + " has an even kernel, which 'same' padding cannot centre");
    const std::string full = w.prefix + name;
    return TimeConv1d(w.conv_weight(full, {out, in, kernel}), bias ? w.weights.get(full + ".bias", {out}) : Tensor(),
                      dilation, precision);
  };
  const int64_t ch0 = c.upsample_initial_channel;
  conv_pre_ = conv("conv_pre", ch0, c.in_channels, 7, 1);
  int64_t channels = ch0;
  for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
    const int64_t in = ch0 >> i, out = ch0 >> (i + 1), k = c.upsample_kernel_sizes[i], rate = c.upsample_rates[i];
    const std::string p = w.prefix + "upsampler." + std::to_string(i);
    if (k < rate)
      bad_model(source + ": upsampler " + std::to_string(i) + " has kernel " + std::to_string(k) +
                ", shorter than its rate " + std::to_string(rate));
    // Tiles need n frames to give exactly n * rate samples at every upsampler.
    tiles_align_ = tiles_align_ && (k - rate) % 2 == 0;
    upsamples_.emplace_back(w.conv_weight(p, {in, out, k}), w.weights.get(p + ".bias", {out}), static_cast<int>(rate),
                            static_cast<int>((k - rate) / 2), precision);
    channels = out;
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const int64_t kernel = c.resblock_kernel_sizes[j];
      const std::string rp = "resblocks." + std::to_string(i * c.resblock_kernel_sizes.size() + j);
      ResBlock block;
      for (size_t d = 0; d < c.resblock_dilation_sizes[j].size(); ++d) {
        const std::string ds = std::to_string(d);
        const int dilation = static_cast<int>(c.resblock_dilation_sizes[j][d]);
        block.conv1.push_back(conv(rp + ".convs1." + ds, out, out, kernel, dilation));
        block.conv2.push_back(conv(rp + ".convs2." + ds, out, out, kernel, 1));
      }
      resblocks_.push_back(std::move(block));
    }
  }
  conv_post_ = conv("conv_post", 1, channels, 7, 1, w.post_bias);
}

void HifiGan::normalize_input(Tensor mean, Tensor scale) {
  mean_ = std::move(mean);
  scale_ = std::move(scale);
}

void HifiGan::resblock(const ResBlock& block, Tensor& h, Tensor& u, Rows rows) const {
  const float slope = static_cast<float>(shape_.leaky_relu_slope);
  const int64_t channels = h.dim(1);
  u.resize({h.dim(0), channels});
  for (size_t i = 0; i < block.conv1.size(); ++i) {
    const int64_t at = rows.lo * channels;
    block.conv1[i].forward(h.data() + at, rows.hi - rows.lo, slope, u.data() + at, channels, false);
    rows = rows.after(block.conv1[i].padding());
    const int64_t from = rows.lo * channels;  // h += conv2(...), the residual
    block.conv2[i].forward(u.data() + from, rows.hi - rows.lo, slope, h.data() + from, channels, true);
    rows = rows.after(block.conv2[i].padding());
  }
}

int64_t HifiGan::resblock_reach(const ResBlock& block) {
  int64_t reach = 0;
  for (size_t d = 0; d < block.conv1.size(); ++d) reach += block.conv1[d].padding() + block.conv2[d].padding();
  return reach;
}

int64_t HifiGan::resblocks_reach(size_t stage) const {
  const size_t kernels = shape_.resblock_kernel_sizes.size();
  int64_t widest = 0;  // the residual blocks run side by side: the widest one counts
  for (size_t j = 0; j < kernels; ++j) widest = std::max(widest, resblock_reach(resblocks_[stage * kernels + j]));
  return widest;
}

void HifiGan::average_resblocks(size_t stage, const float* y, int64_t rows, Rows wanted, Tensor& sum, Tensor& h,
                                Tensor& u) const {
  // Summed in the reference's order, then divided, not scaled by 1/k: the reference's rounding.
  const size_t kernels = shape_.resblock_kernel_sizes.size();
  const int64_t channels = resblocks_[stage * kernels].conv1[0].in_channels();
  for (size_t j = 0; j < kernels; ++j) {
    const ResBlock& block = resblocks_[stage * kernels + j];
    // The rows this block needs: the wanted ones and its own reach on each side that is not the
    // signal's edge (a narrower block than the stage's widest skips the rest of the context).
    Rows in = wanted;
    const int64_t reach = resblock_reach(block);
    if (!in.signal_lo) in.lo -= reach;
    if (!in.signal_hi) in.hi += reach;
    assert(in.lo >= 0 && in.hi <= rows);
    Tensor& x = j == 0 ? sum : h;
    x.resize({rows, channels});
    std::copy(y, y + rows * channels, x.data());  // all of it: the rows left out stay finite
    resblock(block, x, u, in);
    if (j > 0 && j + 1 < kernels) ops::add(sum, h);
    if (j > 0 && j + 1 == kernels) ops::add_then_divide(sum, h, static_cast<float>(kernels));
  }
}

int64_t HifiGan::stage_chunk_rows(size_t stage, int64_t rows, int64_t chunk_values) const {
  // A chunk is worth its context only with enough of them for every thread, and only where the
  // upsampler's output rows line up with its input rows (what exact tiles need too).
  const int64_t reach = stage_reach(stage), threads = parallel::threads();
  const int64_t longest = std::max(16 * reach, chunk_values / upsamples_[stage].out_channels());
  const int64_t count = (rows + longest - 1) / longest;
  if (!tiles_align_ || count < 2 * threads) return 0;
  // As many chunks on every thread: MMS-TTS's 256-channel stage made 5 chunks of a paragraph, 3 on
  // one thread and 2 on the other.
  const int64_t even = (count + threads - 1) / threads * threads;
  return (rows + even - 1) / even;
}

int64_t HifiGan::stage_reach(size_t stage) const {
  return resblocks_reach(stage) + (stage + 1 == upsamples_.size() ? conv_post_.padding() : 0);
}

void HifiGan::stage_chunk(size_t stage, const float* in, int64_t in_rows, int64_t r0, int64_t r1, ChunkBuffers& b,
                          float* out) const {
  const TimeConvTranspose1d& up = upsamples_[stage];
  const bool last = stage + 1 == upsamples_.size();
  const int64_t rows = up.output_rows(in_rows), channels = up.out_channels(), reach = stage_reach(stage);
  const int64_t s = up.stride(), p = up.padding(), k = up.kernel();
  // The upsampled rows [from, to) that reach [r0, r1), and the input rows that make every one of
  // them whole: output row o takes input rows t with t * s - p + j = o, j < k.
  const int64_t from = std::max<int64_t>(0, r0 - reach), to = std::min(rows, r1 + reach);
  auto floor_div = [](int64_t a, int64_t d) { return a >= 0 ? a / d : -((-a + d - 1) / d); };
  const int64_t t0 = std::max<int64_t>(0, -floor_div(-(from + p - k + 1), s));  // ceil
  const int64_t t1 = std::min(in_rows, floor_div(to - 1 + p, s) + 1);
  up.forward(in + t0 * up.in_channels(), t1 - t0, static_cast<float>(shape_.leaky_relu_slope), b.up, b.taps);
  // Upsampled row `from` in b.up. In range because the kernel is at least the rate (checked at
  // load) and the padding is (kernel - rate) / 2 (stage_chunk_rows needs tiles_align_); this runs
  // on for_range's threads, where an exception may not escape, hence an assertion, not a throw.
  const int64_t offset = from - t0 * s;
  assert(offset >= 0 && offset + (to - from) <= b.up.dim(0));
  // The rows the stage's output needs from the residual blocks: [r0, r1), and for the output
  // convolution its padding on each side; the signal's own edges where the chunk reaches them.
  const int64_t post = last ? conv_post_.padding() : 0;
  const bool signal_lo = from == 0, signal_hi = to == rows;
  const Rows wanted{signal_lo ? 0 : r0 - post - from, signal_hi ? to - from : r1 + post - from, signal_lo, signal_hi};
  average_resblocks(stage, b.up.data() + offset * channels, to - from, wanted, b.sum, b.h, b.u);
  if (!last) {
    std::copy(b.sum.data() + (r0 - from) * channels, b.sum.data() + (r1 - from) * channels, out + r0 * channels);
    return;
  }
  b.post.resize({to - from, 1});
  conv_post_.forward(b.sum.data(), to - from, kFinalLeakySlope, b.post.data(), 1, false);
  ops::tanh(b.post);
  std::copy(b.post.data() + (r0 - from), b.post.data() + (r1 - from), out + r0);
}

int64_t HifiGan::context_frames() const {
  // Each layer's reach (its padding), in samples of the rate it runs at, summed and turned into mel
  // frames.
  double frames = static_cast<double>(conv_pre_.padding());  // at the frame rate
  int64_t rate = 1;  // samples per mel frame at this stage's input
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    const TimeConvTranspose1d& u = upsamples_[i];
    frames += static_cast<double>(u.kernel() + u.stride()) / u.stride() / rate;  // at its input
    rate *= u.stride();
    frames += static_cast<double>(resblocks_reach(i)) / rate;
  }
  frames += static_cast<double>(conv_post_.padding()) / rate;
  return static_cast<int64_t>(std::ceil(frames)) + 1;
}

std::vector<float> HifiGan::vocode(const Tensor& mel, int64_t tile_frames, int64_t chunk_values,
                                   std::span<const float> bias) const {
  const HifiGanShape& c = shape_;
  if (mel.ndim() != 2 || mel.dim(1) != c.in_channels)
    bad_input("the vocoder takes inputs of " + std::to_string(c.in_channels) + " channels, got " + mel.shape_string());
  if (mel.dim(0) == 0) bad_input("the vocoder got an empty input");
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != conv_pre_.out_channels())
    bad_input("the vocoder's bias has " + std::to_string(bias.size()) + " values, not " +
              std::to_string(conv_pre_.out_channels()));
  const int64_t frames = mel.dim(0), context = context_frames();
  std::vector<float> out;
  out.reserve(static_cast<size_t>(frames * c.hop_length()));
  // Kept per thread between calls: a fresh one would be allocated, zeroed and faulted in by every
  // call (measured 16 % of the vocoder's time). It holds one tile's buffers.
  thread_local Scratch scratch;
  if (!tiles_align_ || tile_frames <= 0 || frames <= tile_frames + 2 * context) {
    vocode_range(mel, 0, frames, chunk_values, bias, scratch, out);
    return out;
  }
  std::vector<float> piece;
  for (int64_t t0 = 0; t0 < frames; t0 += tile_frames) {
    const int64_t t1 = std::min(frames, t0 + tile_frames);
    const int64_t from = std::max<int64_t>(0, t0 - context), to = std::min(frames, t1 + context);
    piece.clear();
    vocode_range(mel, from, to, chunk_values, bias, scratch, piece);
    // Keep the tile's own samples; the context's are there only to make those exact.
    out.insert(out.end(), piece.begin() + (t0 - from) * c.hop_length(), piece.begin() + (t1 - from) * c.hop_length());
  }
  return out;
}

void HifiGan::vocode_range(const Tensor& mel, int64_t begin, int64_t end, int64_t chunk_values,
                           std::span<const float> bias, Scratch& s, std::vector<float>& out) const {
  const HifiGanShape& c = shape_;
  const float slope = static_cast<float>(c.leaky_relu_slope);
  int64_t rows = end - begin, channels = c.in_channels;
  const bool normalize = !mean_.empty();
  s.x.resize({rows, channels});  // the input frames, normalised where the model asks
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t b = 0; b < channels; ++b) {
      const float v = mel[(begin + t) * channels + b];
      s.x[t * channels + b] = normalize ? (v - mean_[b]) / scale_[b] : v;
    }
  // Stage by stage: the upsampler, then the average of the residual blocks (and after the last
  // stage the output convolution). A long stage runs in chunks of rows, each from the previous
  // stage's output with exact context (as the mel tiles), on all threads at once: each chunk's
  // buffers stay in a core's cache and the stage keeps only its input and output whole. A short
  // one runs whole, each layer on all threads.
  // The signal's buffers are sized once for the largest stage: grown stage by stage, each would
  // leave the smaller ones behind in the heap.
  int64_t largest = rows * conv_pre_.out_channels();
  int64_t n = rows;
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    n = upsamples_[i].output_rows(n);
    const bool samples = i + 1 == upsamples_.size() && stage_chunk_rows(i, n, chunk_values) > 0;
    largest = std::max(largest, samples ? n : n * upsamples_[i].out_channels());  // a chunked last stage: samples
  }
  s.y.resize({largest});
  s.sum.resize({largest});
  channels = conv_pre_.out_channels();
  s.y.resize({rows, channels});
  conv_pre_.forward(s.x.data(), rows, 1.f, s.y.data(), channels, false);
  if (!bias.empty())
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t ch = 0; ch < channels; ++ch) s.y[t * channels + ch] += bias[static_cast<size_t>(ch)];
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    const bool last = i + 1 == upsamples_.size();
    const int64_t in_rows = rows;
    rows = upsamples_[i].output_rows(in_rows);
    channels = upsamples_[i].out_channels();
    const int64_t chunk = stage_chunk_rows(i, rows, chunk_values);
    if (chunk > 0) {
      s.sum.resize({rows, last ? 1 : channels});
      const float* in = s.y.data();
      float* next = s.sum.data();
      parallel::for_range((rows + chunk - 1) / chunk, 1, [&](int64_t c0, int64_t c1) {
        thread_local ChunkBuffers b;
        for (int64_t c = c0; c < c1; ++c) stage_chunk(i, in, in_rows, c * chunk, std::min(rows, (c + 1) * chunk), b, next);
      });
      std::swap(s.y, s.sum);
      if (last) out.insert(out.end(), s.y.data(), s.y.data() + rows);
      if (last) return;
      continue;
    }
    upsamples_[i].forward(s.y.data(), in_rows, slope, s.sum, s.taps);
    average_resblocks(i, s.sum.data(), rows, Rows{0, rows}, s.y, s.h, s.u);
  }
  s.x.resize({rows, 1});
  conv_post_.forward(s.y.data(), rows, kFinalLeakySlope, s.x.data(), 1, false);
  ops::tanh(s.x);
  out.insert(out.end(), s.x.data(), s.x.data() + s.x.numel());
}

}  // namespace parley::vocoder
