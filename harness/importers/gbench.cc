#include "harness/importers/gbench.h"

#include <simdjson.h>

#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

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

namespace ondemand = simdjson::ondemand;

// A thread count above this is not one Google Benchmark wrote.
constexpr double kMaxThreads = 65536;

// One row of "benchmarks", as the file gives it; what a key holds that is not
// of its type is kept as "present but wrong" (a number as NaN, run_type as
// run_type_not_string), so that the row is refused with a reason.
struct RowFields {
  size_t offset = 0;  // of the row's '{' in the file
  std::optional<std::string> name, run_name, run_type, aggregate_name, big_o, time_unit, label,
      error_message, skip_message;
  bool run_type_not_string = false;
  bool error_occurred = false, skipped = false, has_rms = false;
  std::optional<double> threads, real_time, cpu_time, rms, real_coefficient, cpu_coefficient;
  std::vector<std::pair<std::string, double>> counters;  // every other number, in file order
};

struct Row {
  std::string run_name, type, aggregate;
};

Result<Row> Classify(const RowFields& b, const std::string& where) {
  Row row;
  const std::string& name = *b.name;
  if (b.run_type || b.run_type_not_string) {
    if (b.run_type_not_string) return Status::InvalidArgument(where + ": run_type is not a string");
    row.type = *b.run_type;
    if (row.type != "iteration" && row.type != "aggregate") {
      return Status::InvalidArgument(where + " (" + name + "): unknown run_type \"" + row.type +
                                     "\" (want iteration or aggregate)");
    }
    row.run_name = b.run_name.value_or(name);
    if (row.type == "aggregate") {
      row.aggregate = b.aggregate_name.value_or("");
      if (row.aggregate.empty() && b.big_o) row.aggregate = "BigO";
      if (row.aggregate.empty() && b.has_rms) row.aggregate = "RMS";
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
  if (row.type == "iteration" && (b.big_o || b.has_rms)) {
    row.type = "aggregate";
    row.aggregate = b.big_o ? "BigO" : "RMS";
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
  // Held by pointer: most benchmarks have iterations, and a RowFields in
  // every one of 100,000 benchmarks cost 100 MB of an import.
  std::unique_ptr<RowFields> median_row, mean_row;
  std::string error, skip;
  std::string label;
  std::string invalid;  // why its first refused row was refused (--skip-invalid)
  size_t invalid_rows = 0;
};

void AddMetric(Bench& bench, const std::string& name, const std::string& unit,
               const std::string& better, double value) {
  auto [it, added] = bench.metrics.try_emplace(name, result::Metric{name, unit, better, {}});
  if (added) bench.metric_order.push_back(name);
  it->second.values.push_back(value);
}

std::string Number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// The time and the counters of one measured row (an iteration, or the median
// aggregate of a file without iterations). A time that is not a positive
// number refuses the row: it is no measurement, and dropping it silently
// would store fewer repetitions than the file holds.
Status TakeMeasurement(Bench& bench, const RowFields& b, const std::string& where) {
  if (!b.real_time || std::isnan(*b.real_time)) {
    return Status::InvalidArgument(where + " (" + bench.run_name + ") has no real_time");
  }
  const std::string unit = b.time_unit.value_or("ns");
  const double per = NsPer(unit);
  if (per == 0) {
    return Status::InvalidArgument(where + " (" + bench.run_name + "): unknown time_unit \"" +
                                   unit + "\" (want ns, us, ms or s)");
  }
  if (!(*b.real_time > 0) || !std::isfinite(*b.real_time)) {
    return Status::InvalidArgument(where + " (" + bench.run_name + "): real_time " +
                                   Number(*b.real_time) + " is not a time (want > 0)");
  }
  if (b.cpu_time && (!(*b.cpu_time >= 0) || !std::isfinite(*b.cpu_time))) {
    return Status::InvalidArgument(where + " (" + bench.run_name + "): cpu_time " +
                                   Number(*b.cpu_time) + " is not a time (want >= 0)");
  }
  bench.samples.push_back(*b.real_time * per);
  if (b.cpu_time) AddMetric(bench, "cpu_time", "ns", "lower", *b.cpu_time * per);
  for (const auto& [key, value] : b.counters) {
    const auto [counter_unit, better] = CounterMeaning(key);
    AddMetric(bench, key, counter_unit, better, value);
  }
  return Status::Ok();
}

Status TakeComplexity(Bench& bench, const RowFields& b, const std::string& aggregate,
                      const std::string& where) {
  if (aggregate == "RMS") {
    if (!b.rms || std::isnan(*b.rms)) {
      return Status::InvalidArgument(where + " (" + bench.run_name + "_RMS) has no rms");
    }
    AddMetric(bench, "rms", "fraction", "lower", *b.rms);
    return Status::Ok();
  }
  for (const auto& [key, value] : {std::pair{"real_coefficient", b.real_coefficient},
                                   {"cpu_coefficient", b.cpu_coefficient}}) {
    if (!value || std::isnan(*value)) {
      return Status::InvalidArgument(where + " (" + bench.run_name + "_BigO) has no " + key);
    }
  }
  const double per = NsPer(b.time_unit.value_or("ns"));
  if (per == 0) return Status::InvalidArgument(where + ": unknown time_unit");
  const std::string unit = "ns/" + b.big_o.value_or("f(N)");
  const double real = *b.real_coefficient * per;
  if (real > 0) bench.samples.push_back(real);
  AddMetric(bench, "real_coefficient", unit, "lower", real);
  AddMetric(bench, "cpu_coefficient", unit, "lower", *b.cpu_coefficient * per);
  return Status::Ok();
}

// Where the parser stands in `text`, for an error: "byte N".
std::string ByteOf(ondemand::document& doc, std::string_view text) {
  const char* at = nullptr;
  if (doc.current_location().get(at) != simdjson::SUCCESS || at == nullptr) {
    return "byte " + std::to_string(text.size()) + " (the end)";
  }
  return "byte " + std::to_string(static_cast<size_t>(at - text.data()));
}

Status NotValidJson(const std::string& source, ondemand::document& doc, std::string_view text,
                    simdjson::error_code e) {
  return Status::InvalidArgument(source + " is not valid JSON at " + ByteOf(doc, text) + ": " +
                                 simdjson::error_message(e));
}

// Reads one row's fields. A key of the wrong type is kept as present but
// unusable (NaN, or a flag), never as absent.
simdjson::error_code ReadRow(ondemand::object& object, RowFields& row) {
  for (auto item : object) {
    ondemand::field field;
    if (auto e = std::move(item).get(field)) return e;
    std::string_view key_view;
    if (auto e = field.unescaped_key().get(key_view)) return e;
    const std::string key(key_view);
    ondemand::value value = field.value();
    ondemand::json_type type;
    if (auto e = value.type().get(type)) return e;
    const auto text = [&](std::optional<std::string>& into) -> simdjson::error_code {
      if (type != ondemand::json_type::string) return simdjson::SUCCESS;
      std::string_view v;
      if (auto e = value.get_string().get(v)) return e;
      into = std::string(v);
      return simdjson::SUCCESS;
    };
    const auto number = [&](std::optional<double>& into) -> simdjson::error_code {
      if (type != ondemand::json_type::number) {
        into = std::nan("");
        return simdjson::SUCCESS;
      }
      double v = 0;
      if (auto e = value.get_double().get(v)) return e;
      into = v;
      return simdjson::SUCCESS;
    };
    const auto flag = [&](bool& into) -> simdjson::error_code {
      if (type != ondemand::json_type::boolean) return simdjson::SUCCESS;
      return value.get_bool().get(into);
    };
    simdjson::error_code e = simdjson::SUCCESS;
    if (key == "name") {
      e = text(row.name);
    } else if (key == "run_name") {
      e = text(row.run_name);
    } else if (key == "run_type") {
      row.run_type_not_string = type != ondemand::json_type::string;
      e = text(row.run_type);
    } else if (key == "aggregate_name") {
      e = text(row.aggregate_name);
    } else if (key == "big_o") {
      if (type != ondemand::json_type::string) row.big_o = "f(N)";
      e = text(row.big_o);
    } else if (key == "time_unit") {
      e = text(row.time_unit);
    } else if (key == "label") {
      e = text(row.label);
    } else if (key == "error_message") {
      e = text(row.error_message);
    } else if (key == "skip_message") {
      e = text(row.skip_message);
    } else if (key == "error_occurred") {
      e = flag(row.error_occurred);
    } else if (key == "skipped") {
      e = flag(row.skipped);
    } else if (key == "threads") {
      e = number(row.threads);
    } else if (key == "real_time") {
      e = number(row.real_time);
    } else if (key == "cpu_time") {
      e = number(row.cpu_time);
    } else if (key == "rms") {
      row.has_rms = true;
      e = number(row.rms);
    } else if (key == "real_coefficient") {
      e = number(row.real_coefficient);
    } else if (key == "cpu_coefficient") {
      e = number(row.cpu_coefficient);
    } else if (!ReporterKeys().count(key) && type == ondemand::json_type::number) {
      double v = 0;
      e = value.get_double().get(v);
      if (!e) row.counters.emplace_back(key, v);
    }
    if (e) return e;
  }
  return simdjson::SUCCESS;
}

// The context's keys that effbench reads, each kept only with the type the
// library writes: a hostile or broken file cannot make a later reader (the
// `machines` listing) meet a string where it expects a number.
json TypedContext(const json& given) {
  json context = json::object();
  const auto keep = [&](const char* key, bool (json::*is)() const noexcept) {
    if (given.contains(key) && (given[key].*is)()) context[key] = given[key];
  };
  for (const char* key : {"host_name", "date", "executable", "library_build_type",
                          "library_version", "mhz_per_cpu_unit"}) {
    keep(key, &json::is_string);
  }
  keep("num_cpus", &json::is_number);
  keep("mhz_per_cpu", &json::is_number);
  keep("cpu_scaling_enabled", &json::is_boolean);
  if (given.contains("load_avg") && given["load_avg"].is_array()) {
    json loads = json::array();
    for (const json& l : given["load_avg"]) {
      if (l.is_number()) loads.push_back(l);
    }
    context["load_avg"] = loads;
  }
  if (given.contains("caches") && given["caches"].is_array()) {
    json caches = json::array();
    for (const json& c : given["caches"]) {
      if (!c.is_object()) continue;
      json cache = json::object();
      for (const char* key : {"level", "size", "num_sharing"}) {
        if (c.contains(key) && c[key].is_number()) cache[key] = c[key];
      }
      if (c.contains("type") && c["type"].is_string()) cache["type"] = c["type"];
      caches.push_back(cache);
    }
    context["caches"] = caches;
  }
  return context;
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

Result<ImportedRun> ImportGoogleBenchmark(std::string text, const result::Revision& revision,
                                          const std::string& source_name,
                                          const ImportOptions& options) {
  // On-Demand: the file is read as it is walked, never held as a tree (a
  // 200 MB file cost 1.75 GB as one). It parses `text` in place when its
  // capacity leaves simdjson its padding (ReadFile's does).
  simdjson::padded_string copy;
  simdjson::padded_string_view view;
  if (text.capacity() >= text.size() + simdjson::SIMDJSON_PADDING) {
    view = simdjson::padded_string_view(text.data(), text.size(), text.capacity());
  } else {
    copy = simdjson::padded_string(text);
    view = copy;
  }
  const std::string_view base(view.data(), view.size());
  const auto offset_of = [&](const char* at) { return static_cast<size_t>(at - view.data()); };
  // The parser's index of the text is as large as the text: both go once
  // the rows are read, before the records are made.
  auto parser = std::make_unique<ondemand::parser>();
  ondemand::document doc;
  if (auto e = parser->iterate(view).get(doc)) {
    return Status::InvalidArgument(
        source_name +
        " is not JSON (want --benchmark_out_format=json): " + simdjson::error_message(e));
  }
  ondemand::json_type top_type;
  if (doc.type().get(top_type) != simdjson::SUCCESS) {
    return Status::InvalidArgument(source_name + " is not JSON (want --benchmark_out_format=json)");
  }
  if (top_type != ondemand::json_type::object) {
    const char* kind = top_type == ondemand::json_type::array    ? "an array"
                       : top_type == ondemand::json_type::string ? "a string"
                       : top_type == ondemand::json_type::number ? "a number"
                                                                 : "a literal";
    return Status::InvalidArgument(source_name + " is JSON but " + kind +
                                   ", not an object: not Google Benchmark's "
                                   "--benchmark_out_format=json output");
  }
  ImportedRun out;
  out.sha256 = machine::Sha256Hex(text);
  json context = json::object();
  bool have_benchmarks = false;
  std::map<std::tuple<std::string, int, bool>, Bench> benches;
  std::vector<std::tuple<std::string, int, bool>> order;
  std::vector<std::string> invalid;  // the first few refused rows, each with its reason
  const auto refuse = [&](Bench* bench, const std::string& reason) {
    ++out.invalid_rows;
    if (invalid.size() < 5) invalid.push_back(reason);
    if (bench && bench->invalid_rows++ == 0) bench->invalid = reason;
  };

  ondemand::object top;
  if (auto e = doc.get_object().get(top)) return NotValidJson(source_name, doc, base, e);
  for (auto item : top) {
    ondemand::field field;
    if (auto e = std::move(item).get(field)) return NotValidJson(source_name, doc, base, e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return NotValidJson(source_name, doc, base, e);
    if (key == "context") {
      ondemand::json_type type;
      if (auto e = field.value().type().get(type)) return NotValidJson(source_name, doc, base, e);
      if (type != ondemand::json_type::object) continue;
      ondemand::object object;
      std::string_view raw;
      if (auto e = field.value().get_object().get(object)) {
        return NotValidJson(source_name, doc, base, e);
      }
      if (auto e = object.raw_json().get(raw)) return NotValidJson(source_name, doc, base, e);
      const json given = json::parse(raw, nullptr, false);
      context = given.is_object() ? TypedContext(given) : json::object();
      continue;
    }
    if (key != "benchmarks") continue;
    ondemand::array rows;
    if (field.value().get_array().get(rows) != simdjson::SUCCESS) break;  // said below
    have_benchmarks = true;
    size_t i = 0;
    for (auto element : rows) {
      ondemand::value value;
      if (auto e = std::move(element).get(value)) return NotValidJson(source_name, doc, base, e);
      RowFields b;
      const char* at = nullptr;
      if (value.current_location().get(at) == simdjson::SUCCESS) b.offset = offset_of(at);
      const std::string where = source_name + ", byte " + std::to_string(b.offset) +
                                ": benchmarks[" + std::to_string(i++) + "]";
      ondemand::object object;
      if (value.get_object().get(object) != simdjson::SUCCESS) {
        ondemand::json_type type;
        if (auto e = value.type().get(type)) return NotValidJson(source_name, doc, base, e);
        refuse(nullptr, where + " is not an object");
        continue;
      }
      if (auto e = ReadRow(object, b)) return NotValidJson(source_name, doc, base, e);
      if (!b.name || b.name->empty()) {
        refuse(nullptr, where + " has no name");
        continue;
      }
      auto row = Classify(b, where);
      if (!row.ok()) {
        refuse(nullptr, row.status().message());
        continue;
      }
      int threads = 1;
      if (b.threads) {
        const double t = *b.threads;
        if (!(t >= 1 && t <= kMaxThreads && t == std::floor(t))) {
          refuse(nullptr, where + " (" + *b.name + "): threads " + Number(t) +
                              " is not a thread count (want an integer from 1 to " +
                              Number(kMaxThreads) + ")");
          continue;
        }
        threads = static_cast<int>(t);
      }
      const bool complexity = row->aggregate == "BigO" || row->aggregate == "RMS";
      const auto bench_key = std::make_tuple(row->run_name, threads, complexity);
      if (!benches.count(bench_key)) order.push_back(bench_key);
      Bench& bench = benches[bench_key];
      bench.run_name = row->run_name;
      bench.threads = threads;
      bench.complexity = complexity;
      bench.display = complexity ? row->run_name + "_BigO" : row->run_name;
      if (b.label) bench.label = *b.label;
      if (b.error_occurred) {
        bench.error = b.error_message.value_or("the benchmark reported an error");
        continue;
      }
      if (b.skipped) {
        bench.skip = b.skip_message.value_or("the benchmark skipped itself");
        continue;
      }
      Status s;
      if (complexity) {
        s = TakeComplexity(bench, b, row->aggregate, where);
      } else if (row->type == "iteration") {
        s = TakeMeasurement(bench, b, where);
      } else if (row->aggregate == "median") {
        bench.median_row = std::make_unique<RowFields>(std::move(b));
      } else if (row->aggregate == "mean") {
        bench.mean_row = std::make_unique<RowFields>(std::move(b));
      }  // stddev, cv and user statistics follow from the iterations
      if (!s.ok()) refuse(&bench, s.message());
    }
  }
  // Past the top-level object the document ends; current_location says
  // where it does not.
  if (const char* trailing = nullptr;
      doc.current_location().get(trailing) == simdjson::SUCCESS && trailing != nullptr) {
    return Status::InvalidArgument(source_name + " is not valid JSON at " + ByteOf(doc, base) +
                                   ": trailing content after the top-level object");
  }
  parser.reset();
  std::string().swap(text);
  copy = simdjson::padded_string();
  if (!have_benchmarks) {
    return Status::InvalidArgument(source_name +
                                   " has no \"benchmarks\" array: not a Google Benchmark output");
  }

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
  const std::string executable = context.value("executable", source_name);  // typed: a string
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

  for (const auto& key : order) {
    Bench& b = benches[key];
    if (b.samples.empty() && !b.complexity && (b.median_row || b.mean_row)) {
      const RowFields& aggregate = b.median_row ? *b.median_row : *b.mean_row;
      const std::string where = source_name + ", byte " + std::to_string(aggregate.offset) + ": " +
                                b.run_name + "'s aggregate";
      if (Status s = TakeMeasurement(b, aggregate, where); !s.ok()) {
        refuse(&b, s.message());
      } else {
        ++out.aggregates_only;
      }
    }
  }
  if (out.invalid_rows > 0 && !options.skip_invalid) {
    std::string message = source_name + ": " + std::to_string(out.invalid_rows) +
                          " row(s) hold values that are no measurement, so nothing was stored "
                          "(--skip-invalid stores the rest and counts what it skipped): ";
    for (size_t k = 0; k < invalid.size(); ++k) message += (k ? "; " : "") + invalid[k];
    if (out.invalid_rows > invalid.size()) message += "; ...";
    return Status::InvalidArgument(message);
  }
  out.records.reserve(order.size());
  for (const auto& key : order) {
    auto node = benches.extract(key);  // freed as its record is made
    Bench& b = node.mapped();
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
    if (b.invalid_rows > 0) {
      r.warnings.push_back(
          std::to_string(b.invalid_rows) +
          " row(s) skipped for invalid values (--skip-invalid); the first: " + b.invalid);
    }
    if (!b.error.empty()) {
      r.error = b.error;
    } else if (!b.skip.empty()) {
      r.skipped = true;
      r.error = b.skip;
    } else if (b.samples.empty()) {
      r.error = b.invalid_rows > 0
                    ? "every row held invalid values and was skipped; the first: " + b.invalid
                    : "no timing in the file";
    } else {
      r.ok = true;
      r.samples_ns = std::move(b.samples);
      r.stats = result::Summarize(r.samples_ns);
      for (const std::string& name : b.metric_order)
        r.metrics.push_back(std::move(b.metrics[name]));
    }
    out.records.push_back(std::move(r));
  }
  if (out.records.empty()) {
    if (out.invalid_rows > 0) {
      return Status::InvalidArgument(
          source_name + ": every row held invalid values; the first: " + invalid.front());
    }
    return Status::InvalidArgument(source_name + " holds no benchmarks");
  }
  return out;
}

}  // namespace effbench::importers
