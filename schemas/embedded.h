// The schemas and SQL migrations, compiled into the binary so that effbench
// needs no files beside it at run time. Generated from the files in schemas/.
#pragma once

#include <string_view>
#include <vector>

namespace effbench::schemas {

struct Migration {
  int version;            // from the file name: 0001_initial.sql is version 1
  std::string_view name;  // the file name
  std::string_view sql;
};

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

// schemas/sql/*.sql in version order.
const std::vector<Migration>& Migrations();

}  // namespace effbench::schemas
