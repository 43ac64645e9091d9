// The HTTP API's read-only views of the database: the live report and
// history pages (/ and /history), and /api/report, /api/history, /api/runs,
// /api/machines and /api/results as JSON. They take the read-only query
// interface and none of the coordinator's state: the coordinator runs them on
// its reader thread, and a test runs them on a fake store.
#pragma once

#include <map>
#include <string>

#include "harness/store/stores.h"

namespace effbench::coordinator {

// A response: its HTTP status, content type and body.
struct View {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Whether `path` is one of these views.
bool IsDatabaseView(const std::string& path);

// The view at `path` with the decoded `query` parameters, read from `db`.
// A bad query is 400 and a missing thing 404, with {"error": ...} (an HTML
// page for / and /history); a store that fails is 500 with its message.
View DatabaseView(const std::string& path, const std::map<std::string, std::string>& query,
                  store::QueryStore& db);

}  // namespace effbench::coordinator
