#include "harness/analysis/machine_comparison.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "harness/analysis/regressions.h"
#include "harness/analysis/run_selection.h"
#include "harness/stats/tests.h"
#include "reports/text_table.h"
#include "workloads/catalog/specs.h"

namespace effbench::analysis {
namespace {

using reports::Cell;
using result::ResultRecord;

// The precision with what else sets the variant apart: "int8 pc_minmax", "fp32 2:4".
std::string VariantLabel(const ResultRecord& r) {
  std::string label = r.variant.precision;
  if (!r.variant.quantization.empty()) label += " " + r.variant.quantization;
  if (r.variant.sparsity != "dense") label += " " + r.variant.sparsity;
  return label;
}

// What pairs a result with its baseline on the same machine: the same
// workload (a distilled student's teacher), shape, backend and threads.
std::string PairKey(const std::string& workload, const ResultRecord& r) {
  return workload + "|" + result::ShapeOf(r) + "|" + r.variant.backend + "|" +
         std::to_string(r.threads);
}

// What the catalog's relations say of the results being compared: the
// analysis knows no workload by name.
class Relatives {
 public:
  explicit Relatives(const catalog::Relations& relations) : relations_(relations) {}

  bool IsDistilledStudent(const ResultRecord& r) const {
    return relations_.TeacherOf(r.workload).has_value();
  }

  // The workload whose result this one's speedup is over: a distilled
  // student's teacher, else its own.
  std::string BaselineWorkload(const ResultRecord& r) const {
    return relations_.TeacherOf(r.workload).value_or(r.workload);
  }

  // Where a result stands in an efficient architecture and its standard
  // twin, with the key both sides share on one machine (their common shape,
  // variant, backend and threads).
  std::optional<catalog::Relations::ArchitectureSlot> Architecture(const ResultRecord& r) const {
    auto slot = relations_.Architecture(r.workload, r.params);
    if (slot) {
      slot->key.append("|").append(VariantLabel(r)).append("|").append(r.variant.backend);
      slot->key.append("|").append(std::to_string(r.threads));
    }
    return slot;
  }

  bool IsBaseline(const ResultRecord& r, const std::string& baseline) const {
    return r.ok && r.variant.precision == baseline && r.variant.sparsity == "dense" &&
           r.variant.quantization.empty() && !IsDistilledStudent(r);
  }

  std::string Technique(const ResultRecord& r, const std::string& baseline) const {
    if (IsDistilledStudent(r)) return "distillation";
    if (r.variant.sparsity != "dense") return "pruning";
    if (r.variant.precision == "int8") return "quantization";
    if (r.variant.precision == "bf16" || r.variant.precision == "fp16") return "reduced precision";
    if (r.variant.precision == baseline) {
      const auto slot = Architecture(r);
      return slot && slot->efficient ? "architecture" : "baseline";
    }
    return "other";
  }

