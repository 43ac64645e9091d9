// Series and their history in PostgreSQL (SeriesStore).
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "harness/store/postgres_internal.h"
#include "harness/store/postgres_store.h"
#include "harness/store/series_points.h"

namespace effbench::store {
Result<std::vector<SeriesKey>> PostgresStore::SeriesOf(const std::string& run_id) {
  return PgGuarded("read series", [&]() -> Result<std::vector<SeriesKey>> {
    std::vector<SeriesKey> keys;
    const std::string from =
        " FROM results res JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id";
    const std::string of_run = run_id.empty() ? "" : " AND res.run_id = $1";
    const std::vector<PgParam> params =
        run_id.empty() ? std::vector<PgParam>{} : std::vector<PgParam>{run_id};
    const PgRows times = impl_->Exec("SELECT DISTINCT m.fingerprint, res.name, res.threads" + from +
                                         " WHERE res.status = 'ok'" + of_run,
                                     params);
    for (int i = 0; i < times.size(); ++i) {
      keys.push_back(
          SeriesKey{times.Text(i, 0), times.Text(i, 1), static_cast<int>(times.Int(i, 2))});
    }
    // The series of metrics with a better direction (what imports carry);
    // strpos() skips the records without any before JSON is parsed.
    const PgRows metrics =
        impl_->Exec("SELECT DISTINCT m.fingerprint, res.name, res.threads, met->>'name'" + from +
                        // The record parsed once; strict and silent: metrics
                        // that is no array (or absent) gives no element.
                        " CROSS JOIN LATERAL jsonb_path_query(res.record::jsonb,"
                        " 'strict $.metrics[*]', '{}', true) met"
                        " WHERE res.status = 'ok' AND strpos(res.record, '\"metrics\"') > 0"
                        " AND met->>'better' IN ('lower', 'higher') AND met->>'name' IS NOT NULL" +
                        of_run,
                    params);
    for (int i = 0; i < metrics.size(); ++i) {
      keys.push_back(SeriesKey{metrics.Text(i, 0), metrics.Text(i, 1),
                               static_cast<int>(metrics.Int(i, 2)), metrics.Text(i, 3)});
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  });
}

namespace {

// The LIKE pattern of `glob`'s literal prefix ("gemm.int8/*" reads only the
// names from "gemm.int8/" on in results_name), its % and _ escaped.
std::string LikePrefix(const std::string& glob) {
  std::string like;
  for (char c : glob) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') break;
    if (c == '%' || c == '_') like += '\\';
    like += c;
  }
  return like + "%";
}

}  // namespace

Result<std::vector<SeriesKey>> PostgresStore::SeriesMatching(const std::string& glob) {
  return PgGuarded("read series matching " + glob, [&]() -> Result<std::vector<SeriesKey>> {
    const PgRows rows = impl_->Exec(
        "SELECT DISTINCT m.fingerprint, res.name, res.threads FROM results res"
        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
        " WHERE res.status = 'ok' AND res.name LIKE $1",
        {LikePrefix(glob)});
    std::vector<SeriesKey> keys;
    for (int i = 0; i < rows.size(); ++i) {
      std::string name = rows.Text(i, 1);
      if (!glob.empty() && ::fnmatch(glob.c_str(), name.c_str(), 0) != 0) continue;
      keys.push_back(SeriesKey{rows.Text(i, 0), std::move(name), static_cast<int>(rows.Int(i, 2))});
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  });
}

Result<std::vector<SeriesPoint>> PostgresStore::SeriesHistory(const SeriesKey& key) {
  auto histories = SeriesHistories({key});
  if (!histories.ok()) return histories.status();
  return std::move(histories->front());
}

Result<std::vector<std::vector<SeriesPoint>>> PostgresStore::SeriesHistories(
    const std::vector<SeriesKey>& keys) {
  return PgGuarded(
      ReadingHistoriesOf(keys), [&]() -> Result<std::vector<std::vector<SeriesPoint>>> {
        const SeriesByMachine wanted = GroupByMachine(keys);
        std::map<std::string, bool> wants_metrics;
        for (const SeriesKey& key : keys)
          wants_metrics[key.machine_fingerprint] |= key.metric != "time";
        std::vector<HistoryBuilder> builders(keys.size());
        for (const auto& [machine, series] : wanted) {
          // One pass over the machine's ok results, in the order they were
          // stored; a single name narrows it in SQL. The record comes only when
          // a metric's series needs it.
          const bool one_name = series.size() == 1;
          const std::string select =
              "SELECT res.name, res.threads, v.commit_sha, v.commit_time, r.id, r.started_at,"
              " res.samples_ns, CASE WHEN $2 THEN res.record END"
              " FROM machines m JOIN runs r ON r.machine_id = m.id"
              " JOIN revisions v ON v.id = r.revision_id JOIN results res ON res.run_id = r.id"
              " WHERE m.fingerprint = $1 AND res.status = 'ok'";
          const std::string order = " ORDER BY r.started_at, r.seq, res.seq";
          const PgParam metrics = wants_metrics[machine] ? "true" : "false";
          // Row by row as they arrive: a machine's millions of results are never
          // held at once.
          impl_->ForEachRow(
              one_name ? select + " AND res.name = $3" + order : select + order,
              one_name ? std::vector<PgParam>{machine, metrics, series.begin()->first.first}
                       : std::vector<PgParam>{machine, metrics},
              [&](const PgRows& row) {
                const auto it = series.find({row.Text(0, 0), static_cast<int>(row.Int(0, 1))});
                if (it == series.end()) return;
                AddResult(keys, it->second, builders, row.Text(0, 2), row.Opt(0, 3), row.View(0, 4),
                          row.View(0, 5), row.View(0, 6), [&] { return row.View(0, 7); });
              });
        }
        std::vector<std::vector<SeriesPoint>> out;
        out.reserve(keys.size());
        for (HistoryBuilder& builder : builders) out.push_back(builder.Take());
        return out;
      });
}

}  // namespace effbench::store
