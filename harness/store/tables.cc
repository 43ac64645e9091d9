#include "harness/store/tables.h"

#include <bit>
#include <cstring>

namespace effbench::store {
namespace {

constexpr ColumnType T = ColumnType::kText;
constexpr ColumnType I = ColumnType::kInteger;
constexpr ColumnType R = ColumnType::kReal;

}  // namespace

const std::vector<Table>& PortableTables() {
  static const std::vector<Table> tables = {
      {"machines",
       {{"id", I},
        {"fingerprint", T},
        {"hostname", T},
        {"cpu_model", T},
        {"arch", T},
        {"inventory", T},
        {"calibration", T},
        {"first_seen", T},
        {"last_seen", T}},
       "id"},
      {"revisions",
       {{"id", I}, {"repo", T}, {"commit_sha", T}, {"branch", T}, {"commit_time", T}},
       "id"},
      {"runs",
       {{"id", T},
        {"machine_id", I},
        {"revision_id", I},
        {"suite", T},
        {"started_at", T},
        {"finished_at", T},
        {"config", T}},
       "id"},
      {"results",
       {{"id", T},
        {"run_id", T},
        {"name", T},
        {"workload", T},
        {"precision", T},
        {"sparsity", T},
        {"backend", T},
        {"threads", I},
        {"status", T},
        {"error", T},
        {"median_ns", R},
        {"mean_ns", R},
        {"stddev_ns", R},
        {"cv", R},
        {"min_ns", R},
        {"max_ns", R},
        {"gflops", R},
        {"gbps", R},
        {"roofline_fraction", R},
        {"joules_per_iter", R},
        {"rel_l2", R},
        {"record", T},
        {"samples_ns", T}},
       "id"},
      {"run_counts", {{"run_id", T}, {"ok", I}, {"failed", I}, {"skipped", I}}, "run_id"},
      {"run_checks", {{"run_id", T}, {"checked_at", T}}, "run_id"},
      {"regressions",
       {{"id", I},
        {"machine_fingerprint", T},
        {"name", T},
        {"threads", I},
        {"metric", T},
        {"last_good_commit", T},
        {"first_bad_commit", T},
        {"first_bad_run", T},
        {"change", R},
        {"pvalue", R},
        {"mean_before", R},
        {"mean_after", R},
        {"points_before", I},
        {"points_after", I},
        {"direction", T},
        {"state", T},
        {"detected_at", T},
        {"updated_at", T},
        {"reason", T},
        {"fixed_last_bad_commit", T},
        {"fixed_first_good_commit", T},
        {"pruned_at", T}},
       "id"},
      {"agents",
       {{"name", T},
        {"machine_fingerprint", T},
        {"version", T},
        {"labels", T},
        {"first_seen", T},
        {"last_seen", T}},
       "name"},
      {"agent_keys",
       {{"name", T}, {"stored_key", T}, {"enrolled_at", T}, {"revoked_at", T}},
       "name"},
      {"jobs",
       {{"id", T},
        {"agent", T},
        {"run_id", T},
        {"suite", T},
        {"spec", T},
        {"state", T},
        {"created_at", T},
        {"updated_at", T},
        {"error", T}},
       "id"},
  };
  return tables;
}

std::string ColumnList(const Table& table) {
  std::string list;
  for (const Column& c : table.columns) {
    if (!list.empty()) list += ", ";
    list += c.name;
  }
  return list;
}

std::vector<std::string> PruneRunDeletes() {
  const std::string pruned = std::string("(") + kPrunedRuns + ")";
  return {"DELETE FROM run_counts WHERE run_id IN " + pruned,
          "DELETE FROM run_checks WHERE run_id IN " + pruned,
          "DELETE FROM jobs WHERE state NOT IN ('queued', 'dispatched') AND run_id IN " + pruned,
          "DELETE FROM runs WHERE id IN " + pruned};
}

void RowChecksum::Add(const Row& row) {
  // FNV-1a over each value with its type; rows are added, so their order
  // does not matter.
  uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
  };
  for (const Value& v : row) {
    const unsigned char tag = static_cast<unsigned char>(v.index());
    mix(&tag, 1);
    if (const auto* i = std::get_if<int64_t>(&v)) mix(i, sizeof *i);
    if (const auto* d = std::get_if<double>(&v)) {
      const uint64_t bits = std::bit_cast<uint64_t>(*d);
      mix(&bits, sizeof bits);
    }
    if (const auto* s = std::get_if<std::string>(&v)) {
      const uint64_t size = s->size();
      mix(&size, sizeof size);
      mix(s->data(), s->size());
    }
  }
  sum_ += h;
  ++rows_;
}

}  // namespace effbench::store
