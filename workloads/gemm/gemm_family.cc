// The GEMM family: prepares a GEMM workload of workloads/specs/gemm.json.
#include <string>

#include "workloads/common/prepared_kernel.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

Result<std::unique_ptr<PreparedWorkload>> Prepare(const Params& params, const Variant& variant,
                                                  const RunConfig& config) {
  // DeepBench's M×N×K: N activation rows × M output features, reduced over K.
  const Shape matmul{params.at("n"), params.at("m"), params.at("k")};
  return PrepareKernel<Operands>(
      gemm::Verify, variant, config,
      [&](Operands& ops) {
        FillOperands(matmul, ParsePrecision(variant.precision), config.seed, ops);
      },
      MakeRefKernel, MakeOnednnKernel,
      [](const Operands& ops) { return DescribeQuantization(ops.precision); }, MakeNeonKernel);
}

}  // namespace

Family MakeFamily() {
  return Family{"gemm",     {"fp32", "bf16", "int8"}, {"ref", "onednn", "neon"},
                {"onednn"}, {"m", "n", "k"},          Prepare,
                nullptr};
}

}  // namespace effbench::workloads::gemm
