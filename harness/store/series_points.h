// Inside the store only: a series' history made from its results as a
// backend reads them (every backend's SeriesHistories uses it), and the
// numbers a result's stored JSON holds. Not for other modules.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/store/stores.h"

namespace effbench::store {

// One series' points as its machine's results arrive, in the order they were
// stored, pooled by commit.
class HistoryBuilder {
 public:
  // The point of `commit`, made at the commit's first result.
  SeriesPoint& At(const std::string& commit, const std::optional<std::string>& commit_time,
                  std::string_view run_id, std::string_view run_started_at);
  // The points: commit time orders commits that have one; the first run's
  // time breaks ties and orders the rest. A commit without samples (none of a
  // metric's values) is no point.
  std::vector<SeriesPoint> Take();

 private:
  std::map<std::string, SeriesPoint> by_commit_;
  std::map<std::string, size_t> first_seen_;  // the order runs were stored in breaks ties
};

// The series of `keys` by machine, then by (name, threads): the indexes into
// `keys` of the series each result feeds. A backend reads each machine's
// results once for all its series.
using SeriesByMachine =
    std::map<std::string, std::map<std::pair<std::string, int>, std::vector<size_t>>>;
SeriesByMachine GroupByMachine(const std::vector<SeriesKey>& keys);

// What reading the histories of `keys` is called in an error.
std::string ReadingHistoriesOf(const std::vector<SeriesKey>& keys);

// The numbers of a JSON array (a result's samples_ns); what is not a number
// is left out, and text that is no array gives none.
std::vector<double> NumbersOf(std::string_view json);

// A record's metrics as stored: name, better direction, values.
struct StoredMetric {
  std::string name, better;
  std::vector<double> values;
};
std::vector<StoredMetric> MetricsOf(std::string_view record_json);

// Adds one stored result to the points of the series it feeds (`series`,
// indexes into `keys` and `builders`): its samples for a time series, a
// metric's values (those above 0) for a metric's series. `record` is called
// only when a metric's series needs the record's JSON.
template <typename RecordText>
void AddResult(const std::vector<SeriesKey>& keys, const std::vector<size_t>& series,
               std::vector<HistoryBuilder>& builders, const std::string& commit,
               const std::optional<std::string>& commit_time, std::string_view run_id,
               std::string_view run_started_at, std::string_view samples_json,
               RecordText&& record) {
  std::optional<std::vector<double>> samples;
  std::optional<std::vector<StoredMetric>> metrics;
  for (size_t i : series) {
    const SeriesKey& key = keys[i];
    SeriesPoint& p = builders[i].At(commit, commit_time, run_id, run_started_at);
    if (key.metric == "time") {
      if (!samples) samples = NumbersOf(samples_json);
      p.samples_ns.insert(p.samples_ns.end(), samples->begin(), samples->end());
      p.better = "lower";
      continue;
    }
    // The record is read, and parsed, only for a metric's series.
    if (!metrics) metrics = MetricsOf(record());
    for (const StoredMetric& m : *metrics) {
      if (m.name != key.metric || (m.better != "lower" && m.better != "higher")) continue;
      p.better = m.better;
      for (double v : m.values) {
        if (v > 0) p.samples_ns.push_back(v);
      }
    }
  }
}

}  // namespace effbench::store
