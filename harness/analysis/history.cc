#include "harness/analysis/history.h"

#include <algorithm>
#include <set>

#include "harness/analysis/machine_comparison.h"
#include "harness/stats/tests.h"

namespace effbench::analysis {

Result<reports::History> BuildHistory(store::QueryStore& db, const HistoryOptions& o) {
  auto directory = MachineDirectory::Load(db);
  if (!directory.ok()) return directory.status();
  auto matching = db.SeriesMatching(o.workloads);
  if (!matching.ok()) return matching.status();
  std::set<store::SeriesKey> keys;
  for (auto& key : *matching) {
    if (!o.machines.empty() &&
        std::none_of(o.machines.begin(), o.machines.end(), [&](const std::string& m) {
          return directory->Matches(m, key.machine_fingerprint);
        })) {
      continue;
    }
    if (o.threads && key.threads != *o.threads) continue;
    keys.insert(std::move(key));
  }
  if (keys.empty()) {
    return Status::NotFound("no series matches" +
                            (o.workloads.empty() ? std::string() : " --workloads " + o.workloads) +
                            (o.machines.empty() ? std::string() : " on the machines given"));
  }
  if (keys.size() > o.max_series) {
    return Status::InvalidArgument(std::to_string(keys.size()) + " series match (at most " +
                                   std::to_string(o.max_series) +
                                   " are drawn): narrow --workloads or --machines");
  }
  reports::History history;
  for (const auto& key : keys) {
    reports::HistorySeries s;
    s.anchor = "series-" + std::to_string(history.series.size() + 1);
    s.fingerprint = key.machine_fingerprint;
    s.machine_label = directory->Label(key.machine_fingerprint);
    s.name = key.name;
    s.threads = key.threads;
    auto points = db.SeriesHistory(key);
    if (!points.ok()) return points.status();
    for (auto& p : *points) {
      if (p.samples_ns.empty()) continue;
      std::sort(p.samples_ns.begin(), p.samples_ns.end());
      s.points.push_back({p.commit, p.commit_time.value_or(""), p.first_run, p.samples_ns.size(),
                          stats::Quantile(p.samples_ns, 0.5), stats::Quantile(p.samples_ns, 0.25),
                          stats::Quantile(p.samples_ns, 0.75)});
    }
    auto changes = db.RegressionsOf(key);
    if (!changes.ok()) return changes.status();
    for (const auto& c : *changes) {
      if (c.state == "withdrawn") continue;
      s.changes.push_back(
          {c.id, c.direction, c.state, c.last_good_commit, c.first_bad_commit, c.change, c.pvalue});
    }
    history.series.push_back(std::move(s));
  }
  std::stable_sort(history.series.begin(), history.series.end(),
                   [](const reports::HistorySeries& a, const reports::HistorySeries& b) {
                     return std::tie(a.machine_label, a.name, a.threads) <
                            std::tie(b.machine_label, b.name, b.threads);
                   });
  for (size_t i = 0; i < history.series.size(); ++i) {
    history.series[i].anchor = "series-" + std::to_string(i + 1);
  }
  return history;
}

}  // namespace effbench::analysis
