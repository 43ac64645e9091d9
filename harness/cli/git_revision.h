// The revision a command records: the flags (--repo, --commit, --branch,
// --commit-time), completed from the git checkout in the current directory.
#pragma once

#include "core/flags.h"
#include "harness/result/record.h"

namespace effbench::cli {

// The commit is "unknown" outside a git checkout when --commit is not given.
// The commit time is stored as UTC (series are ordered by its text).
result::Revision ResolveRevision(const Flags& flags);

}  // namespace effbench::cli
