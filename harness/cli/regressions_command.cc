// effbench regressions: the changes found in the history of every series,
// grouped into alerts by commit range; set their state; re-check.
#include <algorithm>
#include <boost/url/url.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "reports/efficiency_table.h"
#include "reports/text_table.h"

namespace effbench::cli {
namespace {

// Where `effbench serve --http` draws the series' history: /history with the
// series' workload id and machine as filters.
std::string HistoryLink(const store::SeriesKey& series) {
  // Boost.URL encodes the parameters, as the coordinator decodes them.
  boost::urls::url link("/history");
  link.params().append({"workloads", series.name});
  link.params().append({"machines", series.machine_fingerprint.substr(0, 12)});
  return std::string(link.buffer());
}

using nlohmann::json;

std::string Short(const std::string& commit) { return commit.substr(0, 10); }

const char* const kStates[] = {"new", "acknowledged", "fixed", "false-positive", "withdrawn"};
constexpr char kStateList[] = "new, acknowledged, fixed, false-positive, withdrawn";

// What a fixed or withdrawn change says about itself.
std::string Note(const store::RegressionRow& r) {
  std::string note = r.reason.value_or("");
  if (r.fixed_last_bad_commit && r.fixed_first_good_commit) {
    note += note.empty() ? "" : "; ";
    note += "recovered in (" + Short(*r.fixed_last_bad_commit) + ", " +
            Short(*r.fixed_first_good_commit) + "]";
  }
  return note;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool KnownState(const std::string& s) {
  for (const char* k : kStates) {
    if (s == k) return true;
  }
  return false;
}

// "BM_Sort/256 [items_per_second]": the series as people read it, with its
// measure when it is not the time.
std::string Measured(const store::RegressionRow& r) {
  std::string name = result::DisplayName(r.series.name);
  if (r.metric != "time") name.append(" [").append(r.metric).append("]");
  return name;
}

// A level of the series: a time, or a metric's value.
std::string Level(const store::RegressionRow& r, double value) {
  return r.metric == "time" ? reports::Duration(value) : reports::Quantity(value, "");
}

std::string Render(const std::vector<analysis::Alert>& alerts,
                   const std::map<std::string, std::string>& hosts, reports::Format format) {
  if (format == reports::Format::kJson) {
    json out = json::array();
    for (const auto& a : alerts) {
      json changes = json::array();
      for (const auto& r : a.changes) {
        changes.push_back(
            {{"id", r.id},
             {"machine", r.series.machine_fingerprint},
             {"host", hosts.count(r.series.machine_fingerprint)
                          ? hosts.at(r.series.machine_fingerprint)
                          : ""},
             {"name", r.series.name},
             {"threads", r.series.threads},
             {"metric", r.metric},
             {"change", r.change},
             {"pvalue", r.pvalue},
             {"mean_before_ns", r.mean_before},
             {"mean_after_ns", r.mean_after},
             {"points_before", r.points_before},
             {"points_after", r.points_after},
             {"first_bad_run", r.first_bad_run},
             {"history", HistoryLink(r.series)},
             {"state", r.state},
             {"reason", r.reason ? json(*r.reason) : json()},
             {"recovered_in", r.fixed_last_bad_commit ? json::array({*r.fixed_last_bad_commit,
                                                                     *r.fixed_first_good_commit})
                                                      : json()},
             {"detected_at", r.detected_at}});
      }
      out.push_back({{"group", a.Name()},
                     {"last_good_commit", a.last_good_commit},
                     {"first_bad_commit", a.first_bad_commit},
                     {"direction", a.direction},
                     {"machines", a.machines.size()},
                     {"changes", changes}});
    }
    return out.dump(2) + "\n";
  }
  std::ostringstream text;
  if (format == reports::Format::kCsv) {
    text << "id,last_good_commit,first_bad_commit,direction,machine,host,workload,threads,"
            "mean_before_ns,mean_after_ns,change,pvalue,state,note\n";
    for (const auto& a : alerts) {
      for (const auto& r : a.changes) {
        const auto host = hosts.find(r.series.machine_fingerprint);
        text << r.id << "," << CsvField(a.last_good_commit) << "," << CsvField(a.first_bad_commit)
             << "," << a.direction << "," << r.series.machine_fingerprint << ","
             << CsvField(host != hosts.end() ? host->second : "") << "," << CsvField(r.series.name)
             << "," << r.series.threads << "," << r.mean_before << "," << r.mean_after << ","
             << r.change << "," << r.pvalue << "," << r.state << "," << CsvField(Note(r)) << "\n";
      }
    }
    return text.str();
  }
  if (alerts.empty()) return "no changes found\n";
  for (const auto& a : alerts) {
    text << (format == reports::Format::kMarkdown ? "### " : "") << a.Name() << ": " << a.direction
         << " in (" << Short(a.last_good_commit) << ", " << Short(a.first_bad_commit)
         << "]: " << a.changes.size() << " series on " << a.machines.size() << " machine(s)\n\n";
    reports::TextTable t;
    t.left_columns = 3;
    t.header = {"id",    "machine", "workload", "threads", "before",
                "after", "change",  "p",        "state",   "note"};
    for (const auto& r : a.changes) {
      const auto host = hosts.find(r.series.machine_fingerprint);
      t.rows.push_back(
          {std::to_string(r.id),
           host != hosts.end() ? host->second : r.series.machine_fingerprint.substr(0, 12),
           Measured(r), std::to_string(r.series.threads), Level(r, r.mean_before),
           Level(r, r.mean_after), reports::SignedPercent(r.change), reports::Scientific(r.pvalue),
           r.state, Note(r)});
    }
    text << (format == reports::Format::kMarkdown ? reports::RenderMarkdown(t)
                                                  : reports::RenderConsole(t))
         << "\n";
  }
  return text.str();
}

}  // namespace

int RegressionsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kRegressionsCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kRegressionsCommand);
  }
  const auto& words = flags->positional();
  const auto change_points = DetectionFromFlags(*flags);
  if (!change_points.ok()) {
    return UsageError(err, change_points.status().message(), kRegressionsCommand);
  }
  auto db = OpenExisting(*flags);
  if (!db.ok()) {
    err << "effbench regressions: " << db.status().message() << "\n";
    return flags->Has("db") ? kExitError : kExitUsage;
  }
  if (!words.empty()) {
    const std::string& action = words[0];
    if (action == "check" && words.size() == 1) {
      auto found = analysis::CheckRun(**db, **db, "", *change_points);
      if (!found.ok()) {
        return Failure(err, found.status(), kRegressionsCommand);
      }
      out << "checked every series: " << found->size() << " change(s) in the history\n";
      return kExitOk;
    }
    // regressions ack ID... | regressions set STATE ID...  (set ID STATE, the
    // old order, still works for one id).
    std::string state;
    std::vector<std::string> id_words;
    if (action == "ack" && words.size() >= 2) {
      state = "acknowledged";
      id_words.assign(words.begin() + 1, words.end());
    } else if (action == "set" && words.size() == 3 && KnownState(words[2])) {
      state = words[2];
      id_words = {words[1]};
    } else if (action == "set" && words.size() >= 3) {
      state = words[1];
      id_words.assign(words.begin() + 2, words.end());
    }
    if (state.empty()) {
      return UsageError(err,
                        "usage: regressions ack ID... | regressions set STATE ID... | regressions "
                        "check (--db DB)",
                        kRegressionsCommand);
    }
    if (!KnownState(state)) {
      return UsageError(err, std::string("unknown state '") + state + "' (" + kStateList + ")",
                        kRegressionsCommand);
    }
    // Ids of changes, or G<id> for a whole group: every member of the
    // group of change <id> (the same commit range and direction).
    std::vector<std::pair<int64_t, bool>> named;  // (id, whole group)
    for (const std::string& w : id_words) {
      const bool group = !w.empty() && (w[0] == 'G' || w[0] == 'g');
      const std::string digits = group ? w.substr(1) : w;
      char* end = nullptr;
      const long long id = std::strtoll(digits.c_str(), &end, 10);
      if (digits.empty() || *end || id <= 0) {
        return UsageError(err, std::string("'") + w + "' is not a regression id or group (G<id>)",
                          kRegressionsCommand);
      }
      named.emplace_back(id, group);
    }
    // Every id is checked before any is changed: a typo changes nothing.
    auto all = (*db)->Regressions("", "");
    if (!all.ok()) {
      return Failure(err, all.status(), kRegressionsCommand);
    }
    const std::vector<analysis::Alert> groups = analysis::GroupAlerts(*all);
    std::vector<int64_t> ids;
    for (const auto& [id, group] : named) {
      if (std::none_of(all->begin(), all->end(), [&](const auto& r) { return r.id == id; })) {
        err << "effbench regressions: no regression " << (group ? "group G" : "") << id
            << "; nothing changed\n";
        return kExitError;
      }
      if (!group) {
        ids.push_back(id);
        continue;
      }
      for (const analysis::Alert& a : groups) {
        if (std::none_of(a.changes.begin(), a.changes.end(),
                         [&](const auto& r) { return r.id == id; })) {
          continue;
        }
        for (const auto& r : a.changes) ids.push_back(r.id);
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int64_t id : ids) {
      if (Status s = (*db)->SetRegressionState(id, state, effbench::UtcNowIso8601()); !s.ok()) {
        return Failure(err, s, kRegressionsCommand);
      }
      out << "regression " << id << ": " << state << "\n";
    }
    return kExitOk;
  }
  const auto format = reports::ParseFormat(flags->GetOr("format", "console"));
  const std::string state = flags->GetOr("state", "");
  if (!format.ok() || (!state.empty() && !KnownState(state))) {
    return UsageError(err,
                      (format.ok() ? "unknown --state '" + state + "' (" + kStateList + ")"
                                   : format.status().message()),
                      kRegressionsCommand);
  }
  // --since filters on when a change was detected, not on commit times.
  std::string since;
  if (auto given = flags->Get("since")) {
    auto t = effbench::ParseIso8601(*given);
    if (!t.ok()) {
      return UsageError(
          err, std::string("--since (when a change was detected): ") + t.status().message(),
          kRegressionsCommand);
    }
    since = effbench::Iso8601(*t);
  }
  auto rows = (*db)->Regressions(since, state);
  size_t withdrawn = 0;
  if (rows.ok() && state.empty()) {
    // Withdrawn changes keep their ids but are not listed unless asked for.
    withdrawn = static_cast<size_t>(std::count_if(
        rows->begin(), rows->end(), [](const auto& r) { return r.state == "withdrawn"; }));
    rows->erase(std::remove_if(rows->begin(), rows->end(),
                               [](const auto& r) { return r.state == "withdrawn"; }),
                rows->end());
  }
  auto machines = (*db)->Machines();
  if (!rows.ok() || !machines.ok()) {
    err << "effbench regressions: " << (rows.ok() ? machines.status() : rows.status()).message()
        << "\n";
    return kExitError;
  }
  std::map<std::string, std::string> hosts;
  for (const auto& m : *machines) hosts[m.fingerprint] = m.hostname;
  out << Render(analysis::GroupAlerts(*rows), hosts, *format);
  if (withdrawn > 0 &&
      (*format == reports::Format::kConsole || *format == reports::Format::kMarkdown)) {
    out << withdrawn << " withdrawn change(s) not shown (--state withdrawn)\n";
  }
  const bool open_regression = std::any_of(rows->begin(), rows->end(), [](const auto& r) {
    return r.direction == "regression" && r.state == "new";
  });
  return open_regression ? kExitRegression : kExitOk;
}

}  // namespace effbench::cli