 private:
  const catalog::Relations& relations_;
};

bool KeepVariant(const ResultRecord& r, const MachineComparisonOptions& o, const Relatives& rel) {
  if (o.variants.empty() || rel.IsBaseline(r, o.baseline_variant)) return true;
  const std::string label = VariantLabel(r);
  return std::any_of(o.variants.begin(), o.variants.end(), [&](const std::string& v) {
    return v == r.variant.precision || v == r.variant.sparsity || v == label ||
           v == r.variant.quantization;
  });
}

bool KeepWorkload(const ResultRecord& r, const MachineComparisonOptions& o) {
  return o.workloads.empty() || ::fnmatch(o.workloads.c_str(), r.name.c_str(), 0) == 0;
}

std::optional<std::string> FidelityMiss(const ResultRecord& r) {
  if (r.accuracy) {
    if (r.accuracy->meets_mlperf_99) return std::nullopt;
    return "top-1 " + reports::Fixed(100 * r.accuracy->top1, 2) + " % < 99 % of its baseline's " +
           reports::Fixed(100 * r.accuracy->top1_fp32, 2) + " % (MLPerf's rule) on " +
           std::to_string(r.accuracy->test_images) + " " + r.accuracy->dataset + " test images";
  }
  if (!r.quality || !r.quality->classifier || r.quality->meets_mlperf_99) return std::nullopt;
  std::string why =
      "top-1 agreement with fp32 " + reports::Fixed(100 * r.quality->top1_agreement, 1) +
      " % < 99 % (MLPerf's rule) over " + std::to_string(r.quality->inputs) + " inputs, " +
      std::to_string(r.quality->reference_classes) + " classes predicted by fp32";
  return why;
}

Cell CellOf(const ResultRecord& r, double confidence) {
  Cell c;
  c.record_id = r.id;
  c.implementation = r.implementation;
  if (r.skipped) {
    c.state = Cell::State::kSkipped;
    c.reason = r.error;
    return c;
  }
  if (!r.ok || r.samples_ns.empty()) {
    c.state = Cell::State::kFailed;
    c.reason = r.error.empty() ? "no samples" : r.error;
    return c;
  }
  c.state = Cell::State::kOk;
  c.repetitions = r.samples_ns.size();
  const auto interval = stats::MedianConfidenceInterval(r.samples_ns, confidence);
  c.median_ns = {interval.median, interval.low, interval.high};
  c.coverage = interval.coverage;
  c.per_second = interval.median > 0 ? 1e9 / interval.median : 0;
  for (const auto& [name, value] : r.params) {
    if ((name == "n" || name == "batch") && value > 0 && c.per_second > 0) {
      c.samples_per_second = static_cast<double>(value) * c.per_second;
    }
  }
  c.gflops = r.gflops;
  c.roofline_fraction = r.roofline_fraction;
  c.roofline_note = r.roofline_note;
  c.joules_per_run = r.joules_per_iter;
  // The weights as stored: a pruned variant's own count (indices included),
  // else its precision's size of the dense weights.
  c.model_bytes = r.weight_bytes;
  if (r.compression) c.model_bytes = r.compression->model_bytes;
  c.rel_l2 = r.quality ? std::optional<double>(r.quality->rel_l2) : r.rel_l2;
  if (r.quality && r.quality->classifier) c.top1_agreement = r.quality->top1_agreement;
  if (r.accuracy) {
    c.top1 = r.accuracy->top1;
    c.top1_delta = r.accuracy->delta;
    c.top1_delta_low = r.accuracy->delta_lo;
    c.top1_delta_high = r.accuracy->delta_hi;
    c.model_bytes = r.accuracy->model_bytes;
  }
  c.fidelity_miss = FidelityMiss(r);
  return c;
}

double GeoMeanOf(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += std::log(v);
  return std::exp(sum / static_cast<double>(values.size()));
}

bool IsHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c) != 0; });
}

}  // namespace

