#include "harness/analysis/regressions.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/time.h"
#include "harness/result/record.h"
#include "harness/stats/tests.h"
#include "reports/text_table.h"

namespace effbench::analysis {

namespace {

// The first index k > `at` from which every value to the end (at least
// `min_points` of them) is nearer `before` than `after`: where a series came
// back to its old level. nullopt when it has not.
std::optional<size_t> ReturnedAt(const std::vector<double>& values, size_t at, double before,
                                 double after, size_t min_points) {
  std::optional<size_t> since;
  for (size_t k = values.size(); k-- > at + 1;) {
    if (std::abs(values[k] - before) >= std::abs(values[k] - after)) break;
    since = k;
  }
  if (!since || values.size() - *since < min_points) return std::nullopt;
  return since;
}

// Keeps the stored changes of a series true to its history, without ever
// deleting one or reusing its id: a regression whose series came back to its
// old level is fixed, with the commit range of the recovery; a change the
// history no longer supports is withdrawn, with the reason. Only changes in
// state new or acknowledged move: what a user marked stays as marked.
Status ResolveStored(store::RegressionStore& db, const store::SeriesKey& series,
                     const std::vector<store::SeriesPoint>& history,
                     const std::vector<double>& values,
                     const std::vector<store::RegressionRow>& found, const DetectionOptions& o,
                     const std::string& now) {
  auto stored = db.RegressionsOf(series);
  if (!stored.ok()) return stored.status();
  for (const store::RegressionRow& r : *stored) {
    if (r.state != "new" && r.state != "acknowledged") continue;
    size_t at = history.size();
    for (size_t i = 0; i < history.size(); ++i) {
      if (history[i].commit == r.first_bad_commit) at = i;
    }
    // A prune took results of its series: the change stands as stored.
    if (r.pruned_at && (at == history.size() || at == 0)) continue;
    if (at == history.size()) {
      EFFBENCH_RETURN_IF_ERROR(db.ResolveRegression(
          r.id, "withdrawn",
          "commit " + r.first_bad_commit + " has no result left in this series' history",
          std::nullopt, std::nullopt, now));
      continue;
    }
    const bool regression = r.direction == "regression";
    if (regression) {
      if (auto back = ReturnedAt(values, at, r.mean_before, r.mean_after, o.min_points_after)) {
        std::string reason = "back to its old level from commit ";
        reason += history[*back].commit;
        reason += " on (";
        reason += std::to_string(values.size() - *back);
        reason += " commits)";
        EFFBENCH_RETURN_IF_ERROR(db.ResolveRegression(
            r.id, "fixed", reason, history[*back - 1].commit, history[*back].commit, now));
        continue;
      }
    }
    const bool still_found = std::any_of(found.begin(), found.end(), [&](const auto& f) {
      return f.first_bad_commit == r.first_bad_commit;
    });
    // Its last few commits back at the old level, not yet enough to call it
    // fixed: the detector no longer sees the change (too few points on each
    // side), but neither is it gone. Wait for the next commits.
    const bool recovering =
        regression && ReturnedAt(values, at, r.mean_before, r.mean_after, 1).has_value();
    if (!still_found && !recovering && !r.pruned_at) {
      std::string reason = "not found any more with the history up to commit ";
      reason += history.back().commit;
      reason += " (";
      reason += std::to_string(history.size());
      reason += " commits)";
      EFFBENCH_RETURN_IF_ERROR(
          db.ResolveRegression(r.id, "withdrawn", reason, std::nullopt, std::nullopt, now));
    }
  }
  return Status::Ok();
}

}  // namespace

namespace {

// CheckSeries on a history already read.
Result<std::vector<store::RegressionRow>> CheckHistory(
    store::RegressionStore& db, const store::SeriesKey& series,
    const std::vector<store::SeriesPoint>& history, const DetectionOptions& o) {
  std::vector<double> values;
  for (const auto& p : history) values.push_back(stats::Median(p.samples_ns));
  stats::ChangePointOptions cpd = o.change_points;
  if (values.size() >= 200) cpd.window = std::max<size_t>(cpd.window, 50);
  std::vector<store::RegressionRow> found;
  const std::string now = effbench::UtcNowIso8601();
  const auto cps = stats::DetectChangePoints(values, cpd);
  for (const stats::ChangePoint& cp : cps) {
    if (values.size() - cp.index < o.min_points_after) continue;
    store::RegressionRow r;
    r.series = series;
    r.metric = series.metric;
    r.last_good_commit = history[cp.index - 1].commit;
    r.first_bad_commit = history[cp.index].commit;
    r.first_bad_run = history[cp.index].first_run;
    r.change = cp.change();
    r.pvalue = cp.pvalue;
    r.mean_before = cp.mean_before;
    r.mean_after = cp.mean_after;
    size_t next = values.size(), prev = 0;
    for (const auto& other : cps) {
      if (other.index > cp.index) next = std::min(next, other.index);
      if (other.index < cp.index) prev = std::max(prev, other.index);
    }
    r.points_before = static_cast<int64_t>(cp.index - prev);
    r.points_after = static_cast<int64_t>(next - cp.index);
    // Up is worse for a time (and a metric better lower), better for a rate.
    const bool higher_better = history.back().better == "higher";
    r.direction = (r.change > 0) != higher_better ? "regression" : "improvement";
    r.state = "new";
    r.detected_at = r.updated_at = now;
    EFFBENCH_RETURN_IF_ERROR(db.UpsertRegression(r));
    found.push_back(std::move(r));
  }
  EFFBENCH_RETURN_IF_ERROR(ResolveStored(db, series, history, values, found, o, now));
  return found;
}

// How many series' histories are read in one pass: bounds the memory of a
// check over a machine with a long history of many benchmarks.
constexpr size_t kSeriesPerPass = 20000;

}  // namespace

std::set<std::string> EmulatedMachines(const std::vector<store::MachineRow>& machines) {
  std::set<std::string> out;
  for (const store::MachineRow& m : machines) {
    const auto inventory = nlohmann::json::parse(m.inventory_json, nullptr, false);
    if (inventory.is_object() && inventory.value("emulated", false)) out.insert(m.fingerprint);
  }
  return out;
}

Result<DetectionOptions> DetectionOptionsFor(store::RunReader& db,
                                             const stats::ChangePointOptions& change_points) {
  auto machines = db.Machines();
  if (!machines.ok()) return machines.status();
  DetectionOptions o;
  o.change_points = change_points;
  o.skip_machines = EmulatedMachines(*machines);
  return o;
}

Result<std::vector<store::RegressionRow>> CheckSeries(store::HistoryStore& db,
                                                      const store::SeriesKey& series,
                                                      const DetectionOptions& o) {
  if (o.skip_machines.count(series.machine_fingerprint)) {
    return std::vector<store::RegressionRow>{};
  }
  auto history = db.SeriesHistory(series);
  if (!history.ok()) return history.status();
  return CheckHistory(db, series, *history, o);
}

Result<std::vector<store::RegressionRow>> CheckRun(store::HistoryStore& db,
                                                   const std::string& run_id,
                                                   const DetectionOptions& o) {
  auto keys = db.SeriesOf(run_id);
  if (!keys.ok()) return keys.status();
  std::erase_if(*keys, [&](const store::SeriesKey& k) {
    return o.skip_machines.count(k.machine_fingerprint) > 0;
  });
  std::vector<store::RegressionRow> all;
  for (size_t begin = 0; begin < keys->size(); begin += kSeriesPerPass) {
    const std::vector<store::SeriesKey> pass(
        keys->begin() + static_cast<std::ptrdiff_t>(begin),
        keys->begin() +
            static_cast<std::ptrdiff_t>(std::min(keys->size(), begin + kSeriesPerPass)));
    auto histories = db.SeriesHistories(pass);
    if (!histories.ok()) return histories.status();
    for (size_t i = 0; i < pass.size(); ++i) {
      auto found = CheckHistory(db, pass[i], (*histories)[i], o);
      if (!found.ok()) return found.status();
      all.insert(all.end(), found->begin(), found->end());
    }
  }
  if (!run_id.empty())
    EFFBENCH_RETURN_IF_ERROR(db.MarkRunChecked(run_id, effbench::UtcNowIso8601()));
  return all;
}

Result<std::vector<store::RegressionRow>> CheckRun(store::RunReader& runs,
                                                   store::HistoryStore& history,
                                                   const std::string& run_id,
                                                   const stats::ChangePointOptions& change_points) {
  auto detection = DetectionOptionsFor(runs, change_points);
  if (!detection.ok()) return detection.status();
  return CheckRun(history, run_id, *detection);
}

std::vector<std::string> DescribeNewChanges(const std::vector<store::RegressionRow>& changes,
                                            const std::string& run_id) {
  std::vector<std::string> lines;
  for (const auto& r : changes) {
    if (r.first_bad_run != run_id) continue;
    std::string line = r.direction;
    line += r.change >= 0 ? " +" : " ";
    line += reports::Fixed(100 * r.change, 1);
    line += "% in ";
    line += result::DisplayName(r.series.name);
    if (r.metric != "time") line.append(" [").append(r.metric).append("]");
    line += " since commit ";
    line += r.last_good_commit.substr(0, 10);
    line += " (p ";
    line += reports::Scientific(r.pvalue);
    line += ")";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string Alert::Name() const {
  int64_t smallest = changes.empty() ? 0 : changes.front().id;
  for (const auto& r : changes) smallest = std::min(smallest, r.id);
  return "G" + std::to_string(smallest);
}

std::vector<Alert> GroupAlerts(const std::vector<store::RegressionRow>& rows) {
  std::map<std::tuple<std::string, std::string, std::string>, Alert> alerts;
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  for (const auto& r : rows) {
    const auto key = std::make_tuple(r.last_good_commit, r.first_bad_commit, r.direction);
    if (!alerts.count(key)) order.push_back(key);
    Alert& a = alerts[key];
    a.last_good_commit = r.last_good_commit;
    a.first_bad_commit = r.first_bad_commit;
    a.direction = r.direction;
    a.changes.push_back(r);
    a.machines.insert(r.series.machine_fingerprint);
  }
  std::vector<Alert> out;
  for (const auto& key : order) out.push_back(std::move(alerts[key]));
  // Regressions first; among them, those seen on more machines.
  std::stable_sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) {
    if (a.direction != b.direction) return a.direction == "regression";
    return a.machines.size() > b.machines.size();
  });
  return out;
}

}  // namespace effbench::analysis
