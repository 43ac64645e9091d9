// Series and their history in SQLite (SeriesStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
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
    SQLite::Statement s(impl_->db,
                        run_id.empty() ? select + order : select + " AND res.run_id = ?" + order);
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
    SQLite::Statement ms(impl_->db, run_id.empty() ? metrics : metrics + " AND res.run_id = ?");
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
    SQLite::Statement names(impl_->db,
                            "SELECT DISTINCT name FROM results WHERE (? = '' OR name GLOB ?)"
                            " ORDER BY name");
    names.bind(1, glob);
    names.bind(2, glob);
    std::vector<std::string> matching;
    while (names.executeStep()) matching.push_back(Str(names.getColumn(0)));
    SQLite::Statement s(impl_->db,
                        "SELECT DISTINCT m.fingerprint, res.threads FROM results res"
                        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
                        " WHERE res.name = ? AND res.status = 'ok'");
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

}  // namespace

Result<std::vector<SeriesPoint>> ResultStore::SeriesHistory(const SeriesKey& key) {
  auto histories = SeriesHistories({key});
  if (!histories.ok()) return histories.status();
  return std::move(histories->front());
}

Result<std::vector<std::vector<SeriesPoint>>> ResultStore::SeriesHistories(
    const std::vector<SeriesKey>& keys) {
  const std::string what =
      keys.size() == 1 ? "read series " + keys.front().name
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
      bool metrics = false;
      for (const auto& [name_threads, indexes] : series) {
        for (size_t i : indexes) metrics |= keys[i].metric != "time";
      }
      // One pass over the machine's ok results (runs_machine, then
      // results_run_status), in the order they were stored; a single name
      // narrows it in SQL.
      const bool one_name = series.size() == 1;
      SQLite::Statement s(
          impl_->db,
          std::string("SELECT res.name, res.threads, v.commit_sha, v.commit_time, r.id,"
                      " r.started_at, res.samples_ns, ") +
              (metrics ? "CASE WHEN instr(res.record, '\"metrics\"') > 0"
                         " THEN json_extract(res.record, '$.metrics') END"
                       : "NULL") +
              " FROM machines m JOIN runs r ON r.machine_id = m.id"
              " JOIN revisions v ON v.id = r.revision_id JOIN results res ON res.run_id = r.id"
              " WHERE m.fingerprint = ? AND res.status = 'ok'" +
              (one_name ? " AND res.name = ?" : "") +
              " ORDER BY r.started_at, r.rowid, res.rowid");
      s.bind(1, machine);
      if (one_name) s.bind(2, series.begin()->first.first);
      while (s.executeStep()) {
        const auto it = series.find({s.getColumn(0).getString(), s.getColumn(1).getInt()});
        if (it == series.end()) continue;
        const std::string commit = Str(s.getColumn(2));
        std::optional<nlohmann::json> samples, metric_list;
        for (size_t i : it->second) {
          const SeriesKey& key = keys[i];
          SeriesPoint& p = builders[i].At(commit, s);
          if (key.metric == "time") {
            if (!samples) samples = nlohmann::json::parse(Str(s.getColumn(6)), nullptr, false);
            if (samples->is_array()) {
              for (const auto& v : *samples) {
                if (v.is_number()) p.samples_ns.push_back(v.get<double>());
              }
            }
            p.better = "lower";
            continue;
          }
          if (!metric_list) metric_list = nlohmann::json::parse(Str(s.getColumn(7)), nullptr, false);
          if (!metric_list->is_array()) continue;
          for (const auto& m : *metric_list) {
            if (!m.is_object() || m.value("name", "") != key.metric) continue;
            const std::string better = m.value("better", "");
            if (better != "lower" && better != "higher") continue;
            p.better = better;
            for (const auto& v : m.value("values", nlohmann::json::array())) {
              if (v.is_number() && v.get<double>() > 0) p.samples_ns.push_back(v.get<double>());
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