reports::MachineComparison CompareMachines(const std::vector<MachineRecords>& machines,
                                           size_t reference, const MachineComparisonOptions& o) {
  const Relatives rel(o.relations != nullptr ? *o.relations : catalog::KnownRelations());
  reports::MachineComparison m;
  m.baseline_variant = o.baseline_variant;
  m.confidence = o.confidence;
  m.reference = reference < machines.size() ? reference : 0;
  for (const auto& x : machines) m.machines.push_back(x.column);

  // Rows in the order first seen; a cell per machine.
  std::map<std::string, size_t> row_of;
  // Per machine: the baseline's samples by PairKey, and the standard twins
  // of efficient architectures by their shared key.
  std::vector<std::map<std::string, const ResultRecord*>> baselines(machines.size());
  std::vector<std::map<std::string, const ResultRecord*>> standard_twins(machines.size());
  std::vector<std::vector<const ResultRecord*>> record_of_cell;  // [row][machine]
  for (size_t i = 0; i < machines.size(); ++i) {
    for (const ResultRecord& r : machines[i].records) {
      const bool baseline = rel.IsBaseline(r, o.baseline_variant);
      // A standard twin counts even where --workloads leaves its own row out.
      if (baseline) {
        const auto slot = rel.Architecture(r);
        if (slot && !slot->efficient) standard_twins[i][slot->key] = &r;
      }
      if (!KeepWorkload(r, o)) continue;
      if (baseline) baselines[i][PairKey(r.workload, r)] = &r;
      if (!KeepVariant(r, o, rel)) continue;
      const std::string key = r.name + "|" + std::to_string(r.threads);
      auto [it, added] = row_of.emplace(key, m.rows.size());
      if (added) {
        reports::Row row;
        row.name = r.name;
        row.workload = r.workload;
        row.shape = result::ShapeOf(r);
        row.variant = VariantLabel(r);
        row.backend = r.variant.backend;
        row.technique = rel.Technique(r, o.baseline_variant);
        if (row.technique == "architecture") row.speedup_over = rel.Architecture(r)->label;
        row.network = r.workload + " " + row.shape;
        row.threads = r.threads;
        row.cells.resize(machines.size());
        m.rows.push_back(std::move(row));
        record_of_cell.emplace_back(machines.size(), nullptr);
      }
      m.rows[it->second].cells[i] = CellOf(r, o.confidence);
      record_of_cell[it->second][i] = &r;
    }
  }
  // Speedups over the baseline variant on the same machine, and against the
  // reference machine on the same row. The bootstraps are most of the work:
  // machines are spread over the cores (each cell's resampling is seeded the
  // same whatever thread runs it, so the result does not depend on them).
  const auto machine_cells = [&](size_t i) {
    for (size_t row = 0; row < m.rows.size(); ++row) {
      const ResultRecord* ref = record_of_cell[row][m.reference];
      const bool ref_ok = ref && m.rows[row].cells[m.reference].state == Cell::State::kOk;
      Cell& c = m.rows[row].cells[i];
      const ResultRecord* r = record_of_cell[row][i];
      if (c.state != Cell::State::kOk) continue;
      if (ref_ok) {
        c.vs_reference = m.rows[row].cells[m.reference].median_ns.value / c.median_ns.value;
      }
      // The baseline: the standard twin of an efficient architecture, else
      // the baseline variant (which has no speedup over itself).
      const ResultRecord* base = nullptr;
      if (!m.rows[row].speedup_over.empty()) {
        const auto twin = standard_twins[i].find(rel.Architecture(*r)->key);
        if (twin != standard_twins[i].end()) base = twin->second;
      } else if (!rel.IsBaseline(*r, o.baseline_variant)) {
        const auto found = baselines[i].find(PairKey(rel.BaselineWorkload(*r), *r));
        if (found != baselines[i].end()) base = found->second;
      }
      if (base == nullptr || base->samples_ns.empty()) continue;
      // BootstrapMedianRatio gives this / baseline; a speedup is its inverse.
      const auto ci =
          stats::BootstrapMedianRatio(base->samples_ns, r->samples_ns, o.confidence, o.resamples);
      c.speedup = reports::Estimate{1 / ci.ratio, 1 / ci.high, 1 / ci.low};
    }
  };
  const size_t workers =
      std::min<size_t>(machines.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < machines.size();) machine_cells(i);
    });
  }
  for (size_t i; (i = next++) < machines.size();) machine_cells(i);
  for (auto& t : pool) t.join();
  // Geometric means: each machine against the reference machine (speed, and
  // performance per joule where both measured energy), then each technique's
  // speedups over the baseline variant. A row that misses its fidelity rule
  // is not counted.
  for (size_t i = 0; i < machines.size(); ++i) {
    std::vector<double> speed, per_joule;
    std::map<std::string, std::vector<double>> by_technique;
    for (const auto& row : m.rows) {
      const Cell& c = row.cells[i];
      const Cell& ref = row.cells[m.reference];
      if (c.state != Cell::State::kOk || c.fidelity_miss) continue;
      if (c.vs_reference && !ref.fidelity_miss) speed.push_back(*c.vs_reference);
      if (c.joules_per_run && ref.joules_per_run && *c.joules_per_run > 0 &&
          ref.state == Cell::State::kOk) {
        per_joule.push_back(*ref.joules_per_run / *c.joules_per_run);
      }
      if (c.speedup) by_technique[row.technique].push_back(c.speedup->value);
    }
    if (i != m.reference && !speed.empty()) {
      m.summaries.push_back({i, "", "speed", GeoMeanOf(speed), speed.size()});
    }
    if (i != m.reference && !per_joule.empty()) {
      m.summaries.push_back(
          {i, "", "performance per joule", GeoMeanOf(per_joule), per_joule.size()});
    }
    for (const auto& [technique, values] : by_technique) {
      m.summaries.push_back({i, technique, "speed", GeoMeanOf(values), values.size()});
    }
  }
  return m;
}

