// The schemas and SQL migrations, compiled into the binary so that effbench
// needs no files beside it at run time. Generated from the files in schemas/.
#pragma once

#include <string_view>
#include <vector>

namespace effbench::schemas {

// One step of the results database's schema, for both backends: the SQLite
// SQL, and PostgreSQL's dialect where the SQL differs.
//
// A PostgreSQL database begins at a baseline (kPostgresBaseline): its
// migration creates the whole schema of that version at once, and no
// PostgreSQL database is older, so the steps before it never run there.
// After the baseline, a step runs its `postgres_sql` where it has one and its
// `sql` where it has none (SQL that both understand).
struct Migration {
  int version;            // from the file name: 0001_initial.sql is version 1
  std::string_view name;  // the file name
  std::string_view sql;
  std::string_view postgres_name;  // "postgres/0011_baseline.sql"; empty: none
  std::string_view postgres_sql;
};

inline constexpr int kPostgresBaseline = 11;

// schemas/result.schema.json
std::string_view ResultSchemaJson();
// schemas/workload.schema.json
std::string_view WorkloadSchemaJson();
// schemas/suite.schema.json
std::string_view SuiteSchemaJson();

struct ProtocolSchema {
  std::string_view type;  // the message type: hello.schema.json describes "hello"
  std::string_view json;
};

// schemas/protocol/*.schema.json, one for each fleet message type.
const std::vector<ProtocolSchema>& ProtocolSchemas();

// schemas/sql/*.sql in version order, with schemas/sql/postgres/*.sql.
const std::vector<Migration>& Migrations();

}  // namespace effbench::schemas
