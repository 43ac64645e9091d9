// The GEMM family: prepares a GEMM workload of workloads/specs/gemm.json.
#include <string>

#include "workloads/common/prepared_kernel.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

using Prepared = PreparedKernel<Operands, Kernel>;

Result<std::unique_ptr<PreparedWorkload>> Prepare(const Params& params, const Variant& variant,
                                                  const RunConfig& config) {
  // DeepBench's M×N×K: N activation rows × M output features, reduced over K.
  const Shape matmul{params.at("n"), params.at("m"), params.at("k")};
  auto prepared = std::make_unique<Prepared>(gemm::Verify, config.seed);
  FillOperands(matmul, ParsePrecision(variant.precision), config.seed, prepared->operands());
  if (variant.backend == "ref") {
    prepared->set_kernel(MakeRefKernel());
  } else {
    auto kernel = MakeOnednnKernel(prepared->operands(), config.threads);
    if (!kernel.ok()) return kernel.status();
    prepared->set_kernel(std::move(kernel).value());
  }
  return std::unique_ptr<PreparedWorkload>(std::move(prepared));
}

}  // namespace

Family MakeFamily() {
  return Family{"gemm",     {"fp32", "bf16", "int8"}, {"ref", "onednn"},
                {"onednn"}, {"m", "n", "k"},          Prepare,
                nullptr};
}

}  // namespace effbench::workloads::gemm
