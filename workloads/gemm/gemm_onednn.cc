// oneDNN GEMM kernels: one matmul primitive per workload (see OnednnRunner).
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "workloads/common/onednn_runner.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

using tag = dnnl::memory::format_tag;

class OnednnKernel final : public Kernel {
 public:
  OnednnKernel(const Operands& ops, int threads) : runner_(threads) {
    const Shape s = ops.shape;
    const auto types = OnednnRunner::DataTypes(ops.precision);
    const dnnl::memory::desc src_md({s.m, s.k}, types.src, tag::ab);
    const dnnl::memory::desc wei_plain_md({s.k, s.n}, types.wei, tag::ab);
    const dnnl::memory::desc wei_any_md({s.k, s.n}, types.wei, tag::any);
    const dnnl::memory::desc dst_md({s.m, s.n}, types.dst, tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_any_md, dst_md),
                                          OnednnRunner::Attributes(ops.precision),
                                          runner_.engine());
    runner_.Prepare(pd, dnnl::matmul(pd), wei_plain_md, ops.b.Data(ops.precision),
                    ops.a.q.zero_point);
  }

  void Run(Operands& ops) override {
    void* dst =
        ops.precision == Precision::kInt8 ? static_cast<void*>(ops.c_s32.data()) : ops.c_f32.data();
    runner_.Execute(ops.a.Data(ops.precision), dst);
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
    return Status::FailedPrecondition(
        std::string("oneDNN cannot build a ") + PrecisionName(ops.precision) + " matmul " +
        std::to_string(ops.shape.m) + "x" + std::to_string(ops.shape.n) + "x" +
        std::to_string(ops.shape.k) + ": " + e.what());
  }
}

}  // namespace effbench::workloads::gemm
