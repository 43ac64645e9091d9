#include "workloads/common/onednn_runner.h"

#include <omp.h>

#include <unordered_map>

#include "workloads/common/cpu_isa.h"

namespace effbench::workloads {

using dt = dnnl::memory::data_type;

std::pair<dnnl::memory::desc, dnnl::memory::desc> ConvWeightDescs(int64_t groups, int64_t cout,
                                                                  int64_t cin, int64_t kh,
                                                                  int64_t kw,
                                                                  dnnl::memory::data_type type) {
  using tag = dnnl::memory::format_tag;
  if (groups == 1) {
    const dnnl::memory::dims dims = {cout, cin, kh, kw};
    return {dnnl::memory::desc(dims, type, tag::hwio), dnnl::memory::desc(dims, type, tag::any)};
  }
  const dnnl::memory::dims dims = {groups, cout / groups, cin / groups, kh, kw};
  return {dnnl::memory::desc(dims, type, tag::hwigo), dnnl::memory::desc(dims, type, tag::any)};
}

OnednnRunner::Types OnednnRunner::DataTypes(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return {dt::f32, dt::f32, dt::f32};
    case Precision::kBf16:
      return {dt::bf16, dt::bf16, dt::f32};
    case Precision::kInt8:
      return {dt::u8, dt::s8, dt::s32};
  }
  return {dt::f32, dt::f32, dt::f32};
}

dnnl::primitive_attr OnednnRunner::Attributes(Precision p) {
  dnnl::primitive_attr attr;
  if (p == Precision::kInt8) attr.set_zero_points(DNNL_ARG_SRC, /*mask=*/0, {DNNL_RUNTIME_S32_VAL});
  return attr;
}

dnnl::engine CpuEngine() {
  ApplyIsaCap();
  return dnnl::engine(dnnl::engine::kind::cpu, 0);
}

OnednnRunner::OnednnRunner(int threads)
    : threads_(threads), engine_(CpuEngine()), stream_(engine_) {}

void OnednnRunner::Prepare(const dnnl::primitive_desc& pd, dnnl::primitive primitive,
                           const dnnl::memory::desc& plain_desc, const void* plain_weights,
                           int32_t src_zero_point) {
  primitive_ = std::move(primitive);
  implementation_ = pd.impl_info_str();
  src_ = dnnl::memory(pd.src_desc(), engine_, nullptr);
  dst_ = dnnl::memory(pd.dst_desc(), engine_, nullptr);
  dnnl::memory plain(plain_desc, engine_, const_cast<void*>(plain_weights));
  weights_ = dnnl::memory(pd.weights_desc(), engine_);
  omp_set_num_threads(threads_);
  dnnl::reorder(plain, weights_).execute(stream_, plain, weights_);
  has_zero_point_ = pd.src_desc().data_type() == dt::u8;  // int8: asymmetric activations
  if (has_zero_point_) {
    zero_point_value_ = src_zero_point;
    zero_point_ =
        dnnl::memory({{1}, dt::s32, dnnl::memory::format_tag::x}, engine_, &zero_point_value_);
  }
  stream_.wait();
}

void OnednnRunner::Execute(const void* src, void* dst) {
  src_.set_data_handle(const_cast<void*>(src));
  dst_.set_data_handle(dst);
  omp_set_num_threads(threads_);
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}};
  if (has_zero_point_) args.emplace(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_point_);
  primitive_.execute(stream_, args);
  stream_.wait();
}

}  // namespace effbench::workloads
