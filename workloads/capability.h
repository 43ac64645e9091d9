// What a workload variant needs from the machine, and whether this machine
// has it. A variant the machine cannot run is skipped with the reason, never
// failed: a machine is not wrong for being the kind it is.
//
// A need is a string "kind:what":
//   isa:LEVEL    the x86 level (cpu_isa.h's names) that the CPU must have and
//                the backend must dispatch to, e.g. isa:avx512_core for
//                oneDNN's bf16 kernels;
//   device:KIND  a device (device:cuda);
//   dataset:NAME a dataset on disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workloads/workload.h"

namespace effbench::workloads {

// Why this machine cannot run `spec` ("needs avx512_core for oneDNN bf16
// (this CPU: avx2, fma)"), checked against the CPU under the ISA cap and
// against the ISA oneDNN dispatches to; nullopt when it can.
// A dataset need is checked in `config`'s data directory.
std::optional<std::string> UnmetNeed(const WorkloadSpec& spec, const RunConfig& config = {});

}  // namespace effbench::workloads
