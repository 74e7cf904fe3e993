// The HiFi-GAN generator both speech engines end with: SpeechT5's vocoder (microsoft/speecht5_hifigan,
// transformers 4.27.1's SpeechT5HifiGan, from mel spectrograms) and VITS's waveform decoder
// (VitsHifiGan, from the flow's latent frames). One network, one implementation; the families load
// it (speecht5/hifigan.h, vits/decoder.h) and differ only in
//   - the input: SpeechT5 normalises the mel ((x - mean) / scale when normalize_before);
//   - a per-request bias after conv_pre: VITS's speaker conditioning (cond(speaker embedding));
//   - conv_post's bias (VITS has none), layer names and weight normalisation (HifiGanWeights).
//
//   input [frames, in_channels] ─► conv_pre (k 7) (+ bias)
//   per upsampling layer: leaky ReLU, transposed conv (stride = rate), then the average of the
//   multi-receptive-field residual blocks (each: pairs of leaky ReLU + dilated conv, residual)
//   ─► leaky ReLU (slope 0.01, PyTorch's default, as the reference) ─► conv_post (k 7) ─► tanh
//
// Activations are time-major ([time, channels]) and the layers are tensor/time_conv.h's: float32,
// or bf16 products (float32 sums) in a bf16/int8 model where the CPU has AVX-512 BF16; the wide
// residual convolutions run as Winograd F(4, 4), the narrow ones as direct products.
//
// Rates, kernel sizes, channels and dilations all come from the checkpoint's config.json. Immutable
// once built; vocode() may run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/tensor.h"
#include "tensor/time_conv.h"
#include "weights/weights.h"

namespace parley::vocoder {

// The bounds a family puts on the generator's fields in its config.json. The families accept
// different ranges (SpeechT5's reader only refuses absurd sizes; VITS's mirrors the MMS-TTS
// configs' scale), so each passes its own; every bound is inclusive.
// The most samples per input frame (the product of the upsampling rates) any config may ask for.
inline constexpr int64_t kMaxHopLength = 1 << 16;
// Dilations are ints in the layers.
inline constexpr int64_t kMaxDilation = 1 << 16;

struct HifiGanLimits {
  int64_t max_channels = 1 << 20;  // upsample_initial_channel
  size_t max_upsample_layers = 15;
  int64_t max_rate = 4096;
  int64_t max_upsample_kernel = 4096;
  bool even_upsample_padding = false;  // kernel - rate must be even
  size_t max_resblocks = SIZE_MAX;
  int64_t max_resblock_kernel = 4096;
  size_t max_dilations = SIZE_MAX;  // per residual block
  int64_t max_dilation = kMaxDilation;
  int64_t default_sampling_rate = -1;  // when config.json has none; -1: required
  int64_t min_sampling_rate = 1, max_sampling_rate = 1 << 20;
};

// The generator's shape, as both families' config.json give it.
struct HifiGanShape {
  int64_t in_channels = 0;  // mel bins (SpeechT5) or flow_size (VITS)
  int64_t sampling_rate = 0;
  int64_t upsample_initial_channel = 0;
  std::vector<int64_t> upsample_rates;
  std::vector<int64_t> upsample_kernel_sizes;
  std::vector<int64_t> resblock_kernel_sizes;
  std::vector<std::vector<int64_t>> resblock_dilation_sizes;
  double leaky_relu_slope = 0.1;

  // Samples per input frame (the product of the upsampling rates).
  int64_t hop_length() const;

  // The generator's fields of a config.json (SpeechT5HifiGanConfig's or VitsConfig's, which name
  // them alike) within `limits`, for `in_channels` input channels (the family reads those: SpeechT5's
  // model_in_dim, VITS's flow_size). Throws Error(BadModel) naming `source` and the field.
  static HifiGanShape from_json(const nlohmann::json& j, const std::string& source, int64_t in_channels,
                                const HifiGanLimits& limits);
};

// Where a checkpoint keeps the generator's layers.
struct HifiGanWeights {
  const Weights& weights;
  std::string prefix;  // before every layer name: "" (SpeechT5's vocoder), "decoder." (VITS)
  // The weight of the convolution `name` ("conv_pre", "upsampler.0", ...) with its full name
  // (prefix included): `.weight`, or VITS's weight_g / weight_v pair folded.
  std::function<Tensor(const std::string& name, const Shape& shape)> conv_weight;
  bool post_bias = true;  // conv_post has a bias (VITS's has none)
};

class HifiGan {
 public:
  HifiGan() = default;
  // The layers from `w` in `shape`'s sizes; throws Error(BadModel) naming the checkpoint for a
  // missing or mis-shaped weight or an unusable kernel.
  HifiGan(HifiGanShape shape, const HifiGanWeights& w);

  // SpeechT5's normalize_before: the input is (x - mean) / scale, both [in_channels].
  void normalize_input(Tensor mean, Tensor scale);

  const HifiGanShape& shape() const { return shape_; }
  int sample_rate() const { return static_cast<int>(shape_.sampling_rate); }
  int64_t in_channels() const { return shape_.in_channels; }

