// The tables of the results database as `effbench db copy` moves them
// between backends: each table's portable columns (what SQLite and
// PostgreSQL both hold), typed, listed in an order that respects foreign
// keys. A backend's own columns (PostgreSQL's seq and month, SQLite's rowid)
// are not portable: the target makes them again, in the order rows arrive.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace effbench::store {

enum class ColumnType { kText, kInteger, kReal };

struct Column {
  std::string name;
  ColumnType type;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::string key;  // what orders rows as they were stored, apart from rowid or seq
};

// The columns of regressions in RegressionRow's order, as every backend
// selects them.
inline constexpr char kRegressionColumns[] =
    "id, machine_fingerprint, name, threads, metric, last_good_commit, first_bad_commit,"
    " first_bad_run, change, pvalue, mean_before, mean_after, points_before, points_after,"
    " direction, state, detected_at, updated_at, reason, fixed_last_bad_commit,"
    " fixed_first_good_commit, pruned_at";

// The runs a prune removes: started before ?1 (ISO 8601 text), and not of
// a job still queued or dispatched. Its only parameter is ?1 (PostgreSQL: $1).
inline constexpr char kPrunedRuns[] =
    "SELECT id FROM runs WHERE started_at < ?1 AND id NOT IN"
    " (SELECT run_id FROM jobs WHERE state IN ('queued', 'dispatched'))";

// How many runs started before ?1 a prune keeps for their unfinished jobs.
inline constexpr char kRunsKeptForJobs[] =
    "SELECT count(*) FROM runs WHERE started_at < ?1 AND id IN"
    " (SELECT run_id FROM jobs WHERE state IN ('queued', 'dispatched'))";

// What a prune deletes once the pruned runs' results are gone, in this
// order, each with the one parameter ?1: their counts, checks and ended
// jobs, and last the runs themselves (whose count is the prune's).
std::vector<std::string> PruneRunDeletes();

// The changes a prune marks: those of a series that loses results (?1 the
// date, ?2 the time of the prune).
inline constexpr char kMarkPrunedRegressions[] =
    "UPDATE regressions SET pruned_at = ?2 WHERE pruned_at IS NULL AND EXISTS (SELECT 1 FROM"
    " results res JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
    " WHERE m.fingerprint = regressions.machine_fingerprint AND res.name = regressions.name"
    " AND res.threads = regressions.threads AND r.id IN (SELECT id FROM runs WHERE"
    " started_at < ?1 AND id NOT IN (SELECT run_id FROM jobs WHERE state IN ('queued',"
    " 'dispatched'))))";

// machines, revisions, runs, results, run_counts, run_checks, regressions,
// agents, agent_keys, jobs.
const std::vector<Table>& PortableTables();

// "a, b, c": the names of `table`'s columns.
std::string ColumnList(const Table& table);

// A value of a row: NULL, or of its column's type.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Value>;

// An order-independent checksum of rows: equal for the same rows, whatever
// the backend that read them.
class RowChecksum {
 public:
  void Add(const Row& row);
  uint64_t value() const { return sum_; }
  int64_t rows() const { return rows_; }

 private:
  uint64_t sum_ = 0;
  int64_t rows_ = 0;
};

}  // namespace effbench::store
