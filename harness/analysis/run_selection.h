// Which runs a user means: by a prefix of a run id, or by a commit, and the
// shortest prefix that names each run without doubt.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/store/stores.h"

namespace effbench::analysis {

// The runs a user means by `selector`: a run id (or a unique prefix of one,
// 8 characters at least), else every run of the commit it names (a prefix of
// 4 or more hex digits). NotFound, or InvalidArgument when ambiguous, listing
// the candidates with what tells them apart.
Result<std::vector<store::RunRow>> ResolveRuns(const std::vector<store::RunRow>& runs,
                                               const std::string& selector);

// The one run whose id starts with `prefix` (4 characters at least).
// NotFound (naming the latest runs) or InvalidArgument (listing the
// candidates with their shortest unique prefixes, commits and start times).
Result<store::RunRow> ResolveRunId(const std::vector<store::RunRow>& runs,
                                   const std::string& prefix);

// For each run id, the shortest prefix of it (8 characters at least) that no
// other run id starts with: UUIDv7 ids made within a minute share their first
// 8 characters.
std::map<std::string, std::string> UniquePrefixes(const std::vector<store::RunRow>& runs);

// "01a22ad2-fbb1 (commit c0ffee01, 2026-11-30T05:02:28Z, quick, incomplete)":
// a run as a candidate in an ambiguity, or a line of `effbench runs`.
std::string DescribeRun(const store::RunRow& run, const std::string& short_id);

}  // namespace effbench::analysis