  // input [frames, in_channels] -> samples in [-1, 1] (shape().hop_length() per frame). `bias`
  // ([upsample_initial_channel], or empty) is added after conv_pre. Throws Error(BadInput) for
  // another width or no frames.
  std::vector<float> vocode(const Tensor& mel, std::span<const float> bias = {}) const {
    return vocode(mel, kTileFrames, kChunkValues, bias);
  }
  // The same, `tile_frames` mel frames at a time (0: all at once). Each tile runs with
  // context_frames() of real neighbours on each side, as many as reach its output through the
  // network, so the samples equal those of one pass; memory stays that of one tile whatever the
  // length. Spectrograms up to tile_frames + 2 * context_frames() take one pass.
  // Within a tile, a long stage (upsampler, residual blocks, and after the last one the output
  // convolution) runs on chunks of about `chunk_values` values (rows x channels) of its output,
  // likewise with exact context, on all threads at once.
  std::vector<float> vocode(const Tensor& mel, int64_t tile_frames, int64_t chunk_values = kChunkValues,
                            std::span<const float> bias = {}) const;

  // Input frames on each side that can change a frame's samples (shape().hop_length() per frame).
  int64_t context_frames() const;

  // ~10 s of speech: a typical utterance takes one pass (context costs 2 x 27 frames per tile edge
  // for speecht5_hifigan, 17 % of a 10 s clip in tiles of 256), and a tile's buffers stay small
  // (a stage keeps only its input and output whole: 15 MB of float32 for 10 s of that model).
  static constexpr int64_t kTileFrames = 640;
  static constexpr int64_t kChunkValues = int64_t{1} << 17;  // 0.5 MB of float32 per chunk buffer

 private:
  struct ResBlock {
    std::vector<TimeConv1d> conv1, conv2;  // pairs, conv1 dilated
  };
  // The buffers of one tile, reused by the next tile and the next call on the same thread.
  struct Scratch {
    Tensor x, y, sum, h, u, taps;  // y: the signal; sum: the next one
  };
  // A thread's buffers for one chunk of a stage.
  struct ChunkBuffers {
    Tensor up, taps, sum, h, u, post;
  };
  // The rows of a chunk's buffer a layer computes: [lo, hi). An edge that is the signal's own keeps
  // its zero padding (as the reference); at one inside the signal (a chunk's context) a layer's
  // padding rows come out wrong, so the next layer leaves them out.
  struct Rows {
    int64_t lo = 0, hi = 0;
    bool signal_lo = true, signal_hi = true;  // lo / hi are the signal's own edges (then lo is 0)
    Rows after(int64_t padding) const {
      return {signal_lo ? lo : lo + padding, signal_hi ? hi : hi - padding, signal_lo, signal_hi};
    }
  };
  // h = the residual block's output for input h (in place, pair by pair, as the reference), right
  // on rows [rows.lo + reach, rows.hi - reach) (reach: the block's, not at the signal's edges); u
  // is work space.
  void resblock(const ResBlock& block, Tensor& h, Tensor& u, Rows rows) const;
  // Rows on each side of a row that can change it through a residual block, or the widest of a
  // stage's.
  static int64_t resblock_reach(const ResBlock& block);
  int64_t resblocks_reach(size_t stage) const;
  // sum = the average of the stage's residual blocks over y [rows, channels], right on the rows
  // `wanted` (each block runs over those and its own reach, not the stage's widest); h and u: work
  // space.
  void average_resblocks(size_t stage, const float* y, int64_t rows, Rows wanted, Tensor& sum, Tensor& h,
                         Tensor& u) const;
  // Rows on each side of a stage's output row that can change it from the upsampled signal: the
  // residual blocks', and after the last stage the output convolution's.
  int64_t stage_reach(size_t stage) const;
  // Rows per chunk for a stage of `rows` output rows, or 0 where it runs whole.
  int64_t stage_chunk_rows(size_t stage, int64_t rows, int64_t chunk_values) const;
  // Output rows [r0, r1) of a stage from its whole input `in` [in_rows, channels]: upsampled, the
  // residual blocks averaged and, after the last stage, the output convolution and tanh (one value
  // a row), written at those rows of `out`.
  void stage_chunk(size_t stage, const float* in, int64_t in_rows, int64_t r0, int64_t r1, ChunkBuffers& b,
                   float* out) const;
  // Frames [begin, end) of mel through the whole network, appended to `out`.
  void vocode_range(const Tensor& mel, int64_t begin, int64_t end, int64_t chunk_values, std::span<const float> bias,
                    Scratch& s, std::vector<float>& out) const;

  HifiGanShape shape_;
  Tensor mean_, scale_;  // [in_channels], or empty: no input normalisation
  TimeConv1d conv_pre_, conv_post_;
  std::vector<TimeConvTranspose1d> upsamples_;
  std::vector<ResBlock> resblocks_;  // upsamples x kernels, row-major
  bool tiles_align_ = true;  // every upsampler gives rate samples per input frame
};

}  // namespace parley::vocoder
