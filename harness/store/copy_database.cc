// CopyDatabase: `effbench db copy`, between any two backends.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "harness/store/stores.h"
#include "harness/store/tables.h"

namespace effbench::store {
namespace {

// The count and checksum of a table's rows as `db` holds them.
Result<RowChecksum> Summarize(Store& db, const Table& table) {
  RowChecksum sum;
  EFFBENCH_RETURN_IF_ERROR(db.ReadRows(table, [&](std::vector<Row>&& rows) {
    for (const Row& row : rows) sum.Add(row);
    return Status::Ok();
  }));
  return sum;
}

std::string Hex(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

Result<std::vector<std::string>> CopyDatabase(const std::string& from, const std::string& to,
                                              ServerTransport transport) {
  if (from == to) return Status::InvalidArgument("--from and --to name the same database");
  auto source = OpenStore(from, Durability::kNormal, OpenCheck::kQuickCheck, transport);
  if (!source.ok()) return source.status().WithContext("--from");
  auto target = OpenStore(to, Durability::kNormal, OpenCheck::kQuickCheck, transport);
  if (!target.ok()) return target.status().WithContext("--to");
  if ((*source)->SchemaVersion() != (*target)->SchemaVersion()) {
    return Status::FailedPrecondition("the databases are at schema versions " +
                                      std::to_string((*source)->SchemaVersion()) + " and " +
                                      std::to_string((*target)->SchemaVersion()));
  }
  // The target holds nothing: a copy never mixes two databases' rows.
  for (const Table& table : PortableTables()) {
    auto held = Summarize(**target, table);
    if (!held.ok()) return held.status().WithContext("--to");
    if (held->rows() != 0) {
      return Status::FailedPrecondition(to + " is not empty (its " + table.name + " holds " +
                                        std::to_string(held->rows()) +
                                        " rows); db copy fills only an empty database");
    }
  }
  std::vector<std::string> lines;
  for (const Table& table : PortableTables()) {
    RowChecksum copied;
    const Status moved = (*source)->ReadRows(table, [&](std::vector<Row>&& rows) {
      for (const Row& row : rows) copied.Add(row);
      return (*target)->WriteRows(table, rows);
    });
    if (!moved.ok()) return moved.WithContext("copying " + table.name);
    auto arrived = Summarize(**target, table);
    if (!arrived.ok()) return arrived.status().WithContext("reading " + table.name + " back");
    if (arrived->rows() != copied.rows() || arrived->value() != copied.value()) {
      return Status::Internal(table.name + ": " + std::to_string(copied.rows()) +
                              " rows copied (checksum " + Hex(copied.value()) + "), " +
                              std::to_string(arrived->rows()) + " read back (checksum " +
                              Hex(arrived->value()) + ")");
    }
    lines.push_back(table.name + ": " + std::to_string(copied.rows()) + " rows, checksum " +
                    Hex(copied.value()) + " read back alike");
  }
  EFFBENCH_RETURN_IF_ERROR((*target)->FinishCopy());
  return lines;
}

}  // namespace effbench::store
