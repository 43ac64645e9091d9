// Series and their history in SQLite (SeriesStore).
#include <SQLiteCpp/SQLiteCpp.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/result_store.h"
#include "harness/store/sqlite_internal.h"

namespace effbench::store {

Result<std::vector<SeriesKey>> ResultStore::SeriesOf(const std::string& run_id) {
  return Guarded("read series", [&]() -> Result<std::vector<SeriesKey>> {
    std::vector<SeriesKey> keys;
    // Two statements, not "(? = '' OR run_id = ?)", which scans every result.
    const std::string select =
        "SELECT DISTINCT m.fingerprint, res.name, res.threads FROM results res"
        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
        " WHERE res.status = 'ok'";
    const std::string order = " ORDER BY m.fingerprint, res.name, res.threads";
    auto s_prepared =
        impl_->Prepare(run_id.empty() ? select + order : select + " AND res.run_id = ?" + order);
    SQLite::Statement& s = *s_prepared;
    if (!run_id.empty()) s.bind(1, run_id);
    while (s.executeStep()) {
      keys.push_back(SeriesKey{Str(s.getColumn(0)), Str(s.getColumn(1)), s.getColumn(2).getInt()});
    }
    // The series of metrics with a better direction (what imports carry);
    // instr() skips the records without any before JSON is parsed.
    const std::string metrics =
        "SELECT DISTINCT m.fingerprint, res.name, res.threads, json_extract(met.value, '$.name')"
        " FROM results res JOIN runs r ON r.id = res.run_id"
        " JOIN machines m ON m.id = r.machine_id, json_each(res.record, '$.metrics') met"
        " WHERE res.status = 'ok' AND instr(res.record, '\"metrics\"') > 0"
        " AND json_extract(met.value, '$.better') IN ('lower', 'higher')";
    auto ms_prepared = impl_->Prepare(run_id.empty() ? metrics : metrics + " AND res.run_id = ?");
    SQLite::Statement& ms = *ms_prepared;
    if (!run_id.empty()) ms.bind(1, run_id);
    while (ms.executeStep()) {
      keys.push_back(SeriesKey{Str(ms.getColumn(0)), Str(ms.getColumn(1)), ms.getColumn(2).getInt(),
                               Str(ms.getColumn(3))});
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  });
}

Result<std::vector<SeriesKey>> ResultStore::SeriesMatching(const std::string& glob) {
  return Guarded("read series matching " + glob, [&]() -> Result<std::vector<SeriesKey>> {
    std::vector<SeriesKey> keys;
    // The names first, from the results_name index alone; then each name's
    // machines and thread counts.
    auto names_prepared = impl_->Prepare(
        "SELECT DISTINCT name FROM results WHERE (? = '' OR name GLOB ?)"
        " ORDER BY name");
    SQLite::Statement& names = *names_prepared;
    names.bind(1, glob);
    names.bind(2, glob);
    std::vector<std::string> matching;
    while (names.executeStep()) matching.push_back(Str(names.getColumn(0)));
    auto s_prepared = impl_->Prepare(
        "SELECT DISTINCT m.fingerprint, res.threads FROM results res"
        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
        " WHERE res.name = ? AND res.status = 'ok'");
    SQLite::Statement& s = *s_prepared;
    for (const std::string& name : matching) {
      s.reset();
      s.bind(1, name);
      while (s.executeStep()) {
        keys.push_back(SeriesKey{Str(s.getColumn(0)), name, s.getColumn(1).getInt()});
      }
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  });
}

namespace {

// One series' points as its machine's results arrive, pooled by commit.
struct HistoryBuilder {
  std::map<std::string, SeriesPoint> by_commit;
  std::map<std::string, size_t> first_seen;  // the order runs were stored in breaks ties

  SeriesPoint& At(const std::string& commit, const SQLite::Statement& s) {
    SeriesPoint& p = by_commit[commit];
    if (p.commit.empty()) {
      first_seen[commit] = first_seen.size();
      p.commit = commit;
      p.commit_time = OptStr(s.getColumn(3));
      p.first_run = Str(s.getColumn(4));
      p.first_run_started_at = Str(s.getColumn(5));
    }
    return p;
  }

  // Commit time orders commits that have one; the first run's time breaks
  // ties and orders the rest.
  std::vector<SeriesPoint> Take() {
    std::vector<SeriesPoint> points(by_commit.size());
    for (auto& [commit, p] : by_commit) points[first_seen[commit]] = std::move(p);
    std::stable_sort(points.begin(), points.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
      if (a.commit_time && b.commit_time && *a.commit_time != *b.commit_time) {
        return *a.commit_time < *b.commit_time;
      }
      return a.first_run_started_at < b.first_run_started_at;
    });
    return points;
  }
};

namespace ondemand = simdjson::ondemand;

// `column`'s text with simdjson's padding after it, in a buffer reused by
// every row of a pass.
simdjson::padded_string_view Padded(const SQLite::Column& column) {
  thread_local std::string buffer;
  const char* text = column.getText("");
  const size_t size = static_cast<size_t>(column.getBytes());
  buffer.reserve(size + simdjson::SIMDJSON_PADDING);
  buffer.assign(text, size);
  return simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
}

// The numbers of a JSON array (a result's samples_ns); what is not a number
// is left out, and a column that is no array gives none.
std::vector<double> NumbersOf(const SQLite::Column& column) {
  thread_local ondemand::parser parser;
  std::vector<double> out;
  ondemand::document doc;
  ondemand::array array;
  if (parser.iterate(Padded(column)).get(doc) || doc.get_array().get(array)) return out;
  for (auto item : array) {
    ondemand::value value;
    if (std::move(item).get(value)) break;  // a broken array ends here
    double v = 0;
    if (value.get_double().get(v) == simdjson::SUCCESS) out.push_back(v);
  }
  return out;
}

// A record's metrics as stored: name, better direction, values.
struct StoredMetric {
  std::string name, better;
  std::vector<double> values;
};

std::vector<StoredMetric> MetricsOf(const SQLite::Column& record) {
  thread_local ondemand::parser parser;
  std::vector<StoredMetric> out;
  ondemand::document doc;
  ondemand::array metrics;
  if (parser.iterate(Padded(record)).get(doc) ||
      doc.find_field_unordered("metrics").get_array().get(metrics)) {
    return out;
  }
  for (auto item : metrics) {
    ondemand::object object;
    if (std::move(item).get_object().get(object)) return out;
    StoredMetric m;
    for (auto field_result : object) {
      ondemand::field field;
      std::string_view key, text;
      if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return out;
      if (key == "name" || key == "better") {
        if (field.value().get_string().get(text) == simdjson::SUCCESS) {
          (key == "name" ? m.name : m.better) = std::string(text);
        }
      } else if (key == "values") {
        ondemand::array values;
        if (field.value().get_array().get(values) != simdjson::SUCCESS) continue;
        for (auto element : values) {
          ondemand::value value;
          if (std::move(element).get(value)) return out;
          double x = 0;
          if (value.get_double().get(x) == simdjson::SUCCESS) m.values.push_back(x);
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Result<std::vector<SeriesPoint>> ResultStore::SeriesHistory(const SeriesKey& key) {
  auto histories = SeriesHistories({key});
  if (!histories.ok()) return histories.status();
  return std::move(histories->front());
}

Result<std::vector<std::vector<SeriesPoint>>> ResultStore::SeriesHistories(
    const std::vector<SeriesKey>& keys) {
  const std::string what = keys.size() == 1
                               ? "read series " + keys.front().name
                               : "read the histories of " + std::to_string(keys.size()) + " series";
  return Guarded(what, [&]() -> Result<std::vector<std::vector<SeriesPoint>>> {
    // By machine, then by (name, threads): the indexes into `keys` of the
    // series each result feeds.
    std::map<std::string, std::map<std::pair<std::string, int>, std::vector<size_t>>> wanted;
    for (size_t i = 0; i < keys.size(); ++i) {
      wanted[keys[i].machine_fingerprint][{keys[i].name, keys[i].threads}].push_back(i);
    }
    std::vector<HistoryBuilder> builders(keys.size());
    for (const auto& [machine, series] : wanted) {
      // One pass over the machine's ok results (runs_machine, then
      // results_run_status), in the order they were stored; a single name
      // narrows it in SQL.
      const bool one_name = series.size() == 1;
      auto s_prepared = impl_->Prepare(
          std::string("SELECT res.name, res.threads, v.commit_sha, v.commit_time, r.id,"
                      " r.started_at, res.samples_ns, res.record") +
          " FROM machines m JOIN runs r ON r.machine_id = m.id"
          " JOIN revisions v ON v.id = r.revision_id JOIN results res ON res.run_id = r.id"
          " WHERE m.fingerprint = ? AND res.status = 'ok'" +
          (one_name ? " AND res.name = ?" : "") + " ORDER BY r.started_at, r.rowid, res.rowid");
      SQLite::Statement& s = *s_prepared;
      s.bind(1, machine);
      if (one_name) s.bind(2, series.begin()->first.first);
      while (s.executeStep()) {
        const auto it = series.find({s.getColumn(0).getString(), s.getColumn(1).getInt()});
        if (it == series.end()) continue;
        const std::string commit = Str(s.getColumn(2));
        std::optional<std::vector<double>> samples;
        std::optional<std::vector<StoredMetric>> metrics;
        for (size_t i : it->second) {
          const SeriesKey& key = keys[i];
          SeriesPoint& p = builders[i].At(commit, s);
          if (key.metric == "time") {
            if (!samples) samples = NumbersOf(s.getColumn(6));
            p.samples_ns.insert(p.samples_ns.end(), samples->begin(), samples->end());
            p.better = "lower";
            continue;
          }
          // The record is read, and parsed, only for a metric's series: a
          // column not asked for is never loaded.
          if (!metrics) metrics = MetricsOf(s.getColumn(7));
          for (const StoredMetric& m : *metrics) {
            if (m.name != key.metric || (m.better != "lower" && m.better != "higher")) continue;
            p.better = m.better;
            for (double v : m.values) {
              if (v > 0) p.samples_ns.push_back(v);
            }
          }
        }
      }
    }
    std::vector<std::vector<SeriesPoint>> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      std::vector<SeriesPoint> points = builders[i].Take();
      // A commit whose results hold none of a metric's values is no point.
      std::erase_if(points, [](const SeriesPoint& p) { return p.samples_ns.empty(); });
      out.push_back(std::move(points));
    }
    return out;
  });
}

}  // namespace effbench::store
