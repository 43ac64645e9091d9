#include "harness/analysis/run_selection.h"

#include <algorithm>
#include <set>

namespace effbench::analysis {
namespace {

// At most this many candidates are listed in an ambiguity.
constexpr size_t kListed = 10;

std::string Candidates(const std::vector<store::RunRow>& all,
                       const std::vector<store::RunRow>& matching) {
  const auto prefixes = UniquePrefixes(all);
  std::string list;
  for (size_t i = 0; i < matching.size() && i < kListed; ++i) {
    list.append(i ? "; " : "").append(DescribeRun(matching[i], prefixes.at(matching[i].id)));
  }
  if (matching.size() > kListed) {
    list.append("; and ").append(std::to_string(matching.size() - kListed)).append(" more");
  }
  return list;
}

// "; latest runs: ..." (the three newest), or nothing in an empty database:
// what a user who named no run that exists can pick from.
std::string Latest(const std::vector<store::RunRow>& runs) {
  if (runs.empty()) return {};
  const std::vector<store::RunRow> latest(runs.begin(),
                                          runs.begin() + std::min<long>(3, long(runs.size())));
  return "; latest runs: " + Candidates(runs, latest);
}

}  // namespace

std::map<std::string, std::string> UniquePrefixes(const std::vector<store::RunRow>& runs) {
  std::vector<std::string> ids;
  for (const auto& r : runs) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  const auto common = [](const std::string& a, const std::string& b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
  };
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    size_t shared = 0;
    if (i > 0) shared = std::max(shared, common(ids[i], ids[i - 1]));
    if (i + 1 < ids.size()) shared = std::max(shared, common(ids[i], ids[i + 1]));
    size_t length = std::max<size_t>(8, shared + 1);
    if (length < ids[i].size() && ids[i][length - 1] == '-') ++length;  // not ending on a dash
    out[ids[i]] = ids[i].substr(0, std::min(length, ids[i].size()));
  }
  return out;
}

std::string DescribeRun(const store::RunRow& run, const std::string& short_id) {
  std::string text = short_id;
  text.append(" (commit ").append(run.revision.commit.substr(0, 10));
  text.append(", ").append(run.started_at).append(", ").append(run.suite);
  if (!run.finished_at) text.append(", incomplete");
  text.append(")");
  return text;
}

Result<store::RunRow> ResolveRunId(const std::vector<store::RunRow>& runs,
                                   const std::string& prefix) {
  if (prefix.size() < 4) {
    return Status::InvalidArgument("run id \"" + prefix + "\": give 4 characters or more");
  }
  std::vector<store::RunRow> matching;
  for (const auto& r : runs) {
    if (r.id == prefix) return r;
    if (r.id.starts_with(prefix)) matching.push_back(r);
  }
  if (matching.size() == 1) return matching.front();
  if (matching.size() > 1) {
    return Status::InvalidArgument("\"" + prefix + "\" is the start of " +
                                   std::to_string(matching.size()) +
                                   " run ids: " + Candidates(runs, matching));
  }
  return Status::NotFound("no run \"" + prefix + "\" in the database" + Latest(runs));
}

Result<std::vector<store::RunRow>> ResolveRuns(const std::vector<store::RunRow>& runs,
                                               const std::string& selector) {
  if (selector.empty()) return Status::InvalidArgument("an empty run or commit");
  std::vector<store::RunRow> by_id;
  for (const auto& r : runs) {
    if (r.id == selector || (selector.size() >= 8 && r.id.starts_with(selector))) {
      by_id.push_back(r);
    }
  }
  if (by_id.size() == 1) return by_id;
  if (by_id.size() > 1) {
    return Status::InvalidArgument("\"" + selector + "\" is the start of " +
                                   std::to_string(by_id.size()) +
                                   " run ids; give more of it: " + Candidates(runs, by_id));
  }
  std::vector<store::RunRow> by_commit;
  std::set<std::string> commits;
  if (selector.size() >= 4) {
    for (const auto& r : runs) {
      if (r.revision.commit.starts_with(selector)) {
        by_commit.push_back(r);
        commits.insert(r.revision.commit);
      }
    }
  }
  if (commits.size() > 1) {
    std::string list;
    for (const auto& c : commits) list += (list.empty() ? "" : ", ") + c;
    return Status::InvalidArgument("\"" + selector + "\" is the start of several commits: " + list);
  }
  if (by_commit.empty()) {
    return Status::NotFound("no run or commit \"" + selector + "\" in the database" + Latest(runs));
  }
  return by_commit;
}

}  // namespace effbench::analysis
