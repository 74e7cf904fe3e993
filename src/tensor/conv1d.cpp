// 1-D convolutions on oneDNN's convolution primitive (see onednn.h): the vocoder's and the Whisper
// encoder's convolutions, which as im2col + matrix product spend most of their time copying.
#include <tuple>

#include "tensor/onednn.h"
#include "tensor/onednn_detail.h"

namespace parley::onednn {

namespace {

using namespace detail;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct ConvKey {
  int64_t cin, t_in, cout, ks, stride, padding, dilation;
  bool bias;
  bool operator<(const ConvKey& o) const {
    return std::tie(cin, t_in, cout, ks, stride, padding, dilation, bias) <
           std::tie(o.cin, o.t_in, o.cout, o.ks, o.stride, o.padding, o.dilation, o.bias);
  }
};

// Plain layouts ([channels, time]) throughout: oneDNN's blocked layouts would need a reorder of every
// input and output, which measured slower than its GEMM-based kernel on these shapes.
struct Conv {
  dnnl::convolution_forward prim;
  dnnl::memory::desc src, wei, bias, dst, scratch;
};

std::shared_ptr<const Conv> conv_for(const ConvKey& k, int64_t t_out, int64_t pad_r) {
  static Cache<ConvKey, Conv> cache(256);
  return cache.get(k, [&] {
    auto c = std::make_shared<Conv>();
    c->src = dnnl::memory::desc({1, k.cin, k.t_in}, dt::f32, tag::ncw);
    c->wei = dnnl::memory::desc({k.cout, k.cin, k.ks}, dt::f32, tag::oiw);
    c->dst = dnnl::memory::desc({1, k.cout, t_out}, dt::f32, tag::ncw);
    if (k.bias) c->bias = dnnl::memory::desc({k.cout}, dt::f32, tag::x);
    const dnnl::memory::dims strides = {k.stride}, dilates = {k.dilation - 1}, pl = {k.padding}, pr = {pad_r};
    const auto desc = k.bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                               dnnl::algorithm::convolution_direct, c->src, c->wei,
                                                               c->bias, c->dst, strides, dilates, pl, pr)
                             : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                               dnnl::algorithm::convolution_direct, c->src, c->wei,
                                                               c->dst, strides, dilates, pl, pr);
    const dnnl::convolution_forward::primitive_desc pd(desc, base_attr(), engine());
    c->scratch = pd.scratchpad_desc();
    c->prim = dnnl::convolution_forward(pd);
    return std::shared_ptr<const Conv>(std::move(c));
  });
}

}  // namespace

bool conv1d_f32(const float* x, int64_t cin, int64_t t_in, const float* w, int64_t cout, int64_t ks, const float* bias,
                int64_t stride, int64_t padding, int64_t dilation, float* y, int64_t t_out) {
  const int64_t pad_r = (t_out - 1) * stride + (ks - 1) * dilation + 1 - t_in - padding;
  if (pad_r < 0 || pad_r > padding + stride) return false;
  const ConvKey k{cin, t_in, cout, ks, stride, padding, dilation, bias != nullptr};
  try {
    const auto c = conv_for(k, t_out, pad_r);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, dnnl::memory(c->src, engine(), const_cast<float*>(x))},
        {DNNL_ARG_WEIGHTS, dnnl::memory(c->wei, engine(), const_cast<float*>(w))},
        {DNNL_ARG_DST, dnnl::memory(c->dst, engine(), y)}};
    if (bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(c->bias, engine(), const_cast<float*>(bias)));
    execute(c->prim, c->scratch, std::move(args));
  } catch (const dnnl::error& e) {
    rethrow(e, "a 1-D convolution " + std::to_string(cin) + "->" + std::to_string(cout) + " of width " + std::to_string(ks));
  }
  return true;
}

}  // namespace parley::onednn
