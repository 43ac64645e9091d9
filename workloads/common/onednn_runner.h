// Runs one oneDNN forward primitive (matmul, convolution) the way an
// inference engine does: built once, its weights reordered once into the
// layout the primitive prefers, then executed on plain-layout activations with
// the thread count held fixed. Private to the workloads module (it owns oneDNN).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <utility>

#include "workloads/common/tensor_forms.h"

namespace effbench::workloads {

// Convolution weights as effbench stores them ([kh][kw][cin/g][g][cout/g]:
// hwio, or hwigo when grouped) and as a primitive may choose them (any).
std::pair<dnnl::memory::desc, dnnl::memory::desc> ConvWeightDescs(int64_t groups, int64_t cout,
                                                                  int64_t cin, int64_t kh,
                                                                  int64_t kw,
                                                                  dnnl::memory::data_type type);

// The CPU engine every primitive of ours runs on, made after the ISA cap
// (EFFBENCH_MAX_ISA) is applied, so oneDNN never dispatches above it.
dnnl::engine CpuEngine();

class OnednnRunner {
 public:
  // The oneDNN data types of source, weights and destination for `p`:
  // f32/f32/f32, bf16/bf16/f32 or u8/s8/s32.
  struct Types {
    dnnl::memory::data_type src, wei, dst;
  };
  static Types DataTypes(Precision p);

  // The primitive attributes for `p`: int8 takes a runtime source zero point.
  static dnnl::primitive_attr Attributes(Precision p);

  explicit OnednnRunner(int threads);

  const dnnl::engine& engine() const { return engine_; }

  // Finishes the setup of a primitive whose descriptor `pd` was created with
  // Attributes(): reorders `plain_weights` (described by `plain_desc`) into
  // the layout the primitive chose and records the source zero point.
  void Prepare(const dnnl::primitive_desc& pd, dnnl::primitive primitive,
               const dnnl::memory::desc& plain_desc, const void* plain_weights,
               int32_t src_zero_point);

  // Executes the primitive on `src` into `dst` (plain layouts).
  void Execute(const void* src, void* dst);

  // The implementation oneDNN chose, e.g. "brg:avx512_core_vnni".
  const std::string& implementation() const { return implementation_; }

 private:
  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::primitive primitive_;
  dnnl::memory src_, weights_, dst_, zero_point_;
  int32_t zero_point_value_ = 0;
  bool has_zero_point_ = false;
  std::string implementation_;
};

}  // namespace effbench::workloads
