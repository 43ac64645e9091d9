// Roofline calibration: this machine's measured compute peaks (fp32 FMA, and
// bf16/int8 dot products where the ISA has them) and STREAM triad bandwidth,
// for one thread and for all threads, and the roofline they define.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/machine/inventory.h"

namespace effbench::machine {

// One peak, for one thread and for all threads.
struct Peak {
  double one_thread = 0;
  double all_threads = 0;  // never below one_thread
  std::string kernel;      // what was measured, e.g. "avx512f vfmadd231ps x16 chains"
  // How far the best trials were apart: (best - third best) / best, the larger
  // of the one- and all-thread figures. A kernel measured above the roof by
  // less than this is within the calibration's own noise.
  double spread = 0;
};

// What the machine was doing around the calibration.
struct Conditions {
  // The fraction of all CPUs' time spent busy (not idle) in a 0.25 s window
  // just before and just after calibrating, while effbench itself waited:
  // other work on the machine.
  double busy_before = 0, busy_after = 0;
  double steal_fraction = 0;  // CPU time stolen by the hypervisor while calibrating
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
  Conditions conditions;
  // "good"; "busy" (loaded or stolen-from machine) or "unstable" (a peak
  // whose best trials stayed further apart than the target spread); "unknown"
  // for calibrations stored before effbench recorded it.
  std::string quality = "good";
  std::vector<std::string> warnings;  // what made it so, one line each
  // Why these peaks must be measured again (a kernel beat them: they are too
  // low); the next run that reads them calibrates anew. Empty while sound.
  std::optional<std::string> stale;

  // The largest spread of the peaks.
  double MaxSpread() const;
};

struct CalibrationOptions {
  double seconds_per_kernel = 0.05;  // per trial
  // Trials repeat until the best three are within `target_spread` of the best
  // (at least `trials`, at most `max_trials`); the best counts.
  int trials = 3;
  int max_trials = 12;
  double target_spread = 0.03;
  int threads = 0;  // 0: inventory.threads
};

// Measures the peaks of this machine. int8 is measured with the instruction
// sequence oneDNN uses under the ISA cap: vpdpbusd with VNNI (zmm or ymm),
// else vpmaddubsw + vpmaddwd + vpaddd (zmm with AVX-512BW, ymm with AVX2).
Calibration Calibrate(const Inventory& inventory, const CalibrationOptions& options = {});

// The fp32 peak alone, on 1 and `threads` threads: the fastest FMA (or
// mul+add) sequence the inventory's ISA has. Compute peaks are operations per
// second of CPU time of each measuring thread, so other work that pushes the
// threads off their CPUs does not lower them.
Peak MeasureFp32Peak(const Inventory& inventory, const CalibrationOptions& options, int threads);

nlohmann::json ToJson(const Calibration& calibration);
Result<Calibration> CalibrationFromJson(const nlohmann::json& j);

// Whether `fraction` of the roofline is above 100 % by more than the
// calibration's spread (then the roof, not the kernel, is suspect); and the
// note a record carries about it.
std::optional<std::string> RooflineExcess(const Calibration& calibration, double fraction);

// The roofline of `calibration` for a kernel of `precision` (fp32, bf16, int8)
// run on `threads` threads: min(compute peak, intensity × triad bandwidth), in
// G(FL)OP/s. Precisions without a measured dot-product peak use the fp32 peak.
// The bandwidth is the last-level cache's for the `bytes` the kernel moves that
// can stay in it across iterations (all of them when they fit, llc_bytes of
// them when not), and memory's for the rest.
double AttainableGflops(const Calibration& calibration, const std::string& precision, int threads,
                        double flop, double bytes);

}  // namespace effbench::machine
