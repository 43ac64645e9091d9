#include "harness/analysis/compare.h"

#include <cmath>
#include <set>

#include "harness/stats/tests.h"
#include "reports/text_table.h"

namespace effbench::analysis {
namespace {

struct Key {
  std::string machine, name;
  int threads;
  auto operator<=>(const Key&) const = default;
};

std::map<Key, std::vector<double>> Pool(const std::vector<result::ResultRecord>& records) {
  std::map<Key, std::vector<double>> pooled;
  for (const auto& r : records) {
    if (!r.ok || r.samples_ns.empty()) continue;
    auto& samples = pooled[Key{r.machine, r.name, r.threads}];
    samples.insert(samples.end(), r.samples_ns.begin(), r.samples_ns.end());
  }
  return pooled;
}

}  // namespace

reports::Comparison CompareRecords(const std::vector<result::ResultRecord>& baseline,
                                   const std::vector<result::ResultRecord>& candidate,
                                   const std::map<std::string, std::string>& hosts,
                                   const CompareOptions& o) {
  reports::Comparison c;
  c.threshold = o.threshold;
  c.alpha = o.alpha;
  c.confidence = o.confidence;
  const auto base = Pool(baseline), cand = Pool(candidate);
  std::vector<double> pvalues;
  for (const auto& [key, b] : base) {
    const auto it = cand.find(key);
    if (it == cand.end()) {
      ++c.only_in_baseline;
      continue;
    }
    const std::vector<double>& x = it->second;
    reports::ComparisonRow row;
    row.machine = key.machine;
    const auto host = hosts.find(key.machine);
    row.host = host != hosts.end() ? host->second : key.machine.substr(0, 12);
    row.name = key.name;
    row.threads = key.threads;
    row.baseline_n = b.size();
    row.candidate_n = x.size();
    row.baseline_median_ns = stats::Median(b);
    row.candidate_median_ns = stats::Median(x);
    const auto ci = stats::BootstrapMedianRatio(b, x, o.confidence, o.resamples);
    row.ratio = ci.ratio;
    row.ratio_low = ci.low;
    row.ratio_high = ci.high;
    row.pvalue = stats::MannWhitneyU(b, x).p;
    if (stats::MinimumMannWhitneyP(b.size(), x.size()) > o.alpha) {
      row.warning = std::to_string(b.size()) + " vs " + std::to_string(x.size()) +
                    " repetitions can never reach p < " + reports::Fixed(o.alpha, 3) +
                    ": run with --repetitions 5 or more";
    }
    pvalues.push_back(row.pvalue);
    c.rows.push_back(std::move(row));
  }
  for (const auto& [key, x] : cand) c.only_in_candidate += !base.count(key);
  const auto q = stats::BenjaminiHochberg(pvalues);
  for (size_t i = 0; i < c.rows.size(); ++i) {
    auto& r = c.rows[i];
    r.qvalue = q[i];
    const bool big = std::fabs(r.ratio - 1) >= o.threshold;
    if (r.qvalue <= o.alpha && big) {
      r.verdict = r.ratio > 1 ? "regression" : "improvement";  // time: lower is better
    } else {
      r.verdict = "unchanged";
    }
  }
  return c;
}

Result<std::vector<store::RunRow>> ResolveRuns(const std::vector<store::RunRow>& runs,
                                               const std::string& selector) {
  if (selector.empty()) return Status::InvalidArgument("an empty run or commit");
  std::vector<store::RunRow> by_id;
  for (const auto& r : runs) {
    if (r.id == selector || (selector.size() >= 8 && r.id.rfind(selector, 0) == 0)) {
      by_id.push_back(r);
    }
  }
  if (by_id.size() == 1) return by_id;
  if (by_id.size() > 1) {
    return Status::InvalidArgument("\"" + selector + "\" is the start of " +
                                   std::to_string(by_id.size()) + " run ids; give more of it");
  }
  std::vector<store::RunRow> by_commit;
  std::set<std::string> commits;
  if (selector.size() >= 4) {
    for (const auto& r : runs) {
      if (r.revision.commit.rfind(selector, 0) == 0) {
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
    std::string recent;
    for (size_t i = 0; i < runs.size() && i < 3; ++i) {
      recent += (recent.empty() ? "" : ", ") + runs[i].id.substr(0, 8) + " (commit " +
                runs[i].revision.commit.substr(0, 10) + ")";
    }
    return Status::NotFound("no run or commit \"" + selector + "\" in the database" +
                            (recent.empty() ? "" : "; latest runs: " + recent));
  }
  return by_commit;
}

}  // namespace effbench::analysis
