#include "harness/result/record_row.h"

#include <simdjson.h>

#include <algorithm>
#include <nlohmann/json.hpp>

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
std::string QuotedKey(std::string_view key) {
  std::string out = "\"";
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
  return out + "\"";
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
  row.skipped = record.skipped;
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

std::vector<std::vector<RawField>> CutRecords(std::string_view text, size_t capacity,
                                              std::string_view key) {
  namespace ondemand = simdjson::ondemand;
  std::vector<std::vector<RawField>> records;
  thread_local ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(text.data(), text.size(), capacity).get(doc) != simdjson::SUCCESS) return {};
  ondemand::array array;
  if (doc.find_field_unordered(key).get_array().get(array) != simdjson::SUCCESS) return {};
  for (auto item : array) {
    ondemand::object object;
    if (item.get_object().get(object) != simdjson::SUCCESS) return {};
    std::vector<RawField>& fields = records.emplace_back();
    fields.reserve(records.size() > 1 ? records[records.size() - 2].size() : 16);
    for (auto field : object) {
      ondemand::raw_json_string raw_key;
      ondemand::value value;
      if (field.key().get(raw_key) != simdjson::SUCCESS ||
          field.value().get(value) != simdjson::SUCCESS) {
        return {};
      }
      // raw() is just past the key's opening quote; an escape in the key is
      // left to the element, which compares keys unescaped.
      const std::string_view rest(raw_key.raw(), size_t(text.data() + text.size() - raw_key.raw()));
      const size_t end = rest.find_first_of("\\\"");
      if (end == std::string_view::npos || rest[end] == '\\') {
        fields.clear();
        break;  // the rest of this object is skipped by the array's iterator
      }
      const std::string_view quoted_key(raw_key.raw() - 1, end + 2);
      ondemand::json_type type;
      if (value.type().get(type) != simdjson::SUCCESS) return {};
      std::string_view raw;
      if (type == ondemand::json_type::object) {
        ondemand::object inner;
        if (value.get_object().get(inner) != simdjson::SUCCESS ||
            inner.raw_json().get(raw) != simdjson::SUCCESS) {
          return {};
        }
      } else if (type == ondemand::json_type::array) {
        ondemand::array inner;
        if (value.get_array().get(inner) != simdjson::SUCCESS ||
            inner.raw_json().get(raw) != simdjson::SUCCESS) {
          return {};
        }
      } else {
        raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                                raw.back() == '\t')) {
          raw.remove_suffix(1);
        }
      }
      fields.push_back({quoted_key, raw});
    }
  }
  return records;
}

Result<RecordRow> RowFromJson(const element& record, std::span<const RawField> fields) {
  EFFBENCH_RETURN_IF_ERROR(ValidateSimdjson(record));
  // Valid: every field read below is present, once, with the schema's type.
  // One pass over the fields (a lookup by key would scan them each time).
  RecordRow row;
  std::optional<double> stats[6];
  for (const simdjson::dom::key_value_pair field : object(record)) {
    const std::string_view key = field.key;
    const element& v = field.value;
    if (key == "id") {
      row.id = std::string_view(v);
    } else if (key == "run_id") {
      row.run_id = std::string_view(v);
    } else if (key == "name") {
      row.name = std::string_view(v);
    } else if (key == "workload") {
      row.workload = std::string_view(v);
    } else if (key == "threads") {
      row.threads = static_cast<int64_t>(double(v));
    } else if (key == "status") {
      row.ok = std::string_view(v) == "ok";
      row.skipped = std::string_view(v) == "skipped";
    } else if (key == "error") {
      if (!v.is_null()) row.error = std::string(std::string_view(v));
    } else if (key == "variant") {
      for (const simdjson::dom::key_value_pair f : object(v)) {
        if (f.key == "precision") row.precision = std::string_view(f.value);
        if (f.key == "sparsity") row.sparsity = std::string_view(f.value);
        if (f.key == "backend") row.backend = std::string_view(f.value);
      }
    } else if (key == "stats") {
      static constexpr std::string_view kNames[6] = {"median_ns", "mean_ns", "stddev_ns",
                                                     "cv",        "min_ns",  "max_ns"};
      for (const simdjson::dom::key_value_pair f : object(v)) {
        for (size_t i = 0; i < 6; ++i) {
          if (f.key == kNames[i]) stats[i] = OptionalNumber(f.value);
        }
      }
    } else if (key == "efficiency") {
      for (const simdjson::dom::key_value_pair f : object(v)) {
        if (f.key == "gflops") row.gflops = OptionalNumber(f.value);
        if (f.key == "gbps") row.gbps = OptionalNumber(f.value);
        if (f.key == "roofline_fraction") row.roofline_fraction = OptionalNumber(f.value);
      }
    } else if (key == "energy") {
      row.joules_per_iter = OptionalNumber(object(v)["joules_per_iter"]);
    } else if (key == "fidelity") {
      row.rel_l2 = OptionalNumber(object(v)["rel_l2"]);
    }
  }
  // The schema lets each statistic be null; a record has all of them or none.
  const size_t known = static_cast<size_t>(std::count_if(
      std::begin(stats), std::end(stats), [](const auto& x) { return x.has_value(); }));
  if (known == 6) {
    row.stats = Stats{*stats[0], *stats[1], *stats[2], *stats[3], *stats[4], *stats[5]};
  } else if (known != 0) {
    return Status::InvalidArgument(
        "result record: field /stats: must be all numbers or all null, has " +
        std::to_string(known) + " of 6 numbers");
  }
  // The record's fields but samples_ns, in the order they came: cut from its
  // text where there is one, else serialized from the element. A key with an
  // escape in it (valid, if odd) is compared unescaped, by the element
  // (CutRecords leaves such a record without fields).
  const auto add = [&row](std::string_view quoted_key, std::string_view value) {
    if (quoted_key == "\"samples_ns\"") {
      row.samples_json = value;
      return;
    }
    row.record_json += row.record_json.empty() ? '{' : ',';
    row.record_json.append(quoted_key).append(":").append(value);
  };
  for (const RawField& field : fields) add(field.quoted_key, field.value);
  if (fields.empty()) {
    row.record_json.clear();
    row.samples_json.clear();
    for (const simdjson::dom::key_value_pair field : object(record)) {
      add(QuotedKey(field.key), simdjson::minify(field.value));
    }
  }
  if (row.record_json.empty()) row.record_json = "{";
  row.record_json += '}';
  return row;
}

}  // namespace effbench::result
