#include "tensor/time_conv.h"

#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/onednn_detail.h"
#include "tensor/parallel.h"

namespace parley {

namespace {

using namespace onednn::detail;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct Prim {
  dnnl::primitive prim;
  dnnl::memory::desc src, wei, dst, bias, scratch;
  int64_t t_out = 0;
};

}  // namespace

struct TimeConv1d::Impl {
  Tensor weight, bias;
  int64_t cin = 0, cout = 0, ks = 0;
  int stride = 1, padding = 0, dilation = 1;
  bool transposed = false, bf16 = false;

  mutable std::mutex mu;
  mutable std::map<int64_t, std::shared_ptr<const Prim>> prims;                  // by input length
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed;  // by packed layout

  std::shared_ptr<const Prim> prim_for(int64_t t_in) const;
  dnnl::memory packed_weights(const dnnl::memory::desc& want) const;
};

std::shared_ptr<const Prim> TimeConv1d::Impl::prim_for(int64_t t_in) const {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = prims.find(t_in);
    if (it != prims.end()) return it->second;
  }
  auto p = std::make_shared<Prim>();
  const int64_t span = (ks - 1) * dilation + 1;
  p->t_out = transposed ? (t_in - 1) * stride - 2 * padding + span : (t_in + 2 * padding - span) / stride + 1;
  if (p->t_out <= 0) fail(ErrorKind::Internal, "time_conv: input of " + std::to_string(t_in) + " steps is too short");
  const dt data = bf16 ? dt::bf16 : dt::f32;
  p->src = dnnl::memory::desc({1, cin, t_in}, data, tag::nwc);
  p->dst = dnnl::memory::desc({1, cout, p->t_out}, dt::f32, tag::nwc);
  const dnnl::memory::desc wei({cout, cin, ks}, data, tag::any);
  p->bias = dnnl::memory::desc({cout}, dt::f32, tag::x);
  const dnnl::memory::dims strides = {stride}, dil = {dilation - 1}, pl = {padding};
  try {
    if (transposed) {
      const dnnl::memory::dims pr = {padding};
      const dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                                p->src, wei, p->bias, p->dst, strides, dil, pl, pr);
      const dnnl::deconvolution_forward::primitive_desc pd(d, base_attr(), engine());
      p->wei = pd.weights_desc();
      p->scratch = pd.scratchpad_desc();
      p->prim = dnnl::deconvolution_forward(pd);
    } else {
      const dnnl::memory::dims pr = {(p->t_out - 1) * stride + span - t_in - padding};
      const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                              p->src, wei, p->bias, p->dst, strides, dil, pl, pr);
      const dnnl::convolution_forward::primitive_desc pd(d, base_attr(), engine());
      p->wei = pd.weights_desc();
      p->scratch = pd.scratchpad_desc();
      p->prim = dnnl::convolution_forward(pd);
    }
  } catch (const dnnl::error& e) {
    rethrow(e, "a time-major 1-D convolution " + std::to_string(cin) + "->" + std::to_string(cout));
  }
  std::lock_guard<std::mutex> lock(mu);
  if (prims.size() >= 16) prims.clear();  // lengths vary by utterance: keep a bounded few
  return prims.emplace(t_in, std::move(p)).first->second;
}

dnnl::memory TimeConv1d::Impl::packed_weights(const dnnl::memory::desc& want) const {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [desc, mem] : packed)
    if (desc == want) return mem;
  // PyTorch's layouts: Conv1d [cout, cin, k] is oneDNN's oiw; ConvTranspose1d [cin, cout, k] is iow.
  const dnnl::memory::desc plain = transposed ? dnnl::memory::desc({cout, cin, ks}, dt::f32, dnnl::memory::dims{ks, cout * ks, 1})
                                              : dnnl::memory::desc({cout, cin, ks}, dt::f32, tag::oiw);
  dnnl::memory src(plain, engine(), const_cast<float*>(weight.data()));
  dnnl::memory dst(want, engine());
  try {
    dnnl::reorder(src, dst).execute(stream(), src, dst);
    stream().wait();
  } catch (const dnnl::error& e) {
    rethrow(e, "packing convolution weights");
  }
  packed.emplace_back(want, dst);
  return dst;
}

TimeConv1d::TimeConv1d(Tensor weight, Tensor bias, int stride, int padding, int dilation, bool transposed,
                       Precision precision) {
  if (weight.ndim() != 3) fail(ErrorKind::Internal, "time_conv: weight must be 3-D, got " + weight.shape_string());
  auto impl = std::make_shared<Impl>();
  impl->cin = transposed ? weight.dim(0) : weight.dim(1);
  impl->cout = transposed ? weight.dim(1) : weight.dim(0);
  impl->ks = weight.dim(2);
  if (!bias.empty() && bias.numel() != impl->cout) fail(ErrorKind::Internal, "time_conv: bias size");
  if (bias.empty()) bias = Tensor({impl->cout});  // zeros: one primitive form
  impl->weight = std::move(weight);
  impl->bias = std::move(bias);
  impl->stride = stride;
  impl->padding = padding;
  impl->dilation = dilation;
  impl->transposed = transposed;
  impl->bf16 = precision != Precision::F32 && onednn::native_bf16();
  impl_ = std::move(impl);
}

int64_t TimeConv1d::in_channels() const { return impl_ ? impl_->cin : 0; }
int64_t TimeConv1d::out_channels() const { return impl_ ? impl_->cout : 0; }

void TimeConv1d::forward(const Tensor& x, float slope, Tensor& y) const {
  const Impl& m = *impl_;
  if (x.ndim() != 2 || x.dim(1) != m.cin)
    fail(ErrorKind::Internal, "time_conv: input " + x.shape_string() + " for " + std::to_string(m.cin) + " channels");
  const int64_t t_in = x.dim(0), n = x.numel();
  const auto p = m.prim_for(t_in);
  const dnnl::memory wei = m.packed_weights(p->wei);
  y.resize({p->t_out, m.cout});
  // The input, through the activation, in the convolution's type.
  thread_local std::vector<float> act;
  thread_local std::vector<uint16_t> act16;
  void* src = nullptr;
  const float* in = x.data();
  const kernels::Table& kt = kernels::active();
  if (m.bf16) {
    act16.resize(static_cast<size_t>(n));
    uint16_t* out = act16.data();
    parallel::for_range(n, 1 << 14, [&](int64_t b, int64_t e) { kt.leaky_to_bf16(in + b, slope, out + b, e - b); });
    src = out;
  } else if (slope != 1.f) {
    act.resize(static_cast<size_t>(n));
    float* out = act.data();
    parallel::for_range(n, 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = in[i] >= 0.f ? in[i] : in[i] * slope;
    });
    src = out;
  } else {
    src = const_cast<float*>(in);
  }
  try {
    execute(p->prim, p->scratch,
            {{DNNL_ARG_SRC, dnnl::memory(p->src, engine(), src)},
             {DNNL_ARG_WEIGHTS, wei},
             {DNNL_ARG_BIAS, dnnl::memory(p->bias, engine(), const_cast<float*>(m.bias.data()))},
             {DNNL_ARG_DST, dnnl::memory(p->dst, engine(), y.data())}});
  } catch (const dnnl::error& e) {
    rethrow(e, "a time-major 1-D convolution");
  }
}

}  // namespace parley
