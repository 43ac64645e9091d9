#include "harness/result/record.h"

#include <algorithm>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/json_schema.h"
#include "core/measurement_json.h"
#include "schemas/embedded.h"

namespace effbench::result {

using nlohmann::json;

Stats Summarize(const std::vector<double>& samples) {
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  Stats s;
  s.median_ns = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  s.mean_ns = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  double ss = 0;
  for (double x : sorted) ss += (x - s.mean_ns) * (x - s.mean_ns);
  s.stddev_ns = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
  s.cv = s.mean_ns > 0 ? s.stddev_ns / s.mean_ns : 0.0;
  s.min_ns = sorted.front();
  s.max_ns = sorted.back();
  return s;
}

namespace {

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<double> OptionalDouble(const json& v) {
  if (v.is_null()) return std::nullopt;
  return v.get<double>();
}

const JsonSchema& ResultSchema() {
  static const JsonSchema schema = [] {
    auto parsed = JsonSchema::Parse(schemas::ResultSchemaJson());
    if (!parsed.ok()) std::abort();  // the embedded schema is part of the build
    return std::move(parsed).value();
  }();
  return schema;
}

}  // namespace

Status Validate(const json& j) { return ResultSchema().Validate(j).WithContext("result record"); }

Status ValidateSimdjson(const simdjson::dom::element& j) {
  return ResultSchema().ValidateSimdjson(j).WithContext("result record");
}

json ToJson(const ResultRecord& r) {
  json params = json::object();
  for (const auto& [key, value] : r.params) params[key] = value;
  json variant = {{"precision", r.variant.precision},
                  {"sparsity", r.variant.sparsity},
                  {"backend", r.variant.backend}};
  if (!r.implementation.empty()) variant["implementation"] = r.implementation;
  if (!r.variant.quantization.empty()) variant["quantization"] = r.variant.quantization;
  json stats = {{"median_ns", nullptr}, {"mean_ns", nullptr}, {"stddev_ns", nullptr},
                {"cv", nullptr},        {"min_ns", nullptr},  {"max_ns", nullptr}};
  if (r.stats) {
    stats = {{"median_ns", r.stats->median_ns}, {"mean_ns", r.stats->mean_ns},
             {"stddev_ns", r.stats->stddev_ns}, {"cv", r.stats->cv},
             {"min_ns", r.stats->min_ns},       {"max_ns", r.stats->max_ns}};
  }
  json doc{
      {"schema", kResultSchemaId},
      {"id", r.id},
      {"run_id", r.run_id},
      {"name", r.name},
      {"workload", r.workload},
      {"params", params},
      {"variant", variant},
      {"threads", r.threads},
      {"machine", r.machine},
      {"revision",
       {{"repo", r.revision.repo},
        {"commit", r.revision.commit},
        {"branch", r.revision.branch},
        {"time", r.revision.time ? json(*r.revision.time) : json(nullptr)}}},
      {"started_at", r.started_at},
      {"seed", r.seed},
      {"samples_ns", r.samples_ns},
      {"stats", stats},
      {"work", {{"flop", r.flop}, {"bytes", r.bytes}}},
      {"efficiency",
       {{"gflops", Optional(r.gflops)},
        {"gbps", Optional(r.gbps)},
        {"roofline_fraction", Optional(r.roofline_fraction)}}},
      {"energy", {{"source", r.energy_source}, {"joules_per_iter", Optional(r.joules_per_iter)}}},
      {"fidelity",
       {{"rel_l2", Optional(r.rel_l2)},
        {"max_abs", Optional(r.max_abs)},
        {"tolerance", r.tolerance}}},
      {"status", r.StatusName()},
      {"error", r.ok ? json(nullptr) : json(r.error)},
  };
  if (r.roofline_note) doc["efficiency"]["roofline_note"] = *r.roofline_note;
  if (r.weight_bytes) doc["work"]["weight_bytes"] = *r.weight_bytes;
  if (r.compression) {
    const Compression& c = *r.compression;
    doc["compression"] = {{"pattern", c.pattern},
                          {"target_sparsity", c.target_sparsity},
                          {"achieved_sparsity", c.achieved_sparsity},
                          {"format", c.format},
                          {"model_bytes", c.model_bytes},
                          {"sparse_kernel", c.sparse_kernel}};
    if (c.fine_tuned) {
      doc["compression"]["fine_tuned"] = true;
      doc["compression"]["fine_tune_steps"] = c.fine_tune_steps;
    }
  }
  if (r.accuracy) {
    const Accuracy& a = *r.accuracy;
    doc["accuracy"] = {{"dataset", a.dataset},
                       {"dataset_sha256", a.dataset_sha256},
                       {"test_images", a.test_images},
                       {"top1", a.top1},
                       {"top1_fp32", a.top1_fp32},
                       {"delta", a.delta},
                       {"delta_ci95", {a.delta_lo, a.delta_hi}},
                       {"meets_mlperf_99", a.meets_mlperf_99},
                       {"baseline", a.baseline},
                       {"model_bytes", a.model_bytes}};
  }
  if (r.training) doc["training"] = ToJson(*r.training);
  if (!r.metrics.empty()) {
    json metrics = json::array();
    for (const Metric& m : r.metrics) {
      metrics.push_back(
          {{"name", m.name}, {"unit", m.unit}, {"better", m.better}, {"values", m.values}});
    }
    doc["metrics"] = std::move(metrics);
  }
  if (!r.warnings.empty()) doc["warnings"] = r.warnings;
  if (r.quantization) {
    const Quantization& q = *r.quantization;
    doc["quantization"] = {{"weights", q.weights},
                           {"activations", q.activations},
                           {"calibration", q.calibration},
                           {"calibration_inputs", q.calibration_inputs},
                           {"accumulator", q.accumulator},
                           {"requantization", q.requantization},
                           {"fp32_ops", q.fp32_ops},
                           {"weight_bits", q.weight_bits},
                           {"activation_bits", q.activation_bits}};
    if (!q.remedy.empty()) doc["quantization"]["remedy"] = q.remedy;
  }
  if (r.quality) {
    const Quality& q = *r.quality;
    doc["quality"] = {
        {"inputs", q.inputs}, {"rel_l2", q.rel_l2}, {"sqnr_db", q.sqnr_db}, {"cosine", q.cosine}};
    if (q.classifier) {
      doc["quality"]["top1_agreement"] = q.top1_agreement;
      doc["quality"]["reference_classes"] = q.reference_classes;
      doc["quality"]["meets_mlperf_99"] = q.meets_mlperf_99;
    }
  }
  return doc;
}

static Result<ResultRecord> FromValidJson(const json& j);

Revision RevisionFromJson(const json& j) {
  Revision r{j.value("repo", ""), j.value("commit", "unknown"), j.value("branch", ""),
             std::nullopt};
  if (j.contains("time") && j["time"].is_string()) r.time = j["time"].get<std::string>();
  return r;
}

Result<ResultRecord> FromJson(const json& j) {
  EFFBENCH_RETURN_IF_ERROR(Validate(j));
  try {
    return FromValidJson(j);
  } catch (const json::exception& e) {  // the schema let through what the code cannot read
    return Status::Internal(std::string("result record: ") + e.what());
  }
}

static Result<ResultRecord> FromValidJson(const json& j) {
  ResultRecord r;
  r.id = j["id"];
  r.run_id = j["run_id"];
  r.name = j["name"];
  r.workload = j["workload"];
  for (const auto& [key, value] : j["params"].items())
    r.params.emplace_back(key, value.get<int64_t>());
  const json& v = j["variant"];
  r.variant = Variant{v["precision"], v["sparsity"], v["backend"], ""};
  r.implementation = v.value("implementation", "");
  r.variant.quantization = v.value("quantization", "");
  r.threads = j["threads"];
  r.machine = j["machine"];
  r.revision = RevisionFromJson(j["revision"]);
  r.started_at = j.value("started_at", "");
  r.seed = j.value("seed", uint64_t{0});
  r.samples_ns = j["samples_ns"].get<std::vector<double>>();
  const json& st = j["stats"];
  // The schema lets each statistic be null; a record has all of them or none.
  const size_t known = static_cast<size_t>(
      std::count_if(st.begin(), st.end(), [](const json& x) { return x.is_number(); }));
  if (known == 6) {
    r.stats = Stats{st["median_ns"], st["mean_ns"], st["stddev_ns"],
                    st["cv"],        st["min_ns"],  st["max_ns"]};
  } else if (known != 0) {
    return Status::InvalidArgument(
        "result record: field /stats: must be all numbers or all null, has " +
        std::to_string(known) + " of 6 numbers");
  }
  r.flop = j["work"]["flop"];
  r.bytes = j["work"]["bytes"];
  if (j["work"].contains("weight_bytes")) r.weight_bytes = j["work"]["weight_bytes"];
  const json& e = j["efficiency"];
  r.gflops = OptionalDouble(e["gflops"]);
  r.gbps = OptionalDouble(e["gbps"]);
  r.roofline_fraction = OptionalDouble(e["roofline_fraction"]);
  if (e.contains("roofline_note")) r.roofline_note = e["roofline_note"].get<std::string>();
  r.energy_source = j["energy"]["source"];
  r.joules_per_iter = OptionalDouble(j["energy"]["joules_per_iter"]);
  r.rel_l2 = OptionalDouble(j["fidelity"]["rel_l2"]);
  r.max_abs = OptionalDouble(j["fidelity"]["max_abs"]);
  r.tolerance = j["fidelity"].value("tolerance", 0.0);
  if (j.contains("compression")) {
    const json& c = j["compression"];
    r.compression = Compression{c["pattern"], c["target_sparsity"], c["achieved_sparsity"],
                                c["format"],  c["model_bytes"],     c["sparse_kernel"]};
    r.compression->fine_tuned = c.value("fine_tuned", false);
    r.compression->fine_tune_steps = c.value("fine_tune_steps", int64_t{0});
  }
  if (j.contains("quantization")) {
    const json& q = j["quantization"];
    r.quantization = Quantization{q["weights"],
                                  q["activations"],
                                  q["calibration"],
                                  q["calibration_inputs"],
                                  q["accumulator"],
                                  q["requantization"],
                                  q["fp32_ops"],
                                  q.value("weight_bits", 8),
                                  q.value("activation_bits", 8),
                                  q.value("remedy", "")};
  }
  if (j.contains("quality")) {
    const json& q = j["quality"];
    Quality quality;
    quality.inputs = q["inputs"];
    quality.rel_l2 = q["rel_l2"];
    quality.sqnr_db = q["sqnr_db"];
    quality.cosine = q["cosine"];
    quality.classifier = q.contains("top1_agreement");
    if (quality.classifier) {
      quality.top1_agreement = q["top1_agreement"];
      quality.reference_classes = q["reference_classes"];
      quality.meets_mlperf_99 = q.value("meets_mlperf_99", false);
    }
    r.quality = quality;
  }
  if (j.contains("accuracy")) {
    const json& a = j["accuracy"];
    Accuracy accuracy;
    accuracy.dataset = a["dataset"];
    accuracy.dataset_sha256 = a["dataset_sha256"];
    accuracy.test_images = a["test_images"];
    accuracy.top1 = a["top1"];
    accuracy.top1_fp32 = a["top1_fp32"];
    accuracy.delta = a["delta"];
    accuracy.delta_lo = a["delta_ci95"][0];
    accuracy.delta_hi = a["delta_ci95"][1];
    accuracy.meets_mlperf_99 = a["meets_mlperf_99"];
    accuracy.baseline = a["baseline"];
    accuracy.model_bytes = a["model_bytes"];
    r.accuracy = accuracy;
  }
  if (j.contains("training")) r.training = TrainingFromJson(j["training"]);
  for (const json& m : j.value("metrics", json::array())) {
    r.metrics.push_back(
        Metric{m["name"], m["unit"], m["better"], m["values"].get<std::vector<double>>()});
  }
  r.warnings = j.value("warnings", std::vector<std::string>{});
  r.ok = j["status"] == "ok";
  r.skipped = j["status"] == "skipped";
  if (!j["error"].is_null()) r.error = j["error"];
  return r;
}

std::string ShapeOf(const ResultRecord& r) {
  const size_t slash = r.name.find('/');
  const size_t at = r.name.rfind('@');
  if (slash == std::string::npos || at == std::string::npos || at < slash) return r.name;
  return r.name.substr(slash + 1, at - slash - 1);
}

std::string DisplayName(const std::string& name) {
  for (const std::string_view prefix : {"gbench/", "bmf/"}) {
    if (name.starts_with(prefix) && name.ends_with("@native") && name.size() > prefix.size() + 7) {
      return name.substr(prefix.size(), name.size() - prefix.size() - 7);
    }
  }
  return name;
}

const Metric* FindMetric(const ResultRecord& record, const std::string& name) {
  for (const Metric& m : record.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string NewUuid() {
  // UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids
  // made close in time sort close together, so the database's indexes on them
  // grow at their ends instead of at random pages. Within one millisecond a
  // per-thread counter in the 12 "rand_a" bits keeps them increasing; when it
  // runs out (over 2048 ids in a millisecond), or the clock steps back, the
  // ids borrow the next millisecond, as RFC 9562 §6.2 allows.
  thread_local boost::uuids::random_generator generator;
  thread_local uint64_t last_ms = 0;
  thread_local uint16_t counter = 0;
  boost::uuids::uuid u = generator();  // version 4: random bytes to start from
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  if (ms <= last_ms) {
    ms = last_ms;
    if (++counter > 0x0fff) {
      ms = ++last_ms;
      counter = 0;
    }
  } else {
    last_ms = ms;
    counter = static_cast<uint16_t>(u.data[6] << 4 | u.data[7] >> 4) & 0x07ff;  // room to count
  }
  for (int i = 0; i < 6; ++i) u.data[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  u.data[6] = static_cast<uint8_t>(0x70 | (counter >> 8));  // version 7
  u.data[7] = static_cast<uint8_t>(counter & 0xff);
  u.data[8] = static_cast<uint8_t>((u.data[8] & 0x3f) | 0x80);  // RFC 9562 variant
  return boost::uuids::to_string(u);
}

}  // namespace effbench::result
