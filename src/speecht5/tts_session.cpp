// The speech decoder loop of generate_speech, one decoder step at a time with KV caches.
//
// The reference re-runs the prenet over the whole output sequence each step and keeps only the last
// row; the decoder layers then see that one row with cached keys and values. Here the prenet runs
// on the last frame only (same numbers: the prenet is row-wise and only the last row is used), the
// cross-attention keys and values are computed once per request, and every buffer is sized before
// the loop so a step allocates nothing.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "speecht5/layers.h"
#include "speecht5/tts_model.h"
#include "tensor/ops.h"

namespace parley::speecht5 {

struct TtsSession::State {
  std::vector<Tensor> cross_k, cross_v;  // per decoder layer [tokens, hidden]
  std::vector<Tensor> self_k, self_v;    // per decoder layer [step capacity, hidden]
  Tensor speaker;                        // [hidden] speaker_embeds_layer's x-vector part + bias
  Tensor keep;                           // [prenet_layers, prenet_units]
  Tensor frame;                          // [1, num_mel_bins] the previous step's last frame
  Tensor pre_a, pre_b;                   // [1, prenet_units]
  Tensor h, q, k, v, ctx, o;             // [1, hidden]
  Tensor ffn;                            // [1, ffn_dim]
  Tensor feat, logits;                   // [1, r * mel], [1, r]
};

TtsSession::TtsSession(std::shared_ptr<const SpeechT5Tts> model)
    : model_(std::move(model)), state_(std::make_unique<State>()) {
  if (!model_) fail(ErrorKind::Internal, "TtsSession needs a model");
}
TtsSession::~TtsSession() = default;
TtsSession::TtsSession(TtsSession&&) noexcept = default;
TtsSession& TtsSession::operator=(TtsSession&&) noexcept = default;

namespace {

// F.normalize(x, dim=-1): x / max(||x||, 1e-12).
std::vector<float> l2_normalised(const Tensor& speaker, int64_t dim) {
  if (speaker.numel() != dim)
    bad_input("the speaker x-vector has " + std::to_string(speaker.numel()) + " values; this model needs " +
              std::to_string(dim));
  double sum = 0;
  for (int64_t i = 0; i < dim; ++i) {
    if (!std::isfinite(speaker[i])) bad_input("the speaker x-vector holds a value that is not a finite number");
    sum += static_cast<double>(speaker[i]) * speaker[i];
  }
  const float norm = std::max(static_cast<float>(std::sqrt(sum)), 1e-12f);
  std::vector<float> out(dim);
  for (int64_t i = 0; i < dim; ++i) out[i] = speaker[i] / norm;
  return out;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

TtsResult TtsSession::generate(std::span<const int> ids, const Tensor& speaker, const GenerateOptions& options,
                               PrenetMasks& masks) {
  const SpeechT5Tts& m = *model_;
  const TtsConfig& c = m.config_;
  State& s = *state_;
  options.validate();
  const std::vector<float> xvector = l2_normalised(speaker, c.speaker_embedding_dim);
  masks.check(c.prenet_layers, c.prenet_units);

  TtsResult result;
  result.encoder = m.encode(ids);
  const int64_t n = result.encoder.dim(0), H = c.hidden_size, r = c.reduction_factor, mel = c.num_mel_bins;
  // As the reference: int(tokens * ratio / reduction_factor), in double precision, truncated (held
  // below 2^53 so that a huge ratio cannot overflow the conversion; the step cap applies anyway).
  const auto steps_for = [&](double ratio) {
    return static_cast<int64_t>(std::min(static_cast<double>(n) * ratio / static_cast<double>(r), 0x1p53));
  };
  const int64_t maxlen = steps_for(options.maxlenratio), minlen = steps_for(options.minlenratio);
  const int64_t cap = std::min(m.max_steps(), std::max<int64_t>({maxlen, minlen, 1}));

  // Per-request buffers, sized once.
  const size_t layers = m.decoder_layers_.size();
  s.cross_k.resize(layers);
  s.cross_v.resize(layers);
  s.self_k.resize(layers);
  s.self_v.resize(layers);
  for (size_t l = 0; l < layers; ++l) {
    m.decoder_layers_[l].cross_attn.k.forward(result.encoder, s.cross_k[l]);
    m.decoder_layers_[l].cross_attn.v.forward(result.encoder, s.cross_v[l]);
    s.self_k[l].resize({cap, H});
    s.self_v[l].resize({cap, H});
  }
  s.speaker.resize({1, H});
  m.speaker_xvector_.forward(xvector.data(), 1, c.speaker_embedding_dim, s.speaker.data(), H);
  s.keep.resize({c.prenet_layers, c.prenet_units});
  s.frame.resize({1, mel});
  std::fill(s.frame.data(), s.frame.data() + mel, 0.f);  // the sequence starts with an all-zero frame
  s.pre_a.resize({1, c.prenet_units});
  s.pre_b.resize({1, c.prenet_units});
  for (Tensor* t : {&s.h, &s.q, &s.k, &s.v, &s.ctx, &s.o}) t->resize({1, H});
  s.ffn.resize({1, c.decoder_ffn_dim});
  s.feat.resize({1, r * mel});
  s.logits.resize({1, r});
  Tensor spectra({cap * r, mel}), stop_logits({cap, r});

  const float eps = static_cast<float>(c.layer_norm_eps);
  const double p = c.prenet_dropout;
  const float keep_scale = p < 1.0 ? static_cast<float>(1.0 / (1.0 - p)) : 0.f;
  const int64_t self_heads = c.decoder_attention_heads, hd = H / self_heads;
  const float q_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  const float threshold = static_cast<float>(options.threshold);  // compared in float32, as torch does

  int64_t step = 0;
  for (;; ++step) {
    check(options.control);
    // Prenet on the previous frame: Linear, ReLU, dropout (always on) per layer; then the final
    // layer, the scaled position, and the speaker projection with ReLU.
    masks.next(c.prenet_layers, c.prenet_units, p, s.keep.data());
    const float* in = s.frame.data();
    int64_t in_dim = mel;
    for (int64_t l = 0; l < c.prenet_layers; ++l) {
      Tensor& out = (l % 2 == 0) ? s.pre_a : s.pre_b;
      m.prenet_layers_[l].forward(in, 1, in_dim, out.data(), c.prenet_units);
      const float* keep = s.keep.data() + l * c.prenet_units;
      for (int64_t u = 0; u < c.prenet_units; ++u) {
        const float v = out[u] > 0.f ? out[u] : 0.f;
        out[u] = v * keep[u] * keep_scale;
      }
      in = out.data();
      in_dim = c.prenet_units;
    }
    m.prenet_final_.forward(in, 1, in_dim, s.o.data(), H);
    const float* pe = m.speech_pe_.row(step);
    for (int64_t d = 0; d < H; ++d) s.o[d] += m.speech_alpha_ * pe[d];
    m.speaker_hidden_.forward(s.o.data(), 1, H, s.h.data(), H);
    for (int64_t d = 0; d < H; ++d) s.h[d] = std::max(s.h[d] + s.speaker[d], 0.f);

    // Decoder layers on the one new row.
    for (size_t l = 0; l < layers; ++l) {
      const DecoderLayer& L = m.decoder_layers_[l];
      L.self_attn.q.forward(s.h, s.q);
      ops::scale(s.q, q_scale);
      L.self_attn.k.forward(s.h.data(), 1, H, s.self_k[l].row(step), H);
      L.self_attn.v.forward(s.h.data(), 1, H, s.self_v[l].row(step), H);
      ops::attention(s.q.data(), H, s.self_k[l].data(), H, s.self_v[l].data(), H, s.ctx.data(), H, 1,
                     static_cast<int>(step + 1), self_heads, hd, 1.f, false);
      L.self_attn.out.forward(s.ctx, s.o);
      ops::add(s.h, s.o);
      ops::layer_norm(s.h, L.self_norm.weight, L.self_norm.bias, eps, s.h);

      L.cross_attn.q.forward(s.h, s.q);
      ops::scale(s.q, q_scale);
      ops::attention(s.q.data(), H, s.cross_k[l].data(), H, s.cross_v[l].data(), H, s.ctx.data(), H, 1,
                     static_cast<int>(n), self_heads, hd, 1.f, false);
      L.cross_attn.out.forward(s.ctx, s.o);
      ops::add(s.h, s.o);
      ops::layer_norm(s.h, L.cross_norm.weight, L.cross_norm.bias, eps, s.h);

      L.ffn_in.forward(s.h, s.ffn);
      activate(c.hidden_act, s.ffn);
      L.ffn_out.forward(s.ffn, s.o);
      ops::add(s.h, s.o);
      ops::layer_norm(s.h, L.final_norm.weight, L.final_norm.bias, eps, s.h);
    }

    // r new frames and their stop logits.
    m.feat_out_.forward(s.h, s.feat);
    m.prob_out_.forward(s.h, s.logits);
    std::memcpy(spectra.row(step * r), s.feat.data(), sizeof(float) * r * mel);
    std::memcpy(stop_logits.row(step), s.logits.data(), sizeof(float) * r);
    std::memcpy(s.frame.data(), s.feat.data() + (r - 1) * mel, sizeof(float) * mel);

    // generate_speech's rule: idx >= minlen and (any prob >= threshold or idx >= maxlen).
    const int64_t idx = step + 1;
    bool fired = false;
    for (int64_t j = 0; j < r; ++j) fired = fired || sigmoid(s.logits[j]) >= threshold;
    if (idx >= minlen && (fired || idx >= maxlen)) {
      result.stop = fired ? StopReason::Threshold : StopReason::MaxLength;
      break;
    }
    if (idx >= cap) {  // only reachable when the positional table is the limit
      result.stop = StopReason::Positions;
      break;
    }
  }
  result.steps = step + 1;
  result.spectra = spectra.slice_rows(0, result.steps * r);
  result.stop_logits = stop_logits.slice_rows(0, result.steps);

  // Postnet over all frames: [mel, frames] through the conv stack, added back to the spectra.
  Tensor x, y;
  ops::transpose(result.spectra, x);
  for (const PostnetLayer& layer : m.postnet_) {
    ops::conv1d(x, layer.weight, layer.bias, 1, static_cast<int>((layer.weight.dim(2) - 1) / 2), 1, y);
    if (layer.tanh) ops::tanh(y);
    std::swap(x, y);
  }
  ops::transpose(x, result.mel);
  ops::add(result.mel, result.spectra);
  return result;
}

}  // namespace parley::speecht5
