#include "harness/importers/gbench.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/time.h"
#include "harness/importers/derived_uuid.h"
#include "harness/machine/inventory.h"

namespace effbench::importers {
namespace {

using nlohmann::json;

// Nanoseconds per `unit`, or 0 for a unit Google Benchmark does not write.
double NsPer(const std::string& unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 0;
}

// The keys the reporter writes itself; every other number is a counter.
const std::set<std::string>& ReporterKeys() {
  static const std::set<std::string> keys = {"name",
                                             "family_index",
                                             "per_family_instance_index",
                                             "run_name",
                                             "run_type",
                                             "repetitions",
                                             "repetition_index",
                                             "threads",
                                             "iterations",
                                             "real_time",
                                             "cpu_time",
                                             "time_unit",
                                             "aggregate_name",
                                             "aggregate_unit",
                                             "error_occurred",
                                             "error_message",
                                             "skipped",
                                             "skip_message",
                                             "label",
                                             "cpu_coefficient",
                                             "real_coefficient",
                                             "big_o",
                                             "rms"};
  return keys;
}

bool Contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// A counter's unit and better direction: the library's own counters by name,
// a user counter by what its name says (a rate is better higher, a time,
// latency, cycle or miss count lower); a plain count says nothing ("none").
std::pair<std::string, std::string> CounterMeaning(const std::string& name) {
  if (name == "bytes_per_second") return {"B/s", "higher"};
  if (name == "items_per_second") return {"items/s", "higher"};
  if (name == "allocs_per_iter") return {"allocs", "lower"};
  if (name == "max_bytes_used" || name == "total_allocated_bytes" || name == "net_heap_growth") {
    return {"B", "lower"};
  }
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (Contains(lower, "per_second") || Contains(lower, "rate") || Contains(lower, "/s") ||
      Contains(lower, "throughput") || Contains(lower, "bandwidth")) {
    return {"", "higher"};
  }
  if (Contains(lower, "time") || Contains(lower, "latency") || Contains(lower, "cycles") ||
      Contains(lower, "instructions") || Contains(lower, "miss")) {
    return {"", "lower"};
  }
  return {"", "none"};
}

// Aggregate rows of files older than 1.5 carry no run_type: their names end
// in the statistic.
const char* const kLegacyAggregates[] = {"_mean", "_median", "_stddev", "_cv", "_BigO", "_RMS"};

struct Row {
  std::string run_name, type, aggregate;
};

Result<Row> Classify(const json& b, const std::string& where) {
  Row row;
  const std::string name = b["name"].get<std::string>();
  if (b.contains("run_type")) {
    if (!b["run_type"].is_string())
      return Status::InvalidArgument(where + ": run_type is not a string");
    row.type = b["run_type"].get<std::string>();
    if (row.type != "iteration" && row.type != "aggregate") {
      return Status::InvalidArgument(where + " (" + name + "): unknown run_type \"" + row.type +
                                     "\" (want iteration or aggregate)");
    }
    row.run_name = b.contains("run_name") && b["run_name"].is_string()
                       ? b["run_name"].get<std::string>()
                       : name;
    if (row.type == "aggregate") {
      row.aggregate = b.value("aggregate_name", "");
      if (row.aggregate.empty() && b.contains("big_o")) row.aggregate = "BigO";
      if (row.aggregate.empty() && b.contains("rms")) row.aggregate = "RMS";
    }
    return row;
  }
  row.type = "iteration";
  row.run_name = name;
  for (const char* suffix : kLegacyAggregates) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.ends_with(s)) {
      row.type = "aggregate";
      row.aggregate = s.substr(1);
      row.run_name = name.substr(0, name.size() - s.size());
    }
  }
  if (row.type == "iteration" && (b.contains("big_o") || b.contains("rms"))) {
    row.type = "aggregate";
    row.aggregate = b.contains("big_o") ? "BigO" : "RMS";
  }
  return row;
}

// What one benchmark (run_name, threads) collected over the file.
struct Bench {
  std::string run_name;
  int threads = 1;
  bool complexity = false;  // the _BigO/_RMS record of a family
  std::string display;      // the record's name without prefix and suffix
  std::vector<double> samples;
  std::map<std::string, result::Metric> metrics;  // by name, in first-seen order below
  std::vector<std::string> metric_order;
  // A run of aggregates only: the median row (else the mean), as one sample.
  std::optional<json> median_row, mean_row;
  std::string error, skip;
  std::string label;
};

void AddMetric(Bench& bench, const std::string& name, const std::string& unit,
               const std::string& better, double value) {
  auto [it, added] = bench.metrics.try_emplace(name, result::Metric{name, unit, better, {}});
  if (added) bench.metric_order.push_back(name);
  it->second.values.push_back(value);
}

