// The result record: one measured workload variant on one machine at one
// revision, with every repetition's sample. Its wire and file form is JSON
// described by schemas/result.schema.json; every record converted from or to
// JSON is validated against it.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/measurement.h"
#include "core/status.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace effbench::result {

inline constexpr char kResultSchemaId[] = "effbench.result/1";

struct Revision {
  std::string repo;
  std::string commit = "unknown";
  std::string branch;
  std::optional<std::string> time;  // ISO 8601 commit time
};

struct Stats {
  double median_ns = 0, mean_ns = 0, stddev_ns = 0, cv = 0, min_ns = 0, max_ns = 0;
};

// A revision from its JSON form {"repo", "commit", "branch"[, "time"]}; a
// missing field is empty ("unknown" for the commit), a null time none.
Revision RevisionFromJson(const nlohmann::json& j);

// Summary statistics of `samples`. REQUIRES: samples is not empty.
Stats Summarize(const std::vector<double>& samples);

// The status a record is stored and sent with: "ok", "failed" or "skipped".
inline const char* StatusName(bool ok, bool skipped) {
  return ok ? "ok" : skipped ? "skipped" : "failed";
}

// A measure of the result other than its time per iteration: what an
// imported benchmark reported beside it (Google Benchmark's cpu_time,
// items_per_second, user counters, complexity coefficients; a Bencher
// measure). One value per repetition, in the record's repetition order.
struct Metric {
  std::string name;  // cpu_time, items_per_second, comparisons, ...
  std::string unit;  // ns, items/s, B/s, B, ns/NlgN, fraction; may be empty
  // Which way is better: "lower" (times, memory), "higher" (rates) or
  // "none" (a count whose meaning the file does not say): compared, never a
  // regression.
  std::string better = "none";
  std::vector<double> values;
};

struct ResultRecord {
  std::string id;      // uuid
  std::string run_id;  // uuid
  std::string name;    // gemm.int8/m1024n1024k1024@onednn
  std::string workload;
  std::vector<std::pair<std::string, int64_t>> params;
  Variant variant;
  std::string implementation;  // what the backend chose; may be empty
  int threads = 1;
  std::string machine;  // fingerprint
  Revision revision;
  std::string started_at;
  uint64_t seed = 0;
  std::vector<double> samples_ns;  // time per iteration, one per repetition
  std::optional<Stats> stats;
  double flop = 0, bytes = 0;
  // The weights as the variant stores them (WorkloadSpec::weight_bytes);
  // absent for a workload without weights and for imported results.
  std::optional<double> weight_bytes;
  std::optional<double> gflops, gbps, roofline_fraction;
  // Set when roofline_fraction exceeds 100 % by more than the calibration's
  // spread: the roof, not the kernel, is then suspect.
  std::optional<std::string> roofline_note;
  std::string energy_source = "unavailable";
  std::optional<double> joules_per_iter;
  std::optional<double> rel_l2, max_abs;
  double tolerance = 0;
  std::optional<Compression> compression;
  std::optional<Quantization> quantization;
  std::optional<Quality> quality;
  std::optional<Accuracy> accuracy;  // a trained model on a real test set
  std::optional<Training> training;  // how that model was trained
  std::vector<Metric> metrics;       // beside the time; see Metric
  // What makes the numbers less than trustworthy, as the source said it: a
  // debug build of the benchmark library, CPU frequency scaling left on.
  std::vector<std::string> warnings;
  bool ok = false;
  // Not run: this machine lacks what the variant needs (an ISA feature, a
  // device, a dataset). Never ok; `error` holds the reason.
  bool skipped = false;
  std::string error;  // why it failed or was skipped; empty when ok
  const char* StatusName() const { return result::StatusName(ok, skipped); }
};

// The shape as the workload id spells it: "m1024n1024k1024" of
// "gemm.int8/m1024n1024k1024@onednn" (the whole id when it has no shape).
std::string ShapeOf(const ResultRecord& record);

// The name people read: an imported benchmark's own name, verbatim
// ("BM_Sort/256" of "gbench/BM_Sort/256@native"), else the workload id.
std::string DisplayName(const std::string& name);

// The metric `name` of `record`, or null.
const Metric* FindMetric(const ResultRecord& record, const std::string& name);

// Returns the record as JSON. Does not validate; see Validate().
nlohmann::json ToJson(const ResultRecord& record);

// Validates `j` against the result schema, then converts it.
Result<ResultRecord> FromJson(const nlohmann::json& j);

// Returns OK when `j` is a valid result record, else an error naming the field.
Status Validate(const nlohmann::json& j);
// The same for an element of a document parsed by simdjson.
Status ValidateSimdjson(const simdjson::dom::element& j);

// A new uuid, lower-case hex: version 7 (time-ordered, then random), so that
// ids made later sort later and index well.
std::string NewUuid();

}  // namespace effbench::result
