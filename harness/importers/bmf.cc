#include "harness/importers/bmf.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "harness/importers/derived_uuid.h"
#include "harness/machine/inventory.h"

namespace effbench::importers {
namespace {

using nlohmann::json;

// Bencher's built-in measures and which way is better.
std::string Better(const std::string& measure) {
  if (measure == "throughput") return "higher";
  if (measure == "latency" || measure == "file-size" || measure == "build-time") return "lower";
  return "none";
}

std::string Unit(const std::string& measure) {
  if (measure == "latency") return "ns";
  if (measure == "throughput") return "ops/s";
  if (measure == "file-size") return "B";
  if (measure == "build-time") return "s";
  return "";
}

Result<double> Number(const json& m, const char* key, const std::string& where) {
  if (!m.contains(key)) return Status::NotFound(key);
  if (!m[key].is_number()) return Status::InvalidArgument(where + ": " + key + " is not a number");
  return m[key].get<double>();
}

}  // namespace

Result<ImportedRun> ImportBencherMetricFormat(const std::string& text,
                                              const result::Revision& revision,
                                              const std::string& source_name,
                                              const std::string& time_measure) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(source_name +
                                   " is not a JSON object (want the Bencher Metric Format: "
                                   "{\"BENCHMARK\": {\"MEASURE\": {\"value\": ...}}})");
  }
  if (j.empty()) return Status::InvalidArgument(source_name + " holds no benchmarks");
  ImportedRun out;
  out.sha256 = machine::Sha256Hex(text);
  const std::string now = effbench::UtcNowIso8601();
  // A BMF file says nothing of its machine: it is the machine of the import.
  out.machine = store::MachineRow{machine::Sha256Hex("bmf|unknown machine"),
                                  "unknown (Bencher Metric Format)",
                                  "",
                                  "",
                                  json{{"source", "bmf"}, {"hostname", "unknown"}}.dump(),
                                  std::nullopt,
                                  now,
                                  now};
  out.run.id = DerivedUuid("run|bmf|" + out.sha256 + "|" + revision.repo + "|" + revision.commit +
                           "|" + revision.branch);
  out.run.machine_fingerprint = out.machine.fingerprint;
  out.run.revision = revision;
  out.run.suite = "bmf";
  out.run.started_at = now;
  out.run.config_json =
      json{{"imported_from", source_name}, {"format", "bmf"}, {"sha256", out.sha256}}.dump();
  for (const auto& [name, measures] : j.items()) {
    const std::string where = source_name + ": benchmark \"" + name + "\"";
    if (name.empty()) return Status::InvalidArgument(source_name + ": a benchmark has no name");
    if (!measures.is_object() || measures.empty()) {
      return Status::InvalidArgument(where + " is not an object of measures");
    }
    result::ResultRecord r;
    r.run_id = out.run.id;
    r.id = DerivedUuid("result|" + out.run.id + "|" + name);
    r.workload = "bmf";
    r.name = "bmf/" + name + "@native";
    r.variant = {"none", "none", "native", ""};
    r.machine = out.machine.fingerprint;
    r.revision = revision;
    r.started_at = now;
    for (const auto& [measure, m] : measures.items()) {
      const std::string at = where + ", measure \"" + measure + "\"";
      if (!m.is_object()) return Status::InvalidArgument(at + " is not an object");
      auto value = Number(m, "value", at);
      if (!value.ok()) {
        return value.status().code() == Status::Code::kNotFound
                   ? Status::InvalidArgument(at + " has no value")
                   : value.status();
      }
      if (!std::isfinite(*value)) return Status::InvalidArgument(at + ": value is not finite");
      if (measure == time_measure) {
        if (!(*value > 0)) {
          return Status::InvalidArgument(at + ": a time must be above 0 ns, is " +
                                         std::to_string(*value));
        }
        r.samples_ns = {*value};
      } else {
        r.metrics.push_back({measure, Unit(measure), Better(measure), {*value}});
      }
      for (const char* bound : {"lower_value", "upper_value"}) {
        auto b = Number(m, bound, at);
        if (b.status().code() == Status::Code::kNotFound) continue;
        if (!b.ok()) return b.status();
        r.metrics.push_back({measure + "." + bound, Unit(measure), "none", {*b}});
      }
    }
    if (r.samples_ns.empty()) {
      return Status::InvalidArgument(where + " has no \"" + time_measure +
                                     "\" measure, which effbench keeps as its time (give "
                                     "--time-measure NAME for another measure in ns)");
    }
    r.ok = true;
    r.stats = result::Summarize(r.samples_ns);
    out.records.push_back(std::move(r));
  }
  return out;
}

}  // namespace effbench::importers
