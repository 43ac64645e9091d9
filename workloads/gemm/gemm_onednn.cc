// oneDNN GEMM kernels: one matmul primitive per workload, created once, with
// the weights reordered once into the layout the primitive prefers (as an
// inference engine does); each run executes the primitive on the plain-layout
// activations.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

class OnednnKernel final : public Kernel {
 public:
  OnednnKernel(const Operands& ops, int threads)
      : threads_(threads), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    const Shape s = ops.shape;
    dt src_dt = dt::f32, wei_dt = dt::f32, dst_dt = dt::f32;
    if (ops.precision == Precision::kBf16) src_dt = wei_dt = dt::bf16;
    if (ops.precision == Precision::kInt8) {
      src_dt = dt::u8;
      wei_dt = dt::s8;
      dst_dt = dt::s32;
    }
    const dnnl::memory::desc src_md({s.m, s.k}, src_dt, tag::ab);
    const dnnl::memory::desc wei_plain_md({s.k, s.n}, wei_dt, tag::ab);
    const dnnl::memory::desc wei_any_md({s.k, s.n}, wei_dt, tag::any);
    const dnnl::memory::desc dst_md({s.m, s.n}, dst_dt, tag::ab);

    dnnl::primitive_attr attr;
    if (ops.precision == Precision::kInt8) {
      attr.set_zero_points(DNNL_ARG_SRC, /*mask=*/0, {DNNL_RUNTIME_S32_VAL});
    }
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_any_md, dst_md), attr,
                                          engine_);
    matmul_ = dnnl::matmul(pd);
    impl_ = pd.impl_info_str();

    src_ = dnnl::memory(src_md, engine_, nullptr);
    dst_ = dnnl::memory(dst_md, engine_, nullptr);
    void* wei_host = nullptr;
    switch (ops.precision) {
      case Precision::kFp32:
        wei_host = const_cast<float*>(ops.b.real.data());
        break;
      case Precision::kBf16:
        wei_host = const_cast<bf16_t*>(ops.b.bf16.data());
        break;
      case Precision::kInt8:
        wei_host = const_cast<int8_t*>(ops.b.s8.data());
        break;
    }
    dnnl::memory wei_plain(wei_plain_md, engine_, wei_host);
    weights_ = dnnl::memory(pd.weights_desc(), engine_);
    omp_set_num_threads(threads_);
    dnnl::reorder(wei_plain, weights_).execute(stream_, wei_plain, weights_);
    if (ops.precision == Precision::kInt8) {
      zero_point_value_ = ops.a.q.zero_point;
      zero_point_ = dnnl::memory({{1}, dt::s32, tag::x}, engine_, &zero_point_value_);
    }
    stream_.wait();
  }

  void Run(Operands& ops) override {
    void* src = nullptr;
    void* dst = nullptr;
    switch (ops.precision) {
      case Precision::kFp32:
        src = ops.a.real.data();
        dst = ops.c_f32.data();
        break;
      case Precision::kBf16:
        src = ops.a.bf16.data();
        dst = ops.c_f32.data();
        break;
      case Precision::kInt8:
        src = ops.a.u8.data();
        dst = ops.c_s32.data();
        break;
    }
    src_.set_data_handle(src);
    dst_.set_data_handle(dst);
    omp_set_num_threads(threads_);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}};
    if (ops.precision == Precision::kInt8) {
      args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_point_);
    }
    matmul_.execute(stream_, args);
    stream_.wait();
  }

  std::string Implementation() const override { return impl_; }

 private:
  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::matmul matmul_;
  dnnl::memory src_, weights_, dst_, zero_point_;
  int32_t zero_point_value_ = 0;
  std::string impl_;
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
