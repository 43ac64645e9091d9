// effbench regressions: the changes found in the history of every series,
// grouped into alerts by commit range; set their state; re-check.
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/analysis/regressions.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "reports/efficiency_table.h"
#include "reports/text_table.h"

namespace effbench::cli {
namespace {

using nlohmann::json;

const char* const kStates[] = {"new", "acknowledged", "fixed", "false-positive"};

bool KnownState(const std::string& s) {
  for (const char* k : kStates) {
    if (s == k) return true;
  }
  return false;
}

std::string Short(const std::string& commit) { return commit.substr(0, 10); }

std::string Render(const std::vector<analysis::Alert>& alerts,
                   const std::map<std::string, std::string>& hosts, reports::Format format) {
  if (format == reports::Format::kJson) {
    json out = json::array();
    for (const auto& a : alerts) {
      json changes = json::array();
      for (const auto& r : a.changes) {
        changes.push_back({{"id", r.id},
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
                           {"state", r.state},
                           {"detected_at", r.detected_at}});
      }
      out.push_back({{"last_good_commit", a.last_good_commit},
                     {"first_bad_commit", a.first_bad_commit},
                     {"direction", a.direction},
                     {"machines", a.machines.size()},
                     {"changes", changes}});
    }
    return out.dump(2) + "\n";
  }
  std::ostringstream text;
  if (alerts.empty()) return "no changes found\n";
  for (const auto& a : alerts) {
    text << (format == reports::Format::kMarkdown ? "### " : "") << a.direction << " in ("
         << Short(a.last_good_commit) << ", " << Short(a.first_bad_commit)
         << "]: " << a.changes.size() << " series on " << a.machines.size() << " machine(s)\n\n";
    reports::TextTable t;
    t.left_columns = 3;
    t.header = {"id", "machine", "workload", "threads", "before", "after", "change", "p", "state"};
    for (const auto& r : a.changes) {
      const auto host = hosts.find(r.series.machine_fingerprint);
      std::string change = r.change >= 0 ? "+" : "";
      change += reports::Fixed(100 * r.change, 1);
      change += "%";
      t.rows.push_back(
          {std::to_string(r.id),
           host != hosts.end() ? host->second : r.series.machine_fingerprint.substr(0, 12),
           r.series.name, std::to_string(r.series.threads), reports::Duration(r.mean_before),
           reports::Duration(r.mean_after), change, reports::Scientific(r.pvalue), r.state});
    }
    text << (format == reports::Format::kMarkdown ? reports::RenderMarkdown(t)
                                                  : reports::RenderConsole(t))
         << "\n";
  }
  return text.str();
}

}  // namespace

int RegressionsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"db", "since", "state", "format"});
  if (!flags.ok()) {
    err << "effbench regressions: " << flags.status().message() << "\n";
    return kExitUsage;
  }
  const auto& words = flags->positional();
  auto db = OpenExisting(*flags);
  if (!db.ok()) {
    err << "effbench regressions: " << db.status().message() << "\n";
    return flags->Has("db") ? kExitError : kExitUsage;
  }
  if (!words.empty()) {
    const std::string& action = words[0];
    if (action == "check" && words.size() == 1) {
      auto found = analysis::CheckRun(**db, "");
      if (!found.ok()) {
        err << "effbench regressions: " << found.status().message() << "\n";
        return kExitError;
      }
      out << "checked every series: " << found->size() << " change(s) in the history\n";
      return kExitOk;
    }
    std::string state;
    if (action == "ack" && words.size() == 2) state = "acknowledged";
    if (action == "set" && words.size() == 3) state = words[2];
    if (state.empty()) {
      err << "effbench regressions: usage: regressions ack ID | regressions set ID STATE | "
             "regressions check (--db FILE)\n";
      return kExitUsage;
    }
    if (!KnownState(state)) {
      err << "effbench regressions: unknown state '" << state
          << "' (new, acknowledged, fixed, false-positive)\n";
      return kExitUsage;
    }
    char* end = nullptr;
    const long long id = std::strtoll(words[1].c_str(), &end, 10);
    if (*end || id <= 0) {
      err << "effbench regressions: '" << words[1] << "' is not a regression id\n";
      return kExitUsage;
    }
    if (Status s = (*db)->SetRegressionState(id, state, result::UtcNowIso8601()); !s.ok()) {
      err << "effbench regressions: " << s.message() << "\n";
      return kExitError;
    }
    out << "regression " << id << ": " << state << "\n";
    return kExitOk;
  }
  const auto format = reports::ParseFormat(flags->GetOr("format", "console"));
  const std::string state = flags->GetOr("state", "");
  if (!format.ok() || (!state.empty() && !KnownState(state))) {
    err << "effbench regressions: "
        << (format.ok()
                ? "unknown --state '" + state + "' (new, acknowledged, fixed, false-positive)"
                : format.status().message())
        << "\n";
    return kExitUsage;
  }
  auto rows = (*db)->Regressions(flags->GetOr("since", ""), state);
  auto machines = (*db)->Machines();
  if (!rows.ok() || !machines.ok()) {
    err << "effbench regressions: " << (rows.ok() ? machines.status() : rows.status()).message()
        << "\n";
    return kExitError;
  }
  std::map<std::string, std::string> hosts;
  for (const auto& m : *machines) hosts[m.fingerprint] = m.hostname;
  out << Render(analysis::GroupAlerts(*rows), hosts, *format);
  const bool open_regression = std::any_of(rows->begin(), rows->end(), [](const auto& r) {
    return r.direction == "regression" && r.state == "new";
  });
  return open_regression ? kExitRegression : kExitOk;
}

}  // namespace effbench::cli
