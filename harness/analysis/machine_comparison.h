// Efficiency across machines: choosing each machine's run and building the
// comparison that reports/machine_comparison.h renders. What `effbench
// report` does when it compares machines.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/stores.h"
#include "reports/machine_comparison.h"
#include "workloads/catalog/relations.h"

namespace effbench::analysis {

struct MachineComparisonOptions {
  // Which machines: each a hostname, an agent name or a fingerprint prefix
  // (4+ hex digits). Empty: every machine with a run.
  std::vector<std::string> machines;
  // A shell glob on the workload id ('gemm.*@onednn'); empty: all.
  std::string workloads;
  // Variants kept: a precision (int8), a sparsity (2:4) or a variant label
  // ("int8 pc_minmax"). Empty: all. The baseline variant is kept regardless.
  std::vector<std::string> variants;
  // Runs (ids or unique prefixes), at most one per machine. Empty: the latest
  // run of each machine (a finished one before an interrupted one).
  std::vector<std::string> runs;
  // Only runs started in [since, until] (ISO 8601 dates or times, UTC; a
  // date alone covers its whole day). Empty: no bound.
  std::string since, until;
  std::string baseline_variant = "fp32";
  // The machine the others are normalised to (a selector as above); empty:
  // the machine with the most results.
  std::string reference;
  double confidence = 0.95;
  int resamples = 1000;
  // How families relate (standard twins, teachers); nullptr: the catalog's.
  const catalog::Relations* relations = nullptr;
};

// The machines of a database as people name them: hostname, agent name, or
// a fingerprint prefix.
class MachineDirectory {
 public:
  static Result<MachineDirectory> Load(store::QueryStore& db);
  // Whether `selector` (a hostname, an agent name or 4+ hex digits of the
  // fingerprint) names the machine `fingerprint`.
  bool Matches(const std::string& selector, const std::string& fingerprint) const;
  // "agent-or-hostname 1b1a009e"; "... (emulated)" for a machine that ran
  // under an emulator.
  std::string Label(const std::string& fingerprint) const;
  // Fills the label, CPU and ISA (with an EFFBENCH_MAX_ISA cap) of `column`.
  void Describe(const std::string& fingerprint, reports::MachineColumn& column) const;

 private:
  std::map<std::string, store::MachineRow> machines_;  // by fingerprint
  std::map<std::string, std::string> agent_of_;        // fingerprint -> agent name
  std::set<std::string> emulated_;                     // fingerprints
};

// One machine's column and the records of its run.
struct MachineRecords {
  reports::MachineColumn column;
  std::vector<result::ResultRecord> records;
};

// The comparison of `machines` (pure: no store). Rows are workload id ×
// threads, in the order first seen.
reports::MachineComparison CompareMachines(const std::vector<MachineRecords>& machines,
                                           size_t reference,
                                           const MachineComparisonOptions& options);

// Chooses the machines and runs from `db` and compares them. NotFound or
// InvalidArgument naming the selector that matched nothing, or too much.
Result<reports::MachineComparison> BuildMachineComparison(store::QueryStore& db,
                                                          const MachineComparisonOptions& options);
// The same, with the database's runs (store::RunStore::Runs()) already read.
Result<reports::MachineComparison> BuildMachineComparison(store::QueryStore& db,
                                                          const std::vector<store::RunRow>& runs,
                                                          const MachineComparisonOptions& options);

}  // namespace effbench::analysis
