#include "harness/cli/git_revision.h"

#include <cstdio>

#include "core/time.h"

namespace effbench::cli {
namespace {

// The first line printed by `command`, or empty when it fails.
std::string FirstLine(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return {};
  char buf[512] = {};
  std::string line = fgets(buf, sizeof buf, pipe) ? buf : "";
  if (pclose(pipe) != 0) return {};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

result::Revision ResolveRevision(const Flags& flags) {
  result::Revision rev;
  const bool in_git = !FirstLine("git rev-parse --is-inside-work-tree").empty();
  rev.commit = flags.GetOr("commit", in_git ? FirstLine("git rev-parse HEAD") : "");
  if (rev.commit.empty()) rev.commit = "unknown";
  rev.repo = flags.GetOr("repo", in_git ? FirstLine("git config --get remote.origin.url") : "");
  rev.branch = flags.GetOr("branch", in_git ? FirstLine("git rev-parse --abbrev-ref HEAD") : "");
  if (auto given = flags.Get("commit-time")) {
    rev.time = *given;  // an explicit order (checked by CheckCommitTime), e.g. for commits git does
                        // not know here
  } else if (in_git && rev.commit != "unknown") {
    const std::string time = FirstLine("git show -s --format=%cI " + rev.commit);
    if (!time.empty()) rev.time = time;
  }
  // Stored as UTC: series are ordered by this text, and git writes the
  // committer's own offset (+01:00 sorts after a later Z time).
  if (rev.time) {
    if (auto t = effbench::ParseIso8601(*rev.time); t.ok()) rev.time = effbench::Iso8601(*t);
  }
  return rev;
}

}  // namespace effbench::cli
