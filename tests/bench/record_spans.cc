// What ingest does with each result frame before validating its records: a
// simdjson DOM parse (the records are validated and read from it), and the
// cut of every record's fields as they came (result::CutRecords, simdjson's
// On-Demand raw_json), so that a row is stored without serializing it again.
// Before CutRecords a span scanner of our own did the cut; on this frame of
// 64 records it took 163 us against On-Demand's 61 us (Zen 3, 2026-11-30).
//   build/tests/bench/effbench_record_spans_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness/result/record.h"
#include "harness/result/record_row.h"
#include "tests/test_util.h"

namespace {

// A result frame of `n` records, as an agent sends it, with simdjson's padding.
std::string Frame(int n) {
  nlohmann::json records = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    records.push_back(effbench::result::ToJson(
        effbench::testing::MakeRecord("01a2272e-0000-7000-8000-000000000000", 10 + i)));
  }
  std::string frame =
      nlohmann::json{{"type", "result"}, {"v", 1}, {"job_id", "job"}, {"records", records}}.dump();
  frame.reserve(frame.size() + simdjson::SIMDJSON_PADDING);
  return frame;
}

void BM_DomParse(benchmark::State& state) {
  const std::string frame = Frame(static_cast<int>(state.range(0)));
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(frame.data(), frame.size(), false).get(doc) != simdjson::SUCCESS) {
      state.SkipWithError("parse");
    }
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(frame.size()));
}
BENCHMARK(BM_DomParse)->Arg(1)->Arg(64);

void BM_CutRecords(benchmark::State& state) {
  const std::string frame = Frame(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const auto records = effbench::result::CutRecords(frame, frame.capacity(), "records");
    if (records.size() != size_t(state.range(0)) || records[0].empty()) {
      state.SkipWithError("not cut");
    }
    benchmark::DoNotOptimize(records.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(frame.size()));
}
BENCHMARK(BM_CutRecords)->Arg(1)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
