#include "harness/result/record_row.h"

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "workloads/common/json_text.h"

namespace effbench::result {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

std::optional<double> OptionalNumber(element e) {
  if (e.is_null()) return std::nullopt;
  return double(e);  // the schema allows number or null; simdjson converts integers
}

// A JSON string literal for an object key. The schema admits only its own
// field names, but the row must stay valid JSON whatever they are.
void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  for (const char c : key) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += "\":";
}

}  // namespace

Result<RecordRow> ToRow(const ResultRecord& record) {
  nlohmann::json doc = ToJson(record);
  EFFBENCH_RETURN_IF_ERROR(Validate(doc).WithContext("result " + record.id));
  RecordRow row;
  row.id = record.id;
  row.run_id = record.run_id;
  row.name = record.name;
  row.workload = record.workload;
  row.precision = record.variant.precision;
  row.sparsity = record.variant.sparsity;
  row.backend = record.variant.backend;
  row.threads = record.threads;
  row.ok = record.ok;
  if (!record.ok) row.error = record.error;
  row.stats = record.stats;
  row.gflops = record.gflops;
  row.gbps = record.gbps;
  row.roofline_fraction = record.roofline_fraction;
  row.joules_per_iter = record.joules_per_iter;
  row.rel_l2 = record.rel_l2;
  row.samples_json = doc["samples_ns"].dump();
  doc.erase("samples_ns");
  row.record_json = doc.dump();
  return row;
}

Result<RecordRow> RowFromJson(const element& record, std::string_view text) {
  EFFBENCH_RETURN_IF_ERROR(ValidateSimdjson(record));
  // Valid: every field read below is present with the schema's type.
  const object o(record);
  RecordRow row;
  row.id = std::string_view(o["id"]);
  row.run_id = std::string_view(o["run_id"]);
  row.name = std::string_view(o["name"]);
  row.workload = std::string_view(o["workload"]);
  const object variant(o["variant"]);
  row.precision = std::string_view(variant["precision"]);
  row.sparsity = std::string_view(variant["sparsity"]);
  row.backend = std::string_view(variant["backend"]);
  row.threads = static_cast<int64_t>(double(o["threads"]));
  row.ok = std::string_view(o["status"]) == "ok";
  if (const element error = o["error"]; !error.is_null())
    row.error = std::string(std::string_view(error));
  const object st(o["stats"]);
  if (!st["median_ns"].is_null()) {
    row.stats = Stats{double(st["median_ns"]), double(st["mean_ns"]), double(st["stddev_ns"]),
                      double(st["cv"]),        double(st["min_ns"]),  double(st["max_ns"])};
  }
  const object efficiency(o["efficiency"]);
  row.gflops = OptionalNumber(efficiency["gflops"]);
  row.gbps = OptionalNumber(efficiency["gbps"]);
  row.roofline_fraction = OptionalNumber(efficiency["roofline_fraction"]);
  row.joules_per_iter = OptionalNumber(object(o["energy"])["joules_per_iter"]);
  row.rel_l2 = OptionalNumber(object(o["fidelity"])["rel_l2"]);
  // The record's fields but samples_ns, in the order they came: cut from its
  // text where there is one, else serialized from the element. A key with an
  // escape in it (valid, if odd) is compared unescaped, by the element.
  if (!text.empty()) {
    bool escaped_key = false;
    row.record_json.reserve(text.size());
    row.record_json += '{';
    json_text::ForEachField(text, [&](std::string_view key, std::string_view value) {
      escaped_key = escaped_key || key.find('\\') != std::string_view::npos;
      if (key == "\"samples_ns\"") {
        row.samples_json = value;
        return;
      }
      if (row.record_json.size() > 1) row.record_json += ',';
      row.record_json.append(key).append(":").append(value);
    });
    row.record_json += '}';
    if (!escaped_key) return row;
    row.record_json.clear();
    row.samples_json.clear();
  }
  row.record_json.reserve(1024);
  row.record_json += '{';
  for (const simdjson::dom::key_value_pair field : o) {
    if (field.key == "samples_ns") {
      row.samples_json = simdjson::minify(field.value);
      continue;
    }
    if (row.record_json.size() > 1) row.record_json += ',';
    AppendKey(row.record_json, field.key);
    row.record_json += simdjson::minify(field.value);
  }
  row.record_json += '}';
  return row;
}

}  // namespace effbench::result
