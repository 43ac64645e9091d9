// Detected changes and their states in PostgreSQL (RegressionStore).
#include <string>
#include <vector>

#include "harness/store/postgres_internal.h"
#include "harness/store/postgres_store.h"

namespace effbench::store {
namespace {

std::vector<RegressionRow> RegressionsFrom(const PgRows& rows) {
  std::vector<RegressionRow> out;
  for (int i = 0; i < rows.size(); ++i) {
    RegressionRow r;
    r.id = rows.Int(i, 0);
    r.series = SeriesKey{rows.Text(i, 1), rows.Text(i, 2), static_cast<int>(rows.Int(i, 3))};
    r.metric = rows.Text(i, 4);
    r.series.metric = r.metric;
    r.last_good_commit = rows.Text(i, 5);
    r.first_bad_commit = rows.Text(i, 6);
    r.first_bad_run = rows.Text(i, 7);
    r.change = rows.Double(i, 8);
    r.pvalue = rows.Double(i, 9);
    r.mean_before = rows.Double(i, 10);
    r.mean_after = rows.Double(i, 11);
    r.points_before = rows.Int(i, 12);
    r.points_after = rows.Int(i, 13);
    r.direction = rows.Text(i, 14);
    r.state = rows.Text(i, 15);
    r.detected_at = rows.Text(i, 16);
    r.updated_at = rows.Text(i, 17);
    r.reason = rows.Opt(i, 18);
    r.fixed_last_bad_commit = rows.Opt(i, 19);
    r.fixed_first_good_commit = rows.Opt(i, 20);
    r.pruned_at = rows.Opt(i, 21);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Status PostgresStore::UpsertRegression(const RegressionRow& r) {
  return PgGuarded("store regression of " + r.series.name, [&]() -> Status {
    impl_->Exec(
        "INSERT INTO regressions (machine_fingerprint, name, threads, metric, last_good_commit,"
        " first_bad_commit, first_bad_run, change, pvalue, mean_before, mean_after, points_before,"
        " points_after, direction, state, detected_at, updated_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
        " ON CONFLICT (machine_fingerprint, name, threads, metric, first_bad_commit) DO UPDATE SET"
        " last_good_commit = excluded.last_good_commit, change = excluded.change,"
        " pvalue = excluded.pvalue, mean_before = excluded.mean_before,"
        " mean_after = excluded.mean_after, points_before = excluded.points_before,"
        " points_after = excluded.points_after, direction = excluded.direction,"
        " updated_at = excluded.updated_at,"
        " state = CASE WHEN regressions.state = 'withdrawn' THEN 'new' ELSE regressions.state END,"
        " reason = CASE WHEN regressions.state = 'withdrawn' THEN NULL ELSE regressions.reason END",
        {r.series.machine_fingerprint, r.series.name, PgInt(r.series.threads), r.metric,
         r.last_good_commit, r.first_bad_commit, r.first_bad_run, PgDouble(r.change),
         PgDouble(r.pvalue), PgDouble(r.mean_before), PgDouble(r.mean_after),
         PgInt(r.points_before), PgInt(r.points_after), r.direction, r.state, r.detected_at,
         r.updated_at});
    return Status::Ok();
  });
}

Result<std::vector<RegressionRow>> PostgresStore::RegressionsOf(const SeriesKey& series) {
  return PgGuarded(
      "read regressions of " + series.name, [&]() -> Result<std::vector<RegressionRow>> {
        return RegressionsFrom(impl_->Exec(
            std::string("SELECT ") + kRegressionColumns +
                " FROM regressions WHERE machine_fingerprint = $1"
                " AND name = $2 AND threads = $3 AND metric = $4 ORDER BY id",
            {series.machine_fingerprint, series.name, PgInt(series.threads), series.metric}));
      });
}

Status PostgresStore::ResolveRegression(int64_t id, const std::string& state,
                                        const std::string& reason,
                                        const std::optional<std::string>& fixed_last_bad,
                                        const std::optional<std::string>& fixed_first_good,
                                        const std::string& updated_at) {
  return PgGuarded("update regression " + std::to_string(id), [&]() -> Status {
    const PgRows done = impl_->Exec(
        "UPDATE regressions SET state = $1, reason = $2, fixed_last_bad_commit = $3,"
        " fixed_first_good_commit = $4, updated_at = $5 WHERE id = $6",
        {state, reason, fixed_last_bad, fixed_first_good, updated_at, PgInt(id)});
    if (done.Affected() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  });
}

Result<std::vector<RegressionRow>> PostgresStore::Regressions(const std::string& since,
                                                              const std::string& state) {
  return PgGuarded("read regressions", [&]() -> Result<std::vector<RegressionRow>> {
    return RegressionsFrom(impl_->Exec(std::string("SELECT ") + kRegressionColumns +
                                           " FROM regressions WHERE ($1 = '' OR detected_at >= $1)"
                                           " AND ($2 = '' OR state = $2)"
                                           " ORDER BY detected_at DESC, id DESC",
                                       {since, state}));
  });
}

Status PostgresStore::SetRegressionState(int64_t id, const std::string& state,
                                         const std::string& updated_at) {
  return PgGuarded("update regression " + std::to_string(id), [&]() -> Status {
    const PgRows done =
        impl_->Exec("UPDATE regressions SET state = $1, updated_at = $2 WHERE id = $3",
                    {state, updated_at, PgInt(id)});
    if (done.Affected() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  });
}

Status PostgresStore::MarkRunChecked(const std::string& run_id, const std::string& checked_at) {
  return PgGuarded("mark run " + run_id + " checked", [&]() -> Status {
    impl_->Exec(
        "INSERT INTO run_checks (run_id, checked_at) VALUES ($1, $2)"
        " ON CONFLICT (run_id) DO UPDATE SET checked_at = excluded.checked_at",
        {run_id, checked_at});
    return Status::Ok();
  });
}

Result<bool> PostgresStore::RunChecked(const std::string& run_id) {
  return PgGuarded("read whether run " + run_id + " was checked", [&]() -> Result<bool> {
    return impl_->Exec("SELECT 1 FROM run_checks WHERE run_id = $1", {run_id}).size() > 0;
  });
}

}  // namespace effbench::store
