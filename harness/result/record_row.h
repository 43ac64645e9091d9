// A result record as the results table stores it: the columns the database
// indexes and aggregates, the record's JSON without its samples, and the
// samples as a JSON array. Built from a ResultRecord (run, import) or straight
// from a simdjson element (the coordinator's ingest path, which never builds a
// JSON tree or a ResultRecord). Either way the record is validated against
// schemas/result.schema.json first.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "harness/result/record.h"

namespace effbench::result {

struct RecordRow {
  std::string id, run_id, name, workload, precision, sparsity, backend;
  int64_t threads = 1;
  bool ok = false;
  bool skipped = false;  // not run on this machine; `error` says why
  std::optional<std::string> error;
  std::optional<Stats> stats;
  std::optional<double> gflops, gbps, roofline_fraction, joules_per_iter, rel_l2;
  std::string record_json;   // the record without samples_ns, minified
  std::string samples_json;  // samples_ns: [ns, ...] in repetition order
};

// Validates `record` (naming the failing field) and makes its row.
Result<RecordRow> ToRow(const ResultRecord& record);
// One field of a record as its JSON text wrote it: the key with its quotes,
// and the value's text.
struct RawField {
  std::string_view quoted_key, value;
};

// The fields of each object in the array field `key` of the JSON object
// `text`, as written, cut by simdjson's On-Demand parser (raw_json: no tree
// is built, nothing is unescaped). `text` must be valid JSON (checked by a
// parse before), with SIMDJSON_PADDING readable bytes past its end
// (`capacity` counts them). An object with an escaped key gets no fields,
// and so does every object when the text cannot be cut: their rows are then
// serialized from the element instead.
std::vector<std::vector<RawField>> CutRecords(std::string_view text, size_t capacity,
                                              std::string_view key);

// Validates one record of a document parsed by simdjson and makes its row.
// `fields`, when given, are the record's fields as they came (CutRecords):
// the row's JSON is cut from them rather than serialized again.
Result<RecordRow> RowFromJson(const simdjson::dom::element& record,
                              std::span<const RawField> fields = {});

}  // namespace effbench::result
