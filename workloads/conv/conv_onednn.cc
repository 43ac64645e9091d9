// oneDNN convolution kernels: one convolution_forward primitive per workload
// (see OnednnRunner), NHWC activations; depthwise and grouped convolutions are
// grouped convolutions to oneDNN.
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "workloads/common/onednn_runner.h"
#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {
namespace {

using tag = dnnl::memory::format_tag;

class OnednnKernel final : public Kernel {
 public:
  OnednnKernel(const Operands& ops, int threads) : runner_(threads) {
    const Shape& s = ops.shape;
    const auto types = OnednnRunner::DataTypes(ops.precision);
    const dnnl::memory::desc src_md({s.n, s.cin, s.h, s.w}, types.src, tag::nhwc);
    const dnnl::memory::desc dst_md({s.n, s.cout, s.oh(), s.ow()}, types.dst, tag::nhwc);
    const auto [wei_plain_md, wei_any_md] =
        ConvWeightDescs(s.groups, s.cout, s.cin, s.kh, s.kw, types.wei);
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, wei_any_md,
        dst_md, {s.stride, s.stride}, {s.pad, s.pad}, {s.pad, s.pad});
    const dnnl::convolution_forward::primitive_desc pd(
        desc, OnednnRunner::Attributes(ops.precision), runner_.engine());
    runner_.Prepare(pd, dnnl::convolution_forward(pd), wei_plain_md,
                    ops.weights.Data(ops.precision), ops.input.q.zero_point);
  }

  void Run(Operands& ops) override {
    void* dst = ops.precision == Precision::kInt8 ? static_cast<void*>(ops.out_s32.data())
                                                  : ops.out_f32.data();
    runner_.Execute(ops.input.Data(ops.precision), dst);
  }

  std::string Implementation() const override { return runner_.implementation(); }

 private:
  OnednnRunner runner_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> MakeOnednnKernel(const Operands& ops, int threads) {
  try {
    return std::unique_ptr<Kernel>(std::make_unique<OnednnKernel>(ops, threads));
  } catch (const dnnl::error& e) {
    const Shape& s = ops.shape;
    return Status::FailedPrecondition(
        std::string("oneDNN cannot build a ") + PrecisionName(ops.precision) + " convolution " +
        std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.cin) + " -> " +
        std::to_string(s.cout) + " k" + std::to_string(s.kh) + " s" + std::to_string(s.stride) +
        " g" + std::to_string(s.groups) + ": " + e.what());
  }
}

}  // namespace effbench::workloads::conv