// The time and the counters of one measured row (an iteration, or the median
// aggregate of a file without iterations).
Status TakeMeasurement(Bench& bench, const json& b, const std::string& where) {
  if (!b.contains("real_time") || !b["real_time"].is_number()) {
    return Status::InvalidArgument(where + " (" + bench.run_name + ") has no real_time");
  }
  const std::string unit = b.value("time_unit", "ns");
  const double per = NsPer(unit);
  if (per == 0) {
    return Status::InvalidArgument(where + " (" + bench.run_name + "): unknown time_unit \"" +
                                   unit + "\" (want ns, us, ms or s)");
  }
  const double real_ns = b["real_time"].get<double>() * per;
  if (!(real_ns > 0)) return Status::Ok();  // a zero-time row measures nothing
  bench.samples.push_back(real_ns);
  if (b.contains("cpu_time") && b["cpu_time"].is_number()) {
    AddMetric(bench, "cpu_time", "ns", "lower", b["cpu_time"].get<double>() * per);
  }
  for (const auto& [key, value] : b.items()) {
    if (ReporterKeys().count(key) || !value.is_number()) continue;
    const auto [counter_unit, better] = CounterMeaning(key);
    AddMetric(bench, key, counter_unit, better, value.get<double>());
  }
  return Status::Ok();
}

Status TakeComplexity(Bench& bench, const json& b, const std::string& aggregate,
                      const std::string& where) {
  if (aggregate == "RMS") {
    if (!b.contains("rms") || !b["rms"].is_number()) {
      return Status::InvalidArgument(where + " (" + bench.run_name + "_RMS) has no rms");
    }
    AddMetric(bench, "rms", "fraction", "lower", b["rms"].get<double>());
    return Status::Ok();
  }
  for (const char* key : {"real_coefficient", "cpu_coefficient"}) {
    if (!b.contains(key) || !b[key].is_number()) {
      return Status::InvalidArgument(where + " (" + bench.run_name + "_BigO) has no " + key);
    }
  }
  const double per = NsPer(b.value("time_unit", "ns"));
  if (per == 0) return Status::InvalidArgument(where + ": unknown time_unit");
  const std::string unit = "ns/" + b.value("big_o", std::string("f(N)"));
  const double real = b["real_coefficient"].get<double>() * per;
  if (real > 0) bench.samples.push_back(real);
  AddMetric(bench, "real_coefficient", unit, "lower", real);
  AddMetric(bench, "cpu_coefficient", unit, "lower", b["cpu_coefficient"].get<double>() * per);
  return Status::Ok();
}

store::MachineRow MachineOf(const json& context, const std::string& started) {
  // The fingerprint is over what the file says of the machine and does not
  // change from run to run: not mhz_per_cpu, which the library measures each
  // time (2596 one run, 2445 the next on the same host), nor the library.
  const json description = {{"source", "google-benchmark"},
                            {"host_name", context.value("host_name", "")},
                            {"num_cpus", context.value("num_cpus", 0)},
                            {"caches", context.value("caches", json::array())}};
  // The inventory in effbench's own terms, so `machines` and the reports read it.
  json inventory = {{"source", "google-benchmark"},
                    {"hostname", context.value("host_name", "unknown")},
                    {"threads", context.value("num_cpus", 0)},
                    {"mhz", context.value("mhz_per_cpu", 0)}};
  json caches = json::array();
  for (const json& c : context.value("caches", json::array())) {
    if (!c.is_object()) continue;
    caches.push_back({{"level", c.value("level", 0)},
                      {"type", c.value("type", "")},
                      {"bytes", c.value("size", int64_t{0})},
                      {"shared_by", c.value("num_sharing", 0)}});
  }
  inventory["caches"] = caches;
  for (const char* key :
       {"library_build_type", "library_version", "cpu_scaling_enabled", "executable", "load_avg"}) {
    if (context.contains(key)) inventory[key] = context[key];
  }
  return store::MachineRow{machine::Sha256Hex(description.dump()),
                           context.value("host_name", "unknown"),
                           "",
                           "",
                           inventory.dump(),
                           std::nullopt,
                           started,
                           started};
}

}  // namespace

