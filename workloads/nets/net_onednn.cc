// The oneDNN network executor: one primitive per node, activations in plain
// NHWC fp32 between nodes, convolution weights reordered once into the layout
// each primitive prefers, activations fused as post-ops.
#include <omp.h>

#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "workloads/common/onednn_runner.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// An activation as oneDNN's eltwise algorithm and its alpha and beta.
struct Eltwise {
  dnnl::algorithm alg;
  float alpha, beta;
};

Eltwise EltwiseFor(Act act) {
  switch (act) {
    case Act::kNone:
    case Act::kRelu:
      return {dnnl::algorithm::eltwise_relu, 0.0f, 0.0f};
    case Act::kRelu6:
      return {dnnl::algorithm::eltwise_clip, 0.0f, 6.0f};
    case Act::kSilu:
      return {dnnl::algorithm::eltwise_swish, 1.0f, 0.0f};
    case Act::kSigmoid:
      return {dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f};
  }
  return {dnnl::algorithm::eltwise_relu, 0.0f, 0.0f};
}

dnnl::post_ops ActivationPostOps(Act act) {
  dnnl::post_ops ops;
  if (act != Act::kNone) {
    const Eltwise e = EltwiseFor(act);
    ops.append_eltwise(1.0f, e.alg, e.alpha, e.beta);
  }
  return ops;
}