Result<MachineDirectory> MachineDirectory::Load(store::QueryStore& db) {
  auto machines = db.Machines();
  if (!machines.ok()) return machines.status();
  auto agents = db.Agents();
  if (!agents.ok()) return agents.status();
  MachineDirectory d;
  d.emulated_ = EmulatedMachines(*machines);
  for (auto& row : *machines) d.machines_[row.fingerprint] = std::move(row);
  for (const auto& a : *agents) d.agent_of_[a.machine_fingerprint] = a.name;
  return d;
}

bool MachineDirectory::Matches(const std::string& selector, const std::string& fp) const {
  const auto it = machines_.find(fp);
  if (it != machines_.end() && it->second.hostname == selector) return true;
  const auto agent = agent_of_.find(fp);
  if (agent != agent_of_.end() && agent->second == selector) return true;
  return selector.size() >= 4 && IsHex(selector) && fp.rfind(selector, 0) == 0;
}

std::string MachineDirectory::Label(const std::string& fp) const {
  const auto mrow = machines_.find(fp);
  std::string name = mrow != machines_.end() ? mrow->second.hostname : "";
  if (auto agent = agent_of_.find(fp); agent != agent_of_.end()) name = agent->second;
  // An emulated machine's timings say nothing of real hardware: every
  // report that names it says so.
  return (name.empty() ? "?" : name) + " " + fp.substr(0, 8) +
         (emulated_.count(fp) ? " (emulated)" : "");
}

void MachineDirectory::Describe(const std::string& fp, reports::MachineColumn& column) const {
  column.label = Label(fp);
  const auto mrow = machines_.find(fp);
  if (mrow == machines_.end()) return;
  column.cpu = mrow->second.cpu_model;
  const auto inventory =
      nlohmann::json::parse(mrow->second.inventory_json, nullptr, /*allow_exceptions=*/false);
  if (!inventory.is_object()) return;
  std::string isa;
  for (const auto& f : inventory.value("isa", nlohmann::json::array())) {
    // Appends: GCC 12 warns falsely on "literal" + string here.
    if (f.is_string()) isa.append(isa.empty() ? "" : " ").append(f.get<std::string>());
  }
  const std::string cap = inventory.value("isa_cap", "");
  if (!cap.empty()) isa.append(" (capped at ").append(cap).append(" by EFFBENCH_MAX_ISA)");
  column.isa = isa;
}

Result<reports::MachineComparison> BuildMachineComparison(store::QueryStore& db,
                                                          const MachineComparisonOptions& o) {
  auto runs = db.Runs();
  if (!runs.ok()) return runs.status();
  return BuildMachineComparison(db, *runs, o);
}

