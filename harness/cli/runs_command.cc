// effbench runs: the runs of a database, newest first, and `runs delete ID`.
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/analysis/run_selection.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "reports/text_table.h"

namespace effbench::cli {
namespace {

constexpr char kWhat[] = "effbench runs: ";

// Seconds from start to finish, or a negative number when either is unknown.
double Seconds(const store::RunRow& run) {
  if (!run.finished_at) return -1;
  const auto start = ParseIso8601(run.started_at), end = ParseIso8601(*run.finished_at);
  if (!start.ok() || !end.ok()) return -1;
  return std::chrono::duration<double>(*end - *start).count();
}

// Deletes the run, then re-checks the series it was part of.
int Delete(store::RunStore& run_store, store::HistoryStore& history,
           const std::vector<store::RunRow>& runs, const Flags& flags, std::ostream& out,
           std::ostream& err) {
  if (flags.positional().size() != 2)
    return UsageError(err, "runs delete takes one run ID (a prefix)", kRunsCommand);
  auto run = analysis::ResolveRunId(runs, flags.positional()[1]);
  if (!run.ok()) return CommandError(err, run.status(), kRunsCommand);
  const auto prefixes = analysis::UniquePrefixes(runs);
  const std::string described = analysis::DescribeRun(*run, prefixes.at(run->id));
  const int64_t results = run->results_ok + run->results_failed + run->results_skipped;
  if (!flags.Has("yes")) {
    return UsageError(err,
                      "would delete run " + described + " and its " + std::to_string(results) +
                          " results; give --yes to delete it",
                      kRunsCommand);
  }
  auto series = history.SeriesOf(run->id);
  if (!series.ok()) return CommandError(err, series.status(), kRunsCommand);
  if (Status s = run_store.DeleteRun(run->id); !s.ok()) return CommandError(err, s, kRunsCommand);
  out << "deleted run " << described << " and its " << results << " results\n";
  // Its commits' points changed or went: their changes are found again.
  auto detection = analysis::DetectionOptionsFor(run_store);
  if (!detection.ok()) return CommandError(err, detection.status(), kRunsCommand);
  size_t checked = 0;
  for (const auto& key : *series) {
    if (auto changes = analysis::CheckSeries(history, key, *detection); !changes.ok()) {
      err << kWhat << "warning: re-checking " << key.name << ": " << changes.status().message()
          << "\n";
    } else {
      ++checked;
    }
  }
  if (!series->empty()) out << "re-checked the regressions of " << checked << " series\n";
  return kExitOk;
}

}  // namespace

int RunsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kRunsCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kRunsCommand);
  const auto& words = flags->positional();
  const std::string action = words.empty() ? "list" : words[0];
  if (action != "list" && action != "delete") {
    return UsageError(err, "unknown action \"" + action + "\" (list, or delete ID)", kRunsCommand);
  }
  if (!flags->Has("db")) return UsageError(err, "--db DB is required", kRunsCommand);
  const auto limit = flags->GetInt("limit", 20, 1, 1000000);
  if (!limit.ok()) return UsageError(err, limit.status().message(), kRunsCommand);
  const std::string format = flags->GetOr("format", "console");
  if (format != "console" && format != "json") {
    return UsageError(err, "--format " + format + ": console or json", kRunsCommand);
  }
  auto db = OpenExisting(
      *flags, action == "list" ? store::OpenCheck::kNone : store::OpenCheck::kQuickCheck);
  if (!db.ok()) return CommandError(err, db.status(), kRunsCommand);
  auto runs = (*db)->Runs();
  if (!runs.ok()) return CommandError(err, runs.status(), kRunsCommand);
  if (action == "delete") return Delete(**db, **db, *runs, *flags, out, err);

  auto machines = (*db)->Machines();
  if (!machines.ok()) return CommandError(err, machines.status(), kRunsCommand);
  std::map<std::string, std::string> hosts;
  for (const auto& m : *machines) hosts[m.fingerprint] = m.hostname;
  const std::vector<std::string> selectors = SplitCommaList(flags->GetOr("machines", ""));
  const std::string commit = flags->GetOr("commit", "");
  const auto prefixes = analysis::UniquePrefixes(*runs);
  std::vector<const store::RunRow*> shown;
  size_t matching = 0;
  for (const auto& r : *runs) {
    const std::string& host = hosts[r.machine_fingerprint];
    const auto names = [&](const std::string& s) {
      return host == s || r.machine_fingerprint.starts_with(s);
    };
    if (!selectors.empty() && std::none_of(selectors.begin(), selectors.end(), names)) continue;
    if (!commit.empty() && !r.revision.commit.starts_with(commit)) continue;
    ++matching;
    if (shown.size() < static_cast<size_t>(*limit)) shown.push_back(&r);
  }
  if (format == "json") {
    nlohmann::json array = nlohmann::json::array();
    for (const auto* r : shown) {
      const double seconds = Seconds(*r);
      array.push_back({{"id", r->id},
                       {"short_id", prefixes.at(r->id)},
                       {"status", r->finished_at ? "complete" : "incomplete"},
                       {"commit", r->revision.commit},
                       {"branch", r->revision.branch},
                       {"repo", r->revision.repo},
                       {"machine", r->machine_fingerprint},
                       {"host", hosts[r->machine_fingerprint]},
                       {"suite", r->suite},
                       {"started_at", r->started_at},
                       {"finished_at", r->finished_at ? nlohmann::json(*r->finished_at) : nullptr},
                       {"seconds", seconds < 0 ? nlohmann::json(nullptr) : nlohmann::json(seconds)},
                       {"results",
                        {{"ok", r->results_ok},
                         {"failed", r->results_failed},
                         {"skipped", r->results_skipped}}}});
    }
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  reports::TextTable t;
  t.left_columns = 8;
  t.header = {"run",   "status", "started", "commit", "branch", "machine",
              "suite", "took",   "ok",      "failed", "skipped"};
  for (const auto* r : shown) {
    t.rows.push_back(
        {prefixes.at(r->id), r->finished_at ? "complete" : "incomplete", r->started_at,
         r->revision.commit.substr(0, 10), r->revision.branch.empty() ? "-" : r->revision.branch,
         hosts[r->machine_fingerprint] + " " + r->machine_fingerprint.substr(0, 8), r->suite,
         Seconds(*r) < 0 ? "-" : HumanDuration(Seconds(*r)), std::to_string(r->results_ok),
         std::to_string(r->results_failed), std::to_string(r->results_skipped)});
  }
  out << reports::RenderConsole(t);
  out << shown.size() << " of " << matching << " run(s)"
      << (matching > shown.size() ? " (--limit N shows more)" : "")
      << "; incomplete: never finished (interrupted, or still running); `effbench report --run "
         "ID` shows one, `effbench runs delete ID --yes` removes one\n";
  return kExitOk;
}

}  // namespace effbench::cli