class OnednnExecutor final : public Executor {
 public:
  OnednnExecutor(const Network& net, const Weights& weights, int64_t batch, int threads,
                 const QuantizedNet* q, bool fuse)
      : threads_(threads), engine_(CpuEngine()), stream_(engine_) {
    omp_set_num_threads(threads_);
    const auto& nodes = net.nodes();
    for (const Node& n : nodes) {
      outputs_.emplace_back(dnnl::memory::desc({batch, n.c, n.h, n.w}, dt::f32, tag::nhwc),
                            engine_);
    }
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      const dnnl::memory& dst = outputs_[i];
      const dnnl::memory& src = outputs_[static_cast<size_t>(n.inputs[0])];
      dnnl::primitive_attr attr;
      if (fuse) attr.set_post_ops(ActivationPostOps(n.act));
      switch (n.kind) {
        case Node::Kind::kInput:
          break;
        case Node::Kind::kConv:
          if (q != nullptr) {
            AddInt8Conv(i, nodes[static_cast<size_t>(n.inputs[0])], n, *q, weights.b[i], src, dst,
                        attr);
          } else {
            AddConv(nodes[static_cast<size_t>(n.inputs[0])], n, weights.w[i], weights.b[i], src,
                    dst, attr, batch);
          }
          break;
        case Node::Kind::kMaxPool: {
          const dnnl::pooling_forward::desc d(
              dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, src.get_desc(),
              dst.get_desc(), {n.pool_stride, n.pool_stride}, {n.pool_k, n.pool_k},
              {n.pool_pad_l, n.pool_pad_l}, {n.pool_pad_b, n.pool_pad_r});
          const dnnl::pooling_forward::primitive_desc pd(d, engine_);
          Push(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, pd);
          break;
        }
        case Node::Kind::kGlobalAvgPool: {
          const Node& x = nodes[static_cast<size_t>(n.inputs[0])];
          const dnnl::pooling_forward::desc d(
              dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding,
              src.get_desc(), dst.get_desc(), {1, 1}, {x.h, x.w}, {0, 0}, {0, 0});
          const dnnl::pooling_forward::primitive_desc pd(d, engine_);
          Push(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, pd);
          break;
        }
        case Node::Kind::kAdd:
        case Node::Kind::kMul: {
          const dnnl::memory& src1 = outputs_[static_cast<size_t>(n.inputs[1])];
          const auto alg = n.kind == Node::Kind::kAdd ? dnnl::algorithm::binary_add
                                                      : dnnl::algorithm::binary_mul;
          const dnnl::binary::primitive_desc pd(
              dnnl::binary::desc(alg, src.get_desc(), src1.get_desc(), dst.get_desc()), attr,
              engine_);
          Push(dnnl::binary(pd),
               {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}}, pd);
          break;
        }
        case Node::Kind::kConcat: {
          std::vector<dnnl::memory::desc> srcs;
          std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_DST, dst}};
          for (size_t k = 0; k < n.inputs.size(); ++k) {
            const dnnl::memory& part = outputs_[static_cast<size_t>(n.inputs[k])];
            srcs.push_back(part.get_desc());
            args.emplace(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), part);
          }
          const dnnl::concat::primitive_desc pd(dst.get_desc(), 1, srcs, engine_);
          Push(dnnl::concat(pd), std::move(args), pd);
          break;
        }
      }
      if (!fuse && n.act != Act::kNone) AddActivation(n.act, dst);
    }
    stream_.wait();
    logits_.resize(dnnl::memory::desc(outputs_.back().get_desc()).get_size() / sizeof(float));
  }

  const std::vector<float>& Run(const std::vector<float>& input) override {
    outputs_[0].set_data_handle(const_cast<float*>(input.data()));
    omp_set_num_threads(threads_);
    for (auto& step : steps_) step.primitive.execute(stream_, step.args);
    stream_.wait();
    const float* out = static_cast<const float*>(outputs_.back().get_data_handle());
    std::copy(out, out + logits_.size(), logits_.begin());
    return logits_;
  }

  std::string Implementation() const override { return implementation_; }

  const uint8_t* QuantizedInput(int i) const override {
    auto it = conv_source_.find(i);
    if (it == conv_source_.end()) return nullptr;
    return static_cast<const uint8_t*>(quantized_.at(it->second).get_data_handle());
  }

  const float* Activation(int i) const override {
    return static_cast<const float*>(outputs_[static_cast<size_t>(i)].get_data_handle());
  }

 private:
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, dnnl::memory> args;
  };

  void Push(dnnl::primitive p, std::unordered_map<int, dnnl::memory> args,
            const dnnl::primitive_desc_base& pd) {
    steps_.push_back(Step{std::move(p), std::move(args)});
    const std::string impl = pd.impl_info_str();
    if (implementation_.find(impl) == std::string::npos) {
      implementation_ += (implementation_.empty() ? "" : ",") + impl;
    }
  }

  // The activation as an eltwise primitive of its own, in place on `dst`.
  void AddActivation(Act act, const dnnl::memory& dst) {
    if (act == Act::kNone) return;
    const auto [alg, alpha, beta] = EltwiseFor(act);
    const dnnl::eltwise_forward::primitive_desc pd(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, dst.get_desc(), alpha,
                                    beta),
        engine_);
    Push(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}, pd);
  }

  void AddConv(const Node& x, const Node& n, const std::vector<float>& w,
               const std::vector<float>& b, const dnnl::memory& src, const dnnl::memory& dst,
               const dnnl::primitive_attr& attr, int64_t batch) {
    (void)batch;
    const auto [plain, any] = ConvWeightDescs(n.groups, n.cout, x.c, n.k, n.k, dt::f32);
    const dnnl::memory::desc bias_md({n.cout}, dt::f32, tag::x);
    const dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src.get_desc(),
        any, bias_md, dst.get_desc(), {n.stride, n.stride}, {n.pad, n.pad}, {n.pad, n.pad});
    const dnnl::convolution_forward::primitive_desc pd(d, attr, engine_);
    dnnl::memory packed(pd.weights_desc(), engine_);
    dnnl::memory plain_mem(plain, engine_, const_cast<float*>(w.data()));
    dnnl::reorder(plain_mem, packed).execute(stream_, plain_mem, packed);
    dnnl::memory bias(bias_md, engine_);
    std::copy(b.begin(), b.end(), static_cast<float*>(bias.get_data_handle()));
    Push(dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, src},
          {DNNL_ARG_WEIGHTS, packed},
          {DNNL_ARG_BIAS, bias},
          {DNNL_ARG_DST, dst}},
         pd);
  }

  // The u8 copy of node `src`'s output that int8 convolutions read, made by a
  // quantizing reorder the first time one asks for it.
  const dnnl::memory& Quantized(int src, const dnnl::memory& f32, QuantParams p) {
    auto it = quantized_.find(src);
    if (it != quantized_.end()) return it->second;
    dnnl::memory::desc md = f32.get_desc();
    const dnnl::memory::dims dims = md.dims();
    dnnl::memory u8(dnnl::memory::desc(dims, dt::u8, tag::nhwc), engine_);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {1.0f / p.scale});
    attr.set_zero_points(DNNL_ARG_DST, 0, {p.zero_point});
    const dnnl::reorder::primitive_desc pd(engine_, md, engine_, u8.get_desc(), attr);
    Push(dnnl::reorder(pd), {{DNNL_ARG_FROM, f32}, {DNNL_ARG_TO, u8}}, pd);
    return quantized_.emplace(src, u8).first->second;
  }

  void AddInt8Conv(size_t i, const Node& x, const Node& n, const QuantizedNet& q,
                   const std::vector<float>& b, const dnnl::memory& src_f32,
                   const dnnl::memory& dst, dnnl::primitive_attr attr) {
    const QuantParams p = *q.act[static_cast<size_t>(n.inputs[0])];
    const dnnl::memory& src = Quantized(n.inputs[0], src_f32, p);
    conv_source_[static_cast<int>(i)] = n.inputs[0];
    const auto [plain, any] = ConvWeightDescs(n.groups, n.cout, x.c, n.k, n.k, dt::s8);
    // int32 accumulator → real value: input scale × weight scale per output channel.
    std::vector<float> scales(static_cast<size_t>(n.cout));
    for (size_t c = 0; c < scales.size(); ++c) scales[c] = p.scale * q.w_scale[i][c];
    attr.set_output_scales(1 << 1, scales);
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    const dnnl::memory::desc bias_md({n.cout}, dt::f32, tag::x);
    const dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src.get_desc(),
        any, bias_md, dst.get_desc(), {n.stride, n.stride}, {n.pad, n.pad}, {n.pad, n.pad});
    const dnnl::convolution_forward::primitive_desc pd(d, attr, engine_);
    dnnl::memory packed(pd.weights_desc(), engine_);
    dnnl::memory plain_mem(plain, engine_, const_cast<int8_t*>(q.wq[i].data()));
    dnnl::reorder(plain_mem, packed).execute(stream_, plain_mem, packed);
    // oneDNN adds the bias to the accumulator before the output scales.
    dnnl::memory bias(bias_md, engine_);
    float* bias_data = static_cast<float*>(bias.get_data_handle());
    for (size_t c = 0; c < scales.size(); ++c) bias_data[c] = b[c] / scales[c];
    zero_points_.push_back(std::make_unique<int32_t>(p.zero_point));
    dnnl::memory zp({{1}, dt::s32, tag::x}, engine_, zero_points_.back().get());
    Push(dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, src},
          {DNNL_ARG_WEIGHTS, packed},
          {DNNL_ARG_BIAS, bias},
          {DNNL_ARG_DST, dst},
          {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zp}},
         pd);
  }

  int threads_;
  std::map<int, dnnl::memory> quantized_;  // by source node
  std::map<int, int> conv_source_;         // int8 convolution node -> its source node
  std::vector<std::unique_ptr<int32_t>> zero_points_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<dnnl::memory> outputs_;
  std::vector<Step> steps_;
  std::vector<float> logits_;
  std::string implementation_;
};

}  // namespace

Result<std::unique_ptr<Executor>> MakeOnednnExecutor(const Network& net, const Weights& weights,
                                                     int64_t batch, int threads,
                                                     const QuantizedNet* quantized,
                                                     bool fuse_activations) {
  try {
    return std::unique_ptr<Executor>(std::make_unique<OnednnExecutor>(net, weights, batch, threads,
                                                                      quantized, fuse_activations));
  } catch (const dnnl::error& e) {
    return Status::FailedPrecondition("oneDNN cannot build " + net.name() + ": " + e.what());
  }
}

}  // namespace effbench::workloads::nets
