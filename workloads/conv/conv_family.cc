// The convolution families: prepare a convolution of workloads/specs/conv.json.
#include <string>

#include "workloads/common/prepared_kernel.h"
#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {
namespace {

Result<std::unique_ptr<PreparedWorkload>> Prepare(const Params& p, const Variant& variant,
                                                  const RunConfig& config) {
  Shape s;
  s.n = p.at("n");
  s.h = p.at("h");
  s.w = p.at("w");
  s.cin = p.at("cin");
  s.cout = p.at("cout");
  s.kh = p.at("kh");
  s.kw = p.at("kw");
  s.stride = p.at("stride");
  s.pad = p.at("pad");
  s.groups = p.at("groups");
  EFFBENCH_RETURN_IF_ERROR(Validate(s));
  return PrepareKernel<Operands>(
      conv::Verify, variant, config,
      [&](Operands& ops) { FillOperands(s, ParsePrecision(variant.precision), config.seed, ops); },
      MakeRefKernel, MakeOnednnKernel,
      [](const Operands& ops) { return DescribeQuantization(ops.precision); }, MakeNeonKernel);
}

}  // namespace

std::vector<Family> MakeFamilies() {
  std::vector<Family> families;
  for (const char* name : {"conv.std", "conv.pw", "conv.dw", "conv.r50"}) {
    families.push_back(Family{name,
                              {"fp32", "bf16", "int8"},
                              {"ref", "onednn", "neon"},
                              {"onednn"},
                              {"n", "h", "w", "cin", "cout", "kh", "kw", "stride", "pad", "groups"},
                              Prepare,
                              nullptr});
  }
  return families;
}

}  // namespace effbench::workloads::conv
