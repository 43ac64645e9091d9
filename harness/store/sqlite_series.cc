// Series and their history in SQLite (SeriesStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/result_store.h"
#include "harness/store/series_points.h"
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

Result<std::vector<SeriesPoint>> ResultStore::SeriesHistory(const SeriesKey& key) {
  auto histories = SeriesHistories({key});
  if (!histories.ok()) return histories.status();
  return std::move(histories->front());
}

Result<std::vector<std::vector<SeriesPoint>>> ResultStore::SeriesHistories(
    const std::vector<SeriesKey>& keys) {
  return Guarded(ReadingHistoriesOf(keys), [&]() -> Result<std::vector<std::vector<SeriesPoint>>> {
    const SeriesByMachine wanted = GroupByMachine(keys);
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
        const SQLite::Column samples = s.getColumn(6);
        AddResult(
            keys, it->second, builders, Str(s.getColumn(2)), OptStr(s.getColumn(3)),
            s.getColumn(4).getText(""), s.getColumn(5).getText(""),
            std::string_view(samples.getText(""), static_cast<size_t>(samples.getBytes())), [&] {
              // A column not asked for is never loaded.
              const SQLite::Column record = s.getColumn(7);
              return std::string_view(record.getText(""), static_cast<size_t>(record.getBytes()));
            });
      }
    }
    std::vector<std::vector<SeriesPoint>> out;
    out.reserve(keys.size());
    for (HistoryBuilder& builder : builders) out.push_back(builder.Take());
    return out;
  });
}

}  // namespace effbench::store
