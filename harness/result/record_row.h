// A result record as the results table stores it: the columns the database
// indexes and aggregates, the record's JSON without its samples, and the
// samples as a JSON array. Built from a ResultRecord (run, import) or straight
// from a simdjson element (the coordinator's ingest path, which never builds a
// JSON tree or a ResultRecord). Either way the record is validated against
// schemas/result.schema.json first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
// Validates one record of a document parsed by simdjson and makes its row.
// `text`, when given, is the record's JSON text as it came (the element's
// span of the parsed document): the row's JSON is cut from it rather than
// serialized again.
Result<RecordRow> RowFromJson(const simdjson::dom::element& record, std::string_view text = {});

}  // namespace effbench::result
