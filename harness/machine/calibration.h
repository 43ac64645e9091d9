// Roofline calibration: this machine's measured compute peaks (fp32 FMA, and
// bf16/int8 dot products where the ISA has them) and STREAM triad bandwidth,
// for one thread and for all threads, and the roofline they define.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "harness/machine/inventory.h"
#include "workloads/common/status.h"

namespace effbench::machine {

// One peak, for one thread and for all threads.
struct Peak {
  double one_thread = 0;
  double all_threads = 0;
  std::string kernel;  // what was measured, e.g. "avx512f vfmadd231ps x16 chains"
};

struct Calibration {
  int threads = 1;                  // "all threads" means this many
  Peak fp32_gflops;                 // FMA throughput
  std::optional<Peak> bf16_gflops;  // bf16 dot product (2 flop per MAC)
  std::optional<Peak> int8_gops;    // u8·s8 dot product (2 op per MAC)
  // Bandwidths: the best of STREAM triad (24 bytes per element) and a
  // read-only sum (8 bytes per element) over the same arrays.
  Peak triad_gbps;                // from memory
  int64_t triad_array_bytes = 0;  // size of each triad array (4× the LLC)
  Peak llc_triad_gbps;            // on arrays resident in the last-level cache
  int64_t llc_bytes = 0;          // the last-level cache size
};

struct CalibrationOptions {
  double seconds_per_kernel = 0.05;  // per trial; the best of `trials` counts
  int trials = 3;
  int threads = 0;  // 0: inventory.threads
};

// Measures the peaks of this machine.
Calibration Calibrate(const Inventory& inventory, const CalibrationOptions& options = {});

nlohmann::json ToJson(const Calibration& calibration);
Result<Calibration> CalibrationFromJson(const nlohmann::json& j);

// The roofline of `calibration` for a kernel of `precision` (fp32, bf16, int8)
// run on `threads` threads: min(compute peak, intensity × triad bandwidth), in
// G(FL)OP/s. Precisions without a measured dot-product peak use the fp32 peak.
// The bandwidth is the last-level cache's when the `bytes` the kernel moves fit
// in it (they can stay resident across iterations), else memory's.
// The bandwidth is the last-level cache's when the `bytes` the kernel moves fit
// in it (they can stay resident across iterations), else memory's.
double AttainableGflops(const Calibration& calibration, const std::string& precision, int threads,
                        double flop, double bytes);

}  // namespace effbench::machine
