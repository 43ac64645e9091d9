// Quantize/dequantize operands, verification, kernels and families.
#include "workloads/quant/quant.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <oneapi/dnnl/dnnl.hpp>

#include "workloads/common/onednn_runner.h"
#include "workloads/common/prepared_kernel.h"
#include "workloads/common/random.h"

namespace effbench::workloads::quant {

void FillOperands(Direction direction, int64_t elements, uint64_t seed, Operands& ops) {
  ops = Operands{};
  ops.direction = direction;
  ops.real.resize(static_cast<size_t>(elements));
  FillUniform(ops.real, -0.5f, 3.0f, seed);  // post-activation-like: mostly positive
  ops.params = ChooseAsymmetricU8(ops.real);
  ops.q.resize(ops.real.size());
  if (direction == Direction::kQuantize) {
    std::fill(ops.q.begin(), ops.q.end(), uint8_t{0});
  } else {
    QuantizeU8(ops.real, ops.params, ops.q);
    std::fill(ops.real.begin(), ops.real.end(), std::nanf(""));
  }
}

Result<Fidelity> Verify(const Operands& ops, uint64_t seed) {
  std::vector<float> real(ops.real.size());
  FillUniform(real, -0.5f, 3.0f, seed);  // the values FillOperands drew
  const QuantParams p = ops.params;
  ErrorAccumulator err;
  size_t off_by_one = 0;
  for (size_t i = 0; i < real.size(); ++i) {
    const double exact = static_cast<double>(real[i]) / p.scale + p.zero_point;
    const double want = std::clamp(std::nearbyint(exact), 0.0, 255.0);
    if (ops.direction == Direction::kQuantize) {
      const double got = ops.q[i];
      // A value within a hair of a rounding tie may go either way.
      if (got != want) {
        const bool tie = std::fabs(std::fabs(exact - std::floor(exact)) - 0.5) < 1e-3;
        if (std::fabs(got - want) > 1 || !tie) {
          return Status::Internal("quantized[" + std::to_string(i) +
                                  "] = " + std::to_string(ops.q[i]) + ", expected " +
                                  std::to_string(want) + " (" + std::to_string(real[i]) + ")");
        }
        ++off_by_one;
      }
      err.Add(p.scale * (got - p.zero_point), real[i]);
    } else {
      const double expected = static_cast<double>(p.scale) * (ops.q[i] - p.zero_point);
      if (!std::isfinite(ops.real[i]) ||
          std::fabs(ops.real[i] - expected) > 1e-6 * std::max(1.0, std::fabs(expected))) {
        return Status::Internal("dequantized[" + std::to_string(i) +
                                "] = " + std::to_string(ops.real[i]) + ", expected " +
                                std::to_string(expected));
      }
      err.Add(ops.real[i], real[i]);
    }
  }
  if (off_by_one > real.size() / 1000) {
    return Status::Internal(std::to_string(off_by_one) + " of " + std::to_string(real.size()) +
                            " values rounded the other way: more than ties explain");
  }
  // The round trip loses at most half a step: rel_l2 well under 1 %.
  return Fidelity{err.RelL2(), err.max_abs, 1e-2};
}

namespace {

class RefKernel final : public Kernel {
 public:
  void Run(Operands& ops) override {
    const QuantParams p = ops.params;
    if (ops.direction == Direction::kQuantize) {
      QuantizeU8(ops.real, p, ops.q);
    } else {
      for (size_t i = 0; i < ops.q.size(); ++i) {
        ops.real[i] = p.scale * static_cast<float>(static_cast<int32_t>(ops.q[i]) - p.zero_point);
      }
    }
  }
  std::string Implementation() const override { return "cxx:reference"; }
};

// A oneDNN reorder between f32 and u8 with the scale and zero point as attributes.
class OnednnKernel final : public Kernel {
 public:
  OnednnKernel(const Operands& ops, int threads)
      : threads_(threads), engine_(CpuEngine()), stream_(engine_) {
    using dt = dnnl::memory::data_type;
    const dnnl::memory::dims dims = {static_cast<int64_t>(ops.real.size())};
    const dnnl::memory::desc f32({dims}, dt::f32, dnnl::memory::format_tag::x);
    const dnnl::memory::desc u8({dims}, dt::u8, dnnl::memory::format_tag::x);
    dnnl::primitive_attr attr;
    if (ops.direction == Direction::kQuantize) {
      attr.set_output_scales(0, {1.0f / ops.params.scale});
      attr.set_zero_points(DNNL_ARG_DST, 0, {ops.params.zero_point});
      from_ = dnnl::memory(f32, engine_, nullptr);
      to_ = dnnl::memory(u8, engine_, nullptr);
    } else {
      attr.set_output_scales(0, {ops.params.scale});
      attr.set_zero_points(DNNL_ARG_SRC, 0, {ops.params.zero_point});
      from_ = dnnl::memory(u8, engine_, nullptr);
      to_ = dnnl::memory(f32, engine_, nullptr);
    }
    const dnnl::reorder::primitive_desc pd(engine_, from_.get_desc(), engine_, to_.get_desc(),
                                           attr);
    reorder_ = dnnl::reorder(pd);
    implementation_ = pd.impl_info_str();
  }

  void Run(Operands& ops) override {
    const bool q = ops.direction == Direction::kQuantize;
    from_.set_data_handle(q ? static_cast<void*>(ops.real.data()) : ops.q.data());
    to_.set_data_handle(q ? static_cast<void*>(ops.q.data()) : ops.real.data());
    omp_set_num_threads(threads_);
    reorder_.execute(stream_, from_, to_);
    stream_.wait();
  }
  std::string Implementation() const override { return implementation_; }

 private:
  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::memory from_, to_;
  dnnl::reorder reorder_;
  std::string implementation_;
};

std::function<Result<std::unique_ptr<PreparedWorkload>>(const Params&, const Variant&,
                                                        const RunConfig&)>
Preparer(Direction direction) {
  return [direction](const Params& p, const Variant& variant,
                     const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    const int64_t elements = p.at("n") * p.at("h") * p.at("w") * p.at("c");
    return PrepareKernel<Operands>(
        quant::Verify, variant, config,
        [&](Operands& ops) { FillOperands(direction, elements, config.seed, ops); }, MakeRefKernel,
        MakeOnednnKernel);
  };
}

}  // namespace

std::unique_ptr<Kernel> MakeRefKernel() { return std::make_unique<RefKernel>(); }

Result<std::unique_ptr<Kernel>> MakeOnednnKernel(const Operands& ops, int threads) {
  try {
    return std::unique_ptr<Kernel>(std::make_unique<OnednnKernel>(ops, threads));
  } catch (const dnnl::error& e) {
    return Status::FailedPrecondition(std::string("oneDNN cannot build the reorder: ") + e.what());
  }
}

std::vector<Family> MakeFamilies() {
  return {Family{"quant.quantize",
                 {"int8"},
                 {"ref", "onednn"},
                 {"onednn"},
                 {"n", "h", "w", "c"},
                 Preparer(Direction::kQuantize),
                 nullptr},
          Family{"quant.dequantize",
                 {"int8"},
                 {"ref", "onednn"},
                 {"onednn"},
                 {"n", "h", "w", "c"},
                 Preparer(Direction::kDequantize),
                 nullptr}};
}

}  // namespace effbench::workloads::quant
