#include "harness/importers/gbench.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "harness/machine/inventory.h"

namespace effbench::importers {
namespace {

using nlohmann::json;

// A uuid (version 8: custom) from a hash: the same inputs, the same id.
std::string DerivedUuid(const std::string& seed) {
  std::string h = machine::Sha256Hex(seed).substr(0, 32);
  h[12] = '8';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

double ToNs(double value, const std::string& unit) {
  if (unit == "ns") return value;
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return -1;
}

// "BM_Sort/1024/real_time" -> "BM_Sort:1024:real_time", safe in a workload id.
std::string Shape(const std::string& run_name) {
  std::string s;
  for (char c : run_name) s += (c == '/' || c == '@') ? ':' : c;
  return s;
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
  const json context = j.value("context", json::object());
  ImportedRun out;
  // The machine as the file describes it: its fingerprint is over that description.
  json description = {{"source", "google-benchmark"},
                      {"host_name", context.value("host_name", "")},
                      {"num_cpus", context.value("num_cpus", 0)},
                      {"mhz_per_cpu", context.value("mhz_per_cpu", 0)},
                      {"caches", context.value("caches", json::array())},
                      {"library_build_type", context.value("library_build_type", "")}};
  const std::string started = context.value("date", effbench::UtcNowIso8601());
  out.machine = store::MachineRow{machine::Sha256Hex(description.dump()),
                                  context.value("host_name", "unknown"),
                                  "",
                                  "",
                                  context.dump(),
                                  std::nullopt,
                                  started,
                                  started};
  const std::string executable = context.value("executable", source_name);
  out.run.id = DerivedUuid("run|" + machine::Sha256Hex(text) + "|" + revision.repo + "|" +
                           revision.commit + "|" + revision.branch);
  out.run.machine_fingerprint = out.machine.fingerprint;
  out.run.revision = revision;
  out.run.suite = "gbench";
  out.run.started_at = started;
  out.run.config_json = json{{"imported_from", source_name}, {"executable", executable}}.dump();

  struct Bench {
    int threads = 1;
    std::vector<double> samples;
    std::optional<double> median_aggregate, mean_aggregate;
    std::string error;
    std::string unit;
  };
  std::map<std::pair<std::string, int>, Bench> benches;
  std::vector<std::pair<std::string, int>> order;
  for (size_t i = 0; i < j["benchmarks"].size(); ++i) {
    const json& b = j["benchmarks"][i];
    const std::string where = source_name + ": benchmarks[" + std::to_string(i) + "]";
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) {
      return Status::InvalidArgument(where + " has no name");
    }
    const std::string run_name = b.value("run_name", b["name"].get<std::string>());
    const int threads = b.value("threads", 1);
    const auto key = std::make_pair(run_name, threads);
    if (!benches.count(key)) order.push_back(key);
    Bench& bench = benches[key];
    bench.threads = threads;
    if (b.value("error_occurred", false)) {
      bench.error = b.value("error_message", "the benchmark reported an error");
      continue;
    }
    if (!b.contains("real_time") || !b["real_time"].is_number()) {
      return Status::InvalidArgument(where + " (" + run_name + ") has no real_time");
    }
    const std::string unit = b.value("time_unit", "ns");
    const double ns = ToNs(b["real_time"].get<double>(), unit);
    if (ns < 0) return Status::InvalidArgument(where + ": unknown time_unit \"" + unit + "\"");
    const std::string type = b.value("run_type", "iteration");
    if (type == "iteration") {
      if (ns > 0) bench.samples.push_back(ns);
    } else if (type == "aggregate") {
      const std::string agg = b.value("aggregate_name", "");
      if (agg == "median") bench.median_aggregate = ns;
      if (agg == "mean") bench.mean_aggregate = ns;
    } else {
      return Status::InvalidArgument(where + ": unknown run_type \"" + type + "\"");
    }
  }
  for (const auto& key : order) {
    Bench& b = benches[key];
    result::ResultRecord r;
    r.run_id = out.run.id;
    r.id = DerivedUuid("result|" + out.run.id + "|" + key.first + "|" + std::to_string(key.second));
    r.workload = "gbench";
    r.name = "gbench/" + Shape(key.first) + "@native";
    r.variant = {"none", "none", "native", ""};
    r.implementation = executable;
    r.threads = std::max(1, b.threads);
    r.machine = out.machine.fingerprint;
    r.revision = revision;
    r.started_at = started;
    if (b.samples.empty()) {
      const auto single = b.median_aggregate ? b.median_aggregate : b.mean_aggregate;
      if (single && *single > 0) {
        b.samples.push_back(*single);
        ++out.aggregates_only;
      }
    }
    if (!b.error.empty() || b.samples.empty()) {
      r.ok = false;
      r.error = b.error.empty() ? "no timing in the file" : b.error;
    } else {
      r.ok = true;
      r.samples_ns = b.samples;
      r.stats = result::Summarize(r.samples_ns);
    }
    out.records.push_back(std::move(r));
  }
  if (out.records.empty()) return Status::InvalidArgument(source_name + " holds no benchmarks");
  return out;
}

}  // namespace effbench::importers
