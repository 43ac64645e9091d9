// Detected changes and their states in SQLite (RegressionStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/result_store.h"
#include "harness/store/sqlite_internal.h"

namespace effbench::store {

Status ResultStore::UpsertRegression(const RegressionRow& r) {
  return Guarded("store regression of " + r.series.name, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO regressions (machine_fingerprint, name, threads, metric, last_good_commit,"
        " first_bad_commit, first_bad_run, change, pvalue, mean_before, mean_after, points_before,"
        " points_after, direction, state, detected_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(machine_fingerprint, name, threads, metric, first_bad_commit) DO UPDATE SET"
        " last_good_commit = excluded.last_good_commit, change = excluded.change,"
        " pvalue = excluded.pvalue, mean_before = excluded.mean_before,"
        " mean_after = excluded.mean_after, points_before = excluded.points_before,"
        " points_after = excluded.points_after, direction = excluded.direction,"
        " updated_at = excluded.updated_at,"
        " state = CASE WHEN state = 'withdrawn' THEN 'new' ELSE state END,"
        " reason = CASE WHEN state = 'withdrawn' THEN NULL ELSE reason END");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, r.series.machine_fingerprint);
    s.bind(2, r.series.name);
    s.bind(3, r.series.threads);
    s.bind(4, r.metric);
    s.bind(5, r.last_good_commit);
    s.bind(6, r.first_bad_commit);
    s.bind(7, r.first_bad_run);
    s.bind(8, r.change);
    s.bind(9, r.pvalue);
    s.bind(10, r.mean_before);
    s.bind(11, r.mean_after);
    s.bind(12, r.points_before);
    s.bind(13, r.points_after);
    s.bind(14, r.direction);
    s.bind(15, r.state);
    s.bind(16, r.detected_at);
    s.bind(17, r.updated_at);
    s.exec();
    return Status::Ok();
  });
}

namespace {

RegressionRow RegressionFrom(SQLite::Statement& s) {
  RegressionRow r;
  r.id = s.getColumn(0).getInt64();
  r.series = SeriesKey{Str(s.getColumn(1)), Str(s.getColumn(2)), s.getColumn(3).getInt()};
  r.metric = Str(s.getColumn(4));
  r.series.metric = r.metric;
  r.last_good_commit = Str(s.getColumn(5));
  r.first_bad_commit = Str(s.getColumn(6));
  r.first_bad_run = Str(s.getColumn(7));
  r.change = s.getColumn(8).getDouble();
  r.pvalue = s.getColumn(9).getDouble();
  r.mean_before = s.getColumn(10).getDouble();
  r.mean_after = s.getColumn(11).getDouble();
  r.points_before = s.getColumn(12).getInt64();
  r.points_after = s.getColumn(13).getInt64();
  r.direction = Str(s.getColumn(14));
  r.state = Str(s.getColumn(15));
  r.detected_at = Str(s.getColumn(16));
  r.updated_at = Str(s.getColumn(17));
  r.reason = OptStr(s.getColumn(18));
  r.fixed_last_bad_commit = OptStr(s.getColumn(19));
  r.fixed_first_good_commit = OptStr(s.getColumn(20));
  r.pruned_at = OptStr(s.getColumn(21));
  return r;
}

}  // namespace

Result<std::vector<RegressionRow>> ResultStore::RegressionsOf(const SeriesKey& series) {
  return Guarded("read regressions of " + series.name, [&]() -> Result<std::vector<RegressionRow>> {
    std::vector<RegressionRow> rows;
    auto s_prepared = impl_->Prepare(std::string("SELECT ") + kRegressionColumns +
                                     " FROM regressions WHERE machine_fingerprint = ?"
                                     " AND name = ? AND threads = ? AND metric = ?"
                                     " ORDER BY id");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, series.machine_fingerprint);
    s.bind(2, series.name);
    s.bind(3, series.threads);
    s.bind(4, series.metric);
    while (s.executeStep()) rows.push_back(RegressionFrom(s));
    return rows;
  });
}

Status ResultStore::ResolveRegression(int64_t id, const std::string& state,
                                      const std::string& reason,
                                      const std::optional<std::string>& fixed_last_bad,
                                      const std::optional<std::string>& fixed_first_good,
                                      const std::string& updated_at) {
  return Guarded("update regression " + std::to_string(id), [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "UPDATE regressions SET state = ?, reason = ?, fixed_last_bad_commit = ?,"
        " fixed_first_good_commit = ?, updated_at = ? WHERE id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, state);
    s.bind(2, reason);
    BindOptional(s, 3, fixed_last_bad);
    BindOptional(s, 4, fixed_first_good);
    s.bind(5, updated_at);
    s.bind(6, id);
    if (s.exec() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  });
}

Result<std::vector<RegressionRow>> ResultStore::Regressions(const std::string& since,
                                                            const std::string& state) {
  return Guarded("read regressions", [&]() -> Result<std::vector<RegressionRow>> {
    std::vector<RegressionRow> rows;
    auto s_prepared = impl_->Prepare(std::string("SELECT ") + kRegressionColumns +
                                     " FROM regressions WHERE (? = '' OR detected_at >= ?)"
                                     " AND (? = '' OR state = ?) ORDER BY detected_at DESC,"
                                     " id DESC");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, since);
    s.bind(2, since);
    s.bind(3, state);
    s.bind(4, state);
    while (s.executeStep()) rows.push_back(RegressionFrom(s));
    return rows;
  });
}

Status ResultStore::SetRegressionState(int64_t id, const std::string& state,
                                       const std::string& updated_at) {
  return Guarded("update regression " + std::to_string(id), [&]() -> Status {
    auto s_prepared =
        impl_->Prepare("UPDATE regressions SET state = ?, updated_at = ? WHERE id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, state);
    s.bind(2, updated_at);
    s.bind(3, id);
    if (s.exec() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  });
}

Status ResultStore::MarkRunChecked(const std::string& run_id, const std::string& checked_at) {
  return Guarded("mark run " + run_id + " checked", [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO run_checks (run_id, checked_at) VALUES (?, ?)"
        " ON CONFLICT (run_id) DO UPDATE SET checked_at = excluded.checked_at");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, run_id);
    s.bind(2, checked_at);
    s.exec();
    return Status::Ok();
  });
}

Result<bool> ResultStore::RunChecked(const std::string& run_id) {
  return Guarded("read whether run " + run_id + " was checked", [&]() -> Result<bool> {
    auto s_prepared = impl_->Prepare("SELECT 1 FROM run_checks WHERE run_id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, run_id);
    return s.executeStep();
  });
}

}  // namespace effbench::store
