// HiFi-GAN vocoder (microsoft/speecht5_hifigan layout): mel spectrogram -> waveform, as transformers
// 4.27.1's SpeechT5HifiGan computes it.
//
//   mel [frames, bins] ─(x - mean) / scale when normalize_before─► conv_pre (k 7)
//   per upsampling layer: leaky ReLU, transposed conv (stride = rate), then the average of the
//   multi-receptive-field residual blocks (each: pairs of leaky ReLU + dilated conv, residual)
//   ─► leaky ReLU (slope 0.01, PyTorch's default, as the reference) ─► conv_post (k 7) ─► tanh
//
// Activations are time-major ([time, channels]) and the layers are tensor/time_conv.h's: float32,
// or bf16 products (float32 sums) in a bf16/int8 model where the CPU has AVX-512 BF16; the wide
// residual convolutions run as Winograd F(4, 4), the narrow ones as direct products.
//
// Rates, kernel sizes, channels and dilations all come from config.json. Immutable once loaded;
// vocode() may run on several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "speecht5/config.h"
#include "tensor/tensor.h"
#include "tensor/time_conv.h"

namespace parley::speecht5 {

class HifiGan {
 public:
  // Reads config.json and the weights of a speecht5_hifigan-style folder; throws Error(BadModel).
  static std::shared_ptr<const HifiGan> load(const std::filesystem::path& folder);

  const HifiGanConfig& config() const { return config_; }
  int sample_rate() const { return static_cast<int>(config_.sampling_rate); }
  int64_t mel_bins() const { return config_.model_in_dim; }

  // mel [frames, mel_bins] -> samples in [-1, 1] (config().hop_length() per frame). Throws Error(BadInput) for
  // another width or no frames.
  std::vector<float> vocode(const Tensor& mel) const { return vocode(mel, kTileFrames); }
  // The same, `tile_frames` mel frames at a time (0: all at once). Each tile runs with
  // context_frames() of real neighbours on each side, as many as reach its output through the
  // network, so the samples equal those of one pass; memory stays that of one tile whatever the
  // length. Spectrograms up to tile_frames + 2 * context_frames() take one pass.
  // Within a tile, a long stage (upsampler, residual blocks, and after the last one the output
  // convolution) runs on chunks of about `chunk_values` values (rows x channels) of its output,
  // likewise with exact context, on all threads at once.
  std::vector<float> vocode(const Tensor& mel, int64_t tile_frames, int64_t chunk_values = kChunkValues) const;

  // Mel frames on each side that can change a frame's samples (config().hop_length() per frame).
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
  // h = the residual block's output for input h (in place, pair by pair, as the reference); u is
  // work space.
  void resblock(const ResBlock& block, Tensor& h, Tensor& u) const;
  // Rows on each side of a row that can change it through a stage's residual blocks.
  int64_t resblocks_reach(size_t stage) const;
  // sum = the average of the stage's residual blocks over y [rows, channels]; h and u: work space.
  void average_resblocks(size_t stage, const float* y, int64_t rows, Tensor& sum, Tensor& h, Tensor& u) const;
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
  void vocode_range(const Tensor& mel, int64_t begin, int64_t end, int64_t chunk_values, Scratch& s,
                    std::vector<float>& out) const;

  HifiGanConfig config_;
  Tensor mean_, scale_;  // [mel_bins] (used when normalize_before)
  TimeConv1d conv_pre_, conv_post_;
  std::vector<TimeConvTranspose1d> upsamples_;
  std::vector<ResBlock> resblocks_;  // upsamples x kernels, row-major
  bool tiles_align_ = true;  // every upsampler gives rate samples per input frame
};

}  // namespace parley::speecht5