Result<ImportedRun> ImportGoogleBenchmark(const std::string& text, const result::Revision& revision,
                                          const std::string& source_name) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(source_name + " is not JSON (want --benchmark_out_format=json)");
  }
  if (!j.contains("benchmarks") || !j["benchmarks"].is_array()) {
    return Status::InvalidArgument(source_name +
                                   " has no \"benchmarks\" array: not a Google Benchmark output");
  }
  const json context =
      j.contains("context") && j["context"].is_object() ? j["context"] : json::object();
  ImportedRun out;
  out.sha256 = machine::Sha256Hex(text);
  // The file's date, in UTC; 1.4's local "2019-05-07 11:22:33" has no zone
  // and reads as UTC; a date that does not parse falls back to now.
  std::string started = effbench::UtcNowIso8601();
  if (context.contains("date") && context["date"].is_string()) {
    if (auto t = effbench::ParseIso8601(context["date"].get<std::string>()); t.ok()) {
      started = effbench::Iso8601(*t);
    }
  }
  out.machine = MachineOf(context, started);
  if (context.value("library_build_type", "") == "debug") {
    out.warnings.push_back(
        "the Google Benchmark library was a debug build: its timings may be affected");
  }
  if (context.contains("cpu_scaling_enabled") && context["cpu_scaling_enabled"].is_boolean() &&
      context["cpu_scaling_enabled"].get<bool>()) {
    out.warnings.push_back("CPU frequency scaling was enabled: timings are noisier");
  }
  const std::string executable = context.value("executable", source_name);
  out.run.id = DerivedUuid("run|" + out.sha256 + "|" + revision.repo + "|" + revision.commit + "|" +
                           revision.branch);
  out.run.machine_fingerprint = out.machine.fingerprint;
  out.run.revision = revision;
  out.run.suite = "gbench";
  out.run.started_at = started;
  json config = {{"imported_from", source_name},
                 {"executable", executable},
                 {"format", "gbench"},
                 {"sha256", out.sha256}};
  if (context.contains("library_version")) config["library_version"] = context["library_version"];
  out.run.config_json = config.dump();

  std::map<std::tuple<std::string, int, bool>, Bench> benches;
  std::vector<std::tuple<std::string, int, bool>> order;
  for (size_t i = 0; i < j["benchmarks"].size(); ++i) {
    const json& b = j["benchmarks"][i];
    const std::string where = source_name + ": benchmarks[" + std::to_string(i) + "]";
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string() ||
        b["name"].get<std::string>().empty()) {
      return Status::InvalidArgument(where + " has no name");
    }
    auto row = Classify(b, where);
    if (!row.ok()) return row.status();
    const int threads = b.contains("threads") && b["threads"].is_number_integer()
                            ? std::max(1, b["threads"].get<int>())
                            : 1;
    const bool complexity = row->aggregate == "BigO" || row->aggregate == "RMS";
    const auto key = std::make_tuple(row->run_name, threads, complexity);
    if (!benches.count(key)) order.push_back(key);
    Bench& bench = benches[key];
    bench.run_name = row->run_name;
    bench.threads = threads;
    bench.complexity = complexity;
    bench.display = complexity ? row->run_name + "_BigO" : row->run_name;
    if (b.contains("label") && b["label"].is_string()) bench.label = b["label"];
    if (b.value("error_occurred", false)) {
      bench.error = b.contains("error_message") && b["error_message"].is_string()
                        ? b["error_message"].get<std::string>()
                        : "the benchmark reported an error";
      continue;
    }
    if (b.value("skipped", false)) {
      bench.skip = b.contains("skip_message") && b["skip_message"].is_string()
                       ? b["skip_message"].get<std::string>()
                       : "the benchmark skipped itself";
      continue;
    }
    Status s;
    if (complexity) {
      s = TakeComplexity(bench, b, row->aggregate, where);
    } else if (row->type == "iteration") {
      s = TakeMeasurement(bench, b, where);
    } else if (row->aggregate == "median") {
      bench.median_row = b;
    } else if (row->aggregate == "mean") {
      bench.mean_row = b;
    }  // stddev, cv and user statistics follow from the iterations
    if (!s.ok()) return s;
  }
  for (const auto& key : order) {
    Bench& b = benches[key];
    if (b.samples.empty() && !b.complexity && (b.median_row || b.mean_row)) {
      const std::string where = source_name + ": " + b.run_name + "'s aggregate";
      EFFBENCH_RETURN_IF_ERROR(
          TakeMeasurement(b, b.median_row ? *b.median_row : *b.mean_row, where));
      if (!b.samples.empty()) ++out.aggregates_only;
    }
    result::ResultRecord r;
    r.run_id = out.run.id;
    r.id = DerivedUuid("result|" + out.run.id + "|" + b.display + "|" + std::to_string(b.threads));
    r.workload = "gbench";
    r.name = "gbench/" + b.display + "@native";
    r.variant = {"none", "none", "native", ""};
    r.implementation = b.label;
    r.threads = b.threads;
    r.machine = out.machine.fingerprint;
    r.revision = revision;
    r.started_at = started;
    r.warnings = out.warnings;
    if (!b.error.empty()) {
      r.error = b.error;
    } else if (!b.skip.empty()) {
      r.skipped = true;
      r.error = b.skip;
    } else if (b.samples.empty()) {
      r.error = "no timing in the file";
    } else {
      r.ok = true;
      r.samples_ns = b.samples;
      r.stats = result::Summarize(r.samples_ns);
      for (const std::string& name : b.metric_order) r.metrics.push_back(b.metrics[name]);
    }
    out.records.push_back(std::move(r));
  }
  if (out.records.empty()) return Status::InvalidArgument(source_name + " holds no benchmarks");
  return out;
}

}  // namespace effbench::importers