Result<reports::MachineComparison> BuildMachineComparison(store::QueryStore& db,
                                                          const std::vector<store::RunRow>& runs,
                                                          const MachineComparisonOptions& o) {
  auto directory = MachineDirectory::Load(db);
  if (!directory.ok()) return directory.status();

  // The date range: ISO 8601 strings compare in time order (UTC, 'Z').
  for (const std::string* bound : {&o.since, &o.until}) {
    static const std::regex iso(R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?)");
    if (!bound->empty() && !std::regex_match(*bound, iso)) {
      return Status::InvalidArgument("\"" + *bound +
                                     "\" is not a date (2026-11-29) or a UTC time "
                                     "(2026-11-29T08:00:00Z)");
    }
  }
  const auto in_range = [&](const store::RunRow& run) {
    if (!o.since.empty() && run.started_at < o.since) return false;
    // A date alone as the upper bound takes its whole day.
    if (!o.until.empty() && run.started_at.substr(0, o.until.size()) > o.until) return false;
    return true;
  };

  // The run of each machine: the named ones, else the latest (finished first).
  std::map<std::string, store::RunRow> run_of;  // by fingerprint
  std::vector<std::string> order;               // fingerprints, as chosen
  if (!o.runs.empty()) {
    for (const std::string& selector : o.runs) {
      auto chosen = ResolveRuns(runs, selector);
      if (!chosen.ok()) return chosen.status();
      for (const auto& run : *chosen) {
        if (run_of.count(run.machine_fingerprint)) {
          return Status::InvalidArgument("two runs of machine " +
                                         run.machine_fingerprint.substr(0, 8) + " (" +
                                         run_of[run.machine_fingerprint].id + " and " + run.id +
                                         "): give one run per machine");
        }
        run_of[run.machine_fingerprint] = run;
        order.push_back(run.machine_fingerprint);
      }
    }
  } else {
    for (const auto& run : runs) {
      if (run.results_ok + run.results_failed == 0 || !in_range(run)) continue;
      auto it = run_of.find(run.machine_fingerprint);
      const bool finished = run.finished_at.has_value();
      if (it == run_of.end()) {
        run_of[run.machine_fingerprint] = run;
        order.push_back(run.machine_fingerprint);
        continue;
      }
      const bool current_finished = it->second.finished_at.has_value();
      if ((finished && !current_finished) ||
          (finished == current_finished && run.started_at > it->second.started_at)) {
        it->second = run;
      }
    }
    std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      return run_of[a].started_at < run_of[b].started_at;
    });
  }
  if (!o.machines.empty()) {
    std::vector<std::string> kept;
    for (const std::string& selector : o.machines) {
      size_t found = 0;
      for (const auto& fp : order) {
        if (directory->Matches(selector, fp) &&
            std::find(kept.begin(), kept.end(), fp) == kept.end()) {
          kept.push_back(fp);
          ++found;
        }
      }
      if (found == 0) {
        return Status::NotFound("--machines: no machine with a run matches \"" + selector +
                                "\" (a hostname, an agent name or 4+ hex digits of a "
                                "fingerprint; see effbench machines)");
      }
    }
    order = kept;
  }
  if (order.empty()) {
    return Status::NotFound(o.since.empty() && o.until.empty()
                                ? "no run with results in the database"
                                : "no run with results between " +
                                      (o.since.empty() ? std::string("the first") : o.since) +
                                      " and " + (o.until.empty() ? std::string("now") : o.until));
  }

  std::vector<MachineRecords> machines;
  size_t reference = 0;
  bool reference_found = o.reference.empty();
  for (const auto& fp : order) {
    const store::RunRow& run = run_of[fp];
    MachineRecords x;
    x.column.fingerprint = fp;
    x.column.run_id = run.id;
    x.column.commit = run.revision.commit;
    x.column.started_at = run.started_at;
    directory->Describe(fp, x.column);
    auto records = db.Results(run.id);
    if (!records.ok()) return records.status();
    x.records = std::move(*records);
    if (!o.reference.empty() && !reference_found && directory->Matches(o.reference, fp)) {
      reference = machines.size();
      reference_found = true;
    }
    machines.push_back(std::move(x));
  }
  if (!reference_found) {
    return Status::NotFound("--reference: no compared machine matches \"" + o.reference + "\"");
  }
  if (o.reference.empty()) {
    // The machine most rows can be normalised to: the one whose ok results
    // share the most workload ids with the other machines' (then the most
    // results, then the first).
    std::map<std::string, size_t> machines_with;  // workload id -> machines with it ok
    std::vector<std::set<std::string>> ok_names(machines.size());
    for (size_t i = 0; i < machines.size(); ++i) {
      for (const ResultRecord& r : machines[i].records) {
        if (r.ok && KeepWorkload(r, o) && ok_names[i].insert(r.name).second) {
          ++machines_with[r.name];
        }
      }
    }
    const auto score = [&](size_t i) {
      size_t shared = 0;
      for (const auto& name : ok_names[i]) shared += machines_with[name] - 1;
      return std::pair{shared, ok_names[i].size()};
    };
    for (size_t i = 1; i < machines.size(); ++i) {
      if (score(i) > score(reference)) reference = i;
    }
  }
  reports::MachineComparison m = CompareMachines(machines, reference, o);
  if (m.rows.empty()) {
    return Status::NotFound("no result matches --workloads and --variants in the runs chosen");
  }
  return m;
}

}  // namespace effbench::analysis
