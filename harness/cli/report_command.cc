// effbench report: one run's efficiency table, or machines side by side
// (rows workload × variant, a column per machine); effbench history: series
// over commits with their changes. As console text, Markdown, CSV, JSON or
// one self-contained HTML page.
#include <set>

#include "core/file.h"
#include "core/terminal.h"
#include "harness/analysis/history.h"
#include "harness/analysis/machine_comparison.h"
#include "harness/analysis/run_selection.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "reports/bmf.h"
#include "reports/efficiency_table.h"

namespace effbench::cli {
namespace {

// `text` to --out FILE (whole or not at all), else to `out`.
int Emit(const Flags& flags, const std::string& text, std::ostream& out, std::ostream& err,
         const CommandSpec& command) {
  if (const auto path = flags.Get("out")) {
    if (Status s = WriteFileReplacing(*path, text); !s.ok()) return CommandError(err, s, command);
    err << command.Title() << ": wrote " << *path << " (" << text.size() << " bytes)\n";
    return kExitOk;
  }
  // On a terminal, names from imported files cannot move the cursor or
  // clear the screen: console and Markdown text shows control characters
  // as \x1b (CSV quotes them; JSON and HTML escape them).
  const std::string format = flags.GetOr("format", "console");
  out << (format == "console" || format == "markdown" ? ForTerminalText(text) : text);
  return kExitOk;
}

// One run's table: the run named by --run, else the latest.
// `format` none: the Bencher Metric Format.
int RunTable(store::RunReader& db, const std::vector<store::RunRow>& runs, const Flags& flags,
             std::optional<reports::Format> format, std::string& text, std::ostream& err) {
  const store::RunRow* run = nullptr;
  if (!flags.Has("run")) {
    if (runs.empty()) {
      err << "effbench report: the database holds no run yet (effbench run --db ...)\n";
      return kExitError;
    }
    run = &runs.front();
  } else {
    auto chosen = analysis::ResolveRunId(runs, *flags.Get("run"));
    if (!chosen.ok()) return CommandError(err, chosen.status(), kReportCommand);
    for (const auto& r : runs) run = r.id == chosen->id ? &r : run;
  }
  const std::string run_id = run->id;
  if (!run->finished_at) {
    err << "effbench report: run " << run_id
        << " is incomplete: it never finished (interrupted, or still running); its table shows "
           "what it stored\n";
  }
  auto records = db.Results(run_id);
  if (!records.ok()) return CommandError(err, records.status(), kReportCommand);
  if (!format) {
    text = reports::RenderBmf(*records);
    return kExitOk;
  }
  if (format == reports::Format::kConsole) {
    text += "run " + run_id + (run->finished_at ? "" : " (incomplete)") + "\n";
  }
  text += reports::RenderEfficiencyTable(*records, *format, {.implementation = flags.Has("wide")});
  return kExitOk;
}

}  // namespace

int ReportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kReportCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kReportCommand);
  if (!flags->Has("db")) return UsageError(err, "report needs --db DB", kReportCommand);
  const std::string format_name = flags->GetOr("format", "console");
  const bool bmf = format_name == "bmf";  // one run, for Bencher
  auto comparison_format = reports::ParseComparisonFormat(bmf ? "json" : format_name);
  if (!comparison_format.ok())
    return UsageError(err, comparison_format.status().message(), kReportCommand);
  if (flags->Has("run") && (flags->Has("runs") || flags->Has("latest") || flags->Has("machines"))) {
    return UsageError(err,
                      "--run shows one run; --runs, --latest and --machines compare "
                      "machines: give one or the other",
                      kReportCommand);
  }
  if (flags->Has("runs") && flags->Has("latest")) {
    return UsageError(err, "--latest and --runs both choose the runs: give one", kReportCommand);
  }
  auto db = OpenExisting(*flags, store::OpenCheck::kNone);
  if (!db.ok()) return CommandError(err, db.status(), kReportCommand);

  // Every path needs the runs: read them once (on a big database, listing
  // them is a good part of the report's time).
  auto runs = (*db)->Runs();
  if (!runs.ok()) return CommandError(err, runs.status(), kReportCommand);
  if (bmf) {
    if (flags->Has("runs") || flags->Has("latest") || flags->Has("machines")) {
      return UsageError(err, "--format bmf writes one run (--run ID, else the latest)",
                        kReportCommand);
    }
    std::string text;
    if (const int code = RunTable(**db, *runs, *flags, std::nullopt, text, err); code != kExitOk) {
      return code;
    }
    return Emit(*flags, text, out, err, kReportCommand);
  }
  // One run's table where that is what was asked, or all there is.
  bool compare = !flags->Has("run") &&
                 (*comparison_format == reports::ComparisonFormat::kHtml ||
                  flags->Has("machines") || flags->Has("workloads") || flags->Has("variants") ||
                  flags->Has("runs") || flags->Has("latest") || flags->Has("since") ||
                  flags->Has("until") || flags->Has("baseline-variant") || flags->Has("reference"));
  if (!compare && !flags->Has("run")) {
    std::set<std::string> machines;
    for (const auto& r : *runs) {
      if (r.results_ok + r.results_failed > 0) machines.insert(r.machine_fingerprint);
    }
    compare = machines.size() > 1;
  }
  std::string text;
  if (!compare) {
    if (*comparison_format == reports::ComparisonFormat::kHtml) {
      return UsageError(err, "report --run: html shows machines side by side; drop --run",
                        kReportCommand);
    }
    auto format = reports::ParseFormat(format_name);
    if (!format.ok()) return UsageError(err, format.status().message(), kReportCommand);
    if (const int code = RunTable(**db, *runs, *flags, *format, text, err); code != kExitOk) {
      return code;
    }
  } else {
    analysis::MachineComparisonOptions o;
    o.machines = SplitCommaList(flags->GetOr("machines", ""));
    o.workloads = flags->GetOr("workloads", "");
    o.variants = SplitCommaList(flags->GetOr("variants", ""));
    o.runs = SplitCommaList(flags->GetOr("runs", ""));
    o.baseline_variant = flags->GetOr("baseline-variant", "fp32");
    o.reference = flags->GetOr("reference", "");
    o.since = flags->GetOr("since", "");
    o.until = flags->GetOr("until", "");
    auto comparison = analysis::BuildMachineComparison(**db, *runs, o);
    if (!comparison.ok()) return CommandError(err, comparison.status(), kReportCommand);
    text = reports::RenderMachineComparison(*comparison, *comparison_format);
  }
  return Emit(*flags, text, out, err, kReportCommand);
}

int HistoryCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kHistoryCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kHistoryCommand);
  if (!flags->Has("db")) return UsageError(err, "history needs --db DB", kHistoryCommand);
  auto format = reports::ParseComparisonFormat(flags->GetOr("format", "console"));
  if (!format.ok()) return UsageError(err, format.status().message(), kHistoryCommand);
  if (flags->Has("series") && flags->Has("workloads")) {
    return UsageError(err, "--series names one workload id, --workloads a glob: give one",
                      kHistoryCommand);
  }
  analysis::HistoryOptions o;
  o.machines = SplitCommaList(flags->GetOr("machines", ""));
  o.workloads = flags->GetOr("series", flags->GetOr("workloads", ""));
  if (flags->Has("threads")) {
    auto threads = flags->GetInt("threads", 1, 1, 4096);
    if (!threads.ok()) return UsageError(err, threads.status().message(), kHistoryCommand);
    o.threads = static_cast<int>(*threads);
  }
  auto db = OpenExisting(*flags, store::OpenCheck::kNone);
  if (!db.ok()) return CommandError(err, db.status(), kHistoryCommand);
  auto history = analysis::BuildHistory(**db, o);
  if (!history.ok()) return CommandError(err, history.status(), kHistoryCommand);
  return Emit(*flags, reports::RenderHistory(*history, *format), out, err, kHistoryCommand);
}

}  // namespace effbench::cli
