// Series and their history in SQLite (SeriesStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
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

Result<std::vector<SeriesPoint>> ResultStore::SeriesHistory(const SeriesKey& key) {
  return Guarded("read series " + key.name, [&]() -> Result<std::vector<SeriesPoint>> {
    const bool time = key.metric == "time";
    SQLite::Statement s(
        impl_->db,
        time ? "SELECT v.commit_sha, v.commit_time, r.id, r.started_at, smp.value, 'lower'"
               " FROM results res"
               " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
               " JOIN revisions v ON v.id = r.revision_id, json_each(res.samples_ns) smp"
               " WHERE m.fingerprint = ? AND res.name = ? AND res.threads = ?"
               " AND res.status = 'ok' ORDER BY r.started_at, r.rowid, res.rowid, smp.key"
             : "SELECT v.commit_sha, v.commit_time, r.id, r.started_at, val.value,"
               " json_extract(met.value, '$.better') FROM results res"
               " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
               " JOIN revisions v ON v.id = r.revision_id,"
               " json_each(res.record, '$.metrics') met, json_each(met.value, '$.values') val"
               " WHERE m.fingerprint = ? AND res.name = ? AND res.threads = ?"
               " AND res.status = 'ok' AND json_extract(met.value, '$.name') = ?"
               " AND val.value > 0 ORDER BY r.started_at, r.rowid, res.rowid, val.key");
    s.bind(1, key.machine_fingerprint);
    s.bind(2, key.name);
    s.bind(3, key.threads);
    if (!time) s.bind(4, key.metric);
    std::map<std::string, SeriesPoint> by_commit;
    std::map<std::string, size_t> first_seen;  // the order runs were stored in breaks ties
    while (s.executeStep()) {
      const std::string commit = Str(s.getColumn(0));
      SeriesPoint& p = by_commit[commit];
      if (p.commit.empty()) {
        first_seen[commit] = first_seen.size();
        p.commit = commit;
        p.commit_time = OptStr(s.getColumn(1));
        p.first_run = Str(s.getColumn(2));
        p.first_run_started_at = Str(s.getColumn(3));
      }
      p.samples_ns.push_back(s.getColumn(4).getDouble());
      p.better = Str(s.getColumn(5));
    }
    std::vector<SeriesPoint> points(by_commit.size());
    for (auto& [commit, p] : by_commit) points[first_seen[commit]] = std::move(p);
    // Commit time orders commits that have one; the first run's time breaks
    // ties and orders the rest.
    std::stable_sort(points.begin(), points.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
      if (a.commit_time && b.commit_time && *a.commit_time != *b.commit_time) {
        return *a.commit_time < *b.commit_time;
      }
      return a.first_run_started_at < b.first_run_started_at;
    });
    return points;
  });
}

}  // namespace effbench::store
