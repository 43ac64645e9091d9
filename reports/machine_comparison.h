// Efficiency across machines: one data model and its renderers. Rows are
// workload × variant × threads, columns are machines; each cell holds what a
// reader needs to say "what does int8 buy on machine X against machine Y":
// the median with its interval, throughput, the speedup over the baseline
// variant on the same machine, the machine against the reference machine,
// the roofline fraction and the kernel that ran, energy, model bytes and
// fidelity. harness/analysis builds it from stored results; this file only
// renders it (console, Markdown, CSV, JSON, one self-contained HTML page).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace effbench::reports {

struct MachineColumn {
  std::string fingerprint;
  std::string label;  // "hostname 1b1a009e" (agent name where one ran it)
  std::string cpu;    // "AMD EPYC 7B13"
  std::string isa;    // "avx2 fma" (capped: "avx2 (EFFBENCH_MAX_ISA)")
  std::string run_id, commit, started_at;
};

// A value with its interval; `low`/`high` equal `value` when there is none.
struct Estimate {
  double value = 0, low = 0, high = 0;
};

struct Cell {
  enum class State { kOk, kSkipped, kFailed, kMissing };
  State state = State::kMissing;
  std::string reason;  // why skipped or failed
  std::string record_id;
  size_t repetitions = 0;
  Estimate median_ns;     // interval: distribution-free, of the median
  double coverage = 0;    // the interval's actual confidence (order statistics)
  double per_second = 0;  // runs per second at the median
  // Samples (images, batch rows) per second at the median, for a workload
  // with a batch: its `n` or `batch` times runs per second.
  std::optional<double> samples_per_second;
  // The baseline's median / this, same machine: the baseline variant's, or
  // the standard twin's for an architecture row (Row::speedup_over).
  std::optional<Estimate> speedup;
  std::optional<double> vs_reference;  // reference machine's median / this
  std::optional<double> gflops, roofline_fraction;
  std::optional<std::string> roofline_note;
  std::string implementation;  // the kernel the backend chose
  std::optional<double> joules_per_run;
  std::optional<double> model_bytes;
  std::optional<double> rel_l2;          // against the float64 reference
  std::optional<double> top1_agreement;  // networks: against fp32 on the same inputs
  // A trained model on a real test set: its top-1 accuracy, and the
  // difference from its baseline's with a 95 % interval (fractions).
  std::optional<double> top1, top1_delta, top1_delta_low, top1_delta_high;
  // The variant misses its fidelity or accuracy rule: never ranked silently.
  std::optional<std::string> fidelity_miss;
};

struct Row {
  std::string name;      // the workload id: gemm.int8/m1024n1024k1024@onednn
  std::string workload;  // gemm
  std::string shape;     // m1024n1024k1024
  std::string variant;   // int8, fp32 2:4, int8 pc_minmax
  std::string backend;   // onednn
  // quantization, reduced precision, pruning, distillation, architecture, baseline
  std::string technique;
  // What the cells' speedups are over when not the baseline variant: an
  // efficient architecture's standard twin on the same input ("conv.std k3").
  std::string speedup_over;
  std::string network;  // the Pareto group: workload and shape (net.mobilenet_v2 n8r224)
  int threads = 1;
  std::vector<Cell> cells;  // one per machine, in MachineComparison::machines' order
};

// A geometric mean over rows: per machine against the reference machine, or
// per machine and technique over speedups against the baseline variant.
struct GeoMean {
  size_t machine = 0;
  std::string technique;  // empty: this machine against the reference machine
  std::string metric;     // "speed" or "performance per joule"
  double value = 1;
  size_t rows = 0;
};

struct MachineComparison {
  std::vector<MachineColumn> machines;
  size_t reference = 0;  // index into machines
  std::string baseline_variant = "fp32";
  double confidence = 0.95;
  std::vector<Row> rows;
  std::vector<GeoMean> summaries;
};

// A point of a Pareto chart: one ok cell of a network's row.
struct ParetoPoint {
  size_t row = 0, machine = 0;
  double latency_ns = 0;
  double quality = 0;  // the y axis: rel_l2, top-1 error or model bytes (lower is better)
  bool on_front = false;
  bool misses_rule = false;  // drawn hollow, never on the front
};
// The points of `network` against latency and `axis` ("rel_l2",
// "top1_error" (1 − top-1 accuracy on a real test set) or "model_bytes"), across variants and
// machines. The non-dominated ones among those that meet their fidelity rule (lower latency and
// lower y both better) are marked on_front.
std::vector<ParetoPoint> ParetoFront(const MachineComparison& comparison,
                                     const std::string& network, const std::string& axis);

enum class ComparisonFormat { kConsole, kMarkdown, kCsv, kJson, kHtml };
Result<ComparisonFormat> ParseComparisonFormat(const std::string& name);

std::string RenderMachineComparison(const MachineComparison& comparison, ComparisonFormat format);

// The filters a live page shows as a form (GET, no script needed), with the
// values the page was made with: what `effbench serve --http` serves at /.
struct PageFilters {
  std::string machines, workloads, variants, since, until, baseline_variant, reference;
};
// The HTML page with the filter form above it.
std::string RenderMachineComparisonPage(const MachineComparison& comparison,
                                        const PageFilters& filters);
// The page when nothing matched (or a filter was wrong): the form (of the
// history page when `history`) and why.
std::string RenderEmptyPage(const std::string& problem, const PageFilters& filters,
                            bool history = false);

// The JSON rendering read back (a round trip keeps every number).
Result<MachineComparison> MachineComparisonFromJson(const std::string& text);

}  // namespace effbench::reports
