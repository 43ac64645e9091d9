#include "harness/analysis/compare.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "harness/stats/tests.h"
#include "reports/text_table.h"

namespace effbench::analysis {
namespace {

struct Series {
  std::string machine, name;
  int threads;
  auto operator<=>(const Series&) const = default;
};

struct Key {
  Series series;
  std::string metric;
  auto operator<=>(const Key&) const = default;
};

struct Pooled {
  std::string unit, better;
  std::vector<double> values;
};

bool Selected(const result::ResultRecord& r, const CompareOptions& o) {
  return o.filter.empty() || fnmatch(o.filter.c_str(), result::DisplayName(r.name).c_str(), 0) == 0;
}

bool Wanted(const std::string& metric, const CompareOptions& o) {
  return o.metrics.empty() || o.metrics.count(metric) > 0;
}

std::map<Key, Pooled> Pool(const std::vector<result::ResultRecord>& records,
                           const CompareOptions& o) {
  std::map<Key, Pooled> pooled;
  for (const auto& r : records) {
    if (!r.ok || r.samples_ns.empty() || !Selected(r, o)) continue;
    const Series series{r.machine, r.name, r.threads};
    if (Wanted("time", o)) {
      auto& time = pooled[Key{series, "time"}];
      time.unit = "ns";
      time.better = "lower";
      time.values.insert(time.values.end(), r.samples_ns.begin(), r.samples_ns.end());
    }
    for (const result::Metric& m : r.metrics) {
      if (!Wanted(m.name, o)) continue;
      auto& pool = pooled[Key{series, m.name}];
      pool.unit = m.unit;
      pool.better = m.better;
      for (double v : m.values) {
        if (std::isfinite(v) && v > 0) pool.values.push_back(v);  // a ratio needs positives
      }
    }
  }
  return pooled;
}

std::string HostOf(const std::map<std::string, std::string>& hosts, const std::string& machine) {
  const auto host = hosts.find(machine);
  return host != hosts.end() ? host->second : machine.substr(0, 12);
}

// The verdict of a row from its interval, its q and the measure's direction.
std::string Verdict(const reports::ComparisonRow& r, const CompareOptions& o) {
  const bool big = std::fabs(r.ratio - 1) >= o.threshold;
  if (r.qvalue <= o.alpha && big) {
    if (r.better == "none") return "changed";
    const bool worse = r.better == "higher" ? r.ratio < 1 : r.ratio > 1;
    return worse ? "regression" : "improvement";
  }
  const bool inside = r.ratio_low >= 1 - o.threshold && r.ratio_high <= 1 + o.threshold;
  return inside ? "unchanged" : "inconclusive";
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
  const auto base = Pool(baseline, o), cand = Pool(candidate, o);
  // Why a series of the candidate has nothing to compare.
  std::map<Series, std::string> not_ok;
  std::set<Series> base_series, cand_series;
  for (const auto& r : candidate) {
    if (!Selected(r, o)) continue;
    const Series series{r.machine, r.name, r.threads};
    if (!r.ok) not_ok[series] = std::string(r.StatusName()) + ": " + r.error;
  }
  std::vector<double> pvalues;
  for (const auto& [key, b] : base) {
    base_series.insert(key.series);
    const auto it = cand.find(key);
    if (it == cand.end() || it->second.values.empty() || b.values.empty()) continue;
    const std::vector<double>& x = it->second.values;
    reports::ComparisonRow row;
    row.machine = key.series.machine;
    row.host = HostOf(hosts, key.series.machine);
    row.name = key.series.name;
    row.threads = key.series.threads;
    row.metric = key.metric;
    row.unit = b.unit;
    row.better = b.better;
    row.baseline_n = b.values.size();
    row.candidate_n = x.size();
    row.baseline_median = stats::Median(b.values);
    row.candidate_median = stats::Median(x);
    const auto ci = stats::BootstrapMedianRatio(b.values, x, o.confidence, o.resamples);
    row.ratio = ci.ratio;
    row.ratio_low = ci.low;
    row.ratio_high = ci.high;
    row.pvalue = stats::MannWhitneyU(b.values, x).p;
    if (row.name.ends_with("_BigO@native")) {
      row.warning = "a complexity fit is one value per run: its change is shown, never confirmed";
    } else if (stats::MinimumMannWhitneyP(b.values.size(), x.size()) > o.alpha) {
      const bool gbench = row.name.starts_with("gbench/");
      row.warning = std::to_string(b.values.size()) + " vs " + std::to_string(x.size()) +
                    " repetitions can never reach p < " + reports::Fixed(o.alpha, 3) +
                    (gbench ? ": run the benchmark with --benchmark_repetitions=5 or more "
                              "(without --benchmark_report_aggregates_only)"
                            : ": run with --repetitions 5 or more");
    }
    pvalues.push_back(row.pvalue);
    c.rows.push_back(std::move(row));
  }
  for (const auto& [key, x] : cand) cand_series.insert(key.series);
  for (const Series& s : base_series) {
    if (cand_series.count(s)) continue;
    ++c.only_in_baseline;
    const auto why = not_ok.find(s);
    c.missing.push_back({HostOf(hosts, s.machine), s.name, s.threads,
                         why != not_ok.end() ? why->second : "absent"});
  }
  for (const Series& s : cand_series) c.only_in_candidate += !base_series.count(s);
  const auto q = stats::BenjaminiHochberg(pvalues);
  std::map<std::string, std::pair<size_t, double>> logs;  // metric -> (n, sum of log ratios)
  for (size_t i = 0; i < c.rows.size(); ++i) {
    auto& r = c.rows[i];
    r.qvalue = q[i];
    r.verdict = Verdict(r, o);
    if (r.ratio > 0) {
      auto& [n, sum] = logs[r.metric];
      ++n;
      sum += std::log(r.ratio);
    }
  }
  for (const auto& [metric, acc] : logs) {
    c.geomeans.push_back(
        {metric, acc.first, std::exp(acc.second / static_cast<double>(acc.first))});
  }
  std::stable_partition(c.geomeans.begin(), c.geomeans.end(),
                        [](const auto& g) { return g.metric == "time"; });
  return c;
}

}  // namespace effbench::analysis
