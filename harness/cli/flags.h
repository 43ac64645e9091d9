// The CLI's flags (core/flags.h, on CLI11) and what most commands do first
// with them: read --format, open the database named by --db.
#pragma once

#include <memory>

#include "core/flags.h"
#include "core/status.h"
#include "harness/stats/change_points.h"
#include "harness/store/stores.h"

namespace effbench::cli {

// The --format of a command that writes console text or JSON: true for
// json, false for console (the default), InvalidArgument naming the value
// otherwise.
Result<bool> ListFormatIsJson(const Flags& flags);

// The change detection flags (command_specs.h, Detection()) over the
// defaults every detector shares (stats::kDetectionDefaults), or
// InvalidArgument naming the flag out of range.
Result<stats::ChangePointOptions> DetectionFromFlags(const Flags& flags);

// --insecure: whether a PostgreSQL server on another machine may be reached
// without TLS.
store::ServerTransport TransportFromFlags(const Flags& flags);

// Opens the existing database named by --db (with --insecure): a missing
// file is an error, not a new database.
// `check`: kNone for commands that only read (report, history).
Result<std::unique_ptr<store::Store>> OpenExisting(
    const Flags& flags, store::OpenCheck check = store::OpenCheck::kQuickCheck);

}  // namespace effbench::cli
