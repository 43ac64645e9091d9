// effbench compare: two runs (or commits) of a database, or two Google
// Benchmark files, series by series; exit 3 on a confirmed regression (and,
// with --fail-on-missing, on a series that failed or vanished), for CI.
#include <map>

#include "core/file.h"
#include "harness/analysis/compare.h"
#include "harness/analysis/run_selection.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/importers/gbench.h"

namespace effbench::cli {
namespace {

constexpr char kWhat[] = "effbench compare: ";

// The records of two Google Benchmark files, paired by benchmark name (the
// files may come from two hosts, as compare.py allows).
Status ReadFiles(const std::vector<std::string>& paths, std::vector<result::ResultRecord> sides[2],
                 std::map<std::string, std::string>& hosts) {
  std::string host[2];
  for (int side = 0; side < 2; ++side) {
    auto text = ReadFile(paths[side]);
    if (!text.ok()) return text.status();
    auto imported = importers::ImportGoogleBenchmark(*text, result::Revision{}, paths[side]);
    if (!imported.ok()) return imported.status();
    host[side] = imported->machine.hostname;
    for (auto& r : imported->records) r.machine = "files";
    sides[side] = std::move(imported->records);
  }
  hosts["files"] = host[0] == host[1] ? host[0] : host[0] + " vs " + host[1];
  return Status::Ok();
}

Status ReadRuns(const Flags& flags, std::vector<result::ResultRecord> sides[2],
                std::map<std::string, std::string>& hosts) {
  auto db = OpenExisting(flags);
  if (!db.ok()) return db.status();
  auto runs = (*db)->Runs();
  if (!runs.ok()) return runs.status();
  auto machines = (*db)->Machines();
  if (!machines.ok()) return machines.status();
  for (const auto& m : *machines) hosts[m.fingerprint] = m.hostname;
  const std::string selectors[2] = {*flags.Get("baseline"), *flags.Get("candidate")};
  for (int side = 0; side < 2; ++side) {
    auto chosen = analysis::ResolveRuns(*runs, selectors[side]);
    if (!chosen.ok()) {
      return Status::NotFound(std::string(side ? "--candidate " : "--baseline ") +
                              chosen.status().message());
    }
    for (const auto& run : *chosen) {
      auto records = (*db)->Results(run.id);
      if (!records.ok()) return records.status();
      sides[side].insert(sides[side].end(), records->begin(), records->end());
    }
  }
  return Status::Ok();
}

}  // namespace

int CompareCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kCompareCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kCompareCommand);
  }
  const auto threshold = flags->GetDouble("threshold", 0.02, 0, 10);
  const auto alpha = flags->GetDouble("alpha", 0.05, 1e-9, 0.5);
  const auto format = reports::ParseFormat(flags->GetOr("format", "console"));
  for (const Status& s : {threshold.status(), alpha.status(), format.status()}) {
    if (!s.ok()) {
      return UsageError(err, s.message(), kCompareCommand);
    }
  }
  const auto& files = flags->positional();
  const bool by_file = !files.empty();
  if (by_file && (files.size() != 2 || flags->Has("db") || flags->Has("baseline") ||
                  flags->Has("candidate"))) {
    return UsageError(err,
                      "give two Google Benchmark files (effbench compare BASE.json NEW.json), or "
                      "a database with --db DB --baseline RUN|COMMIT --candidate RUN|COMMIT, "
                      "not both",
                      kCompareCommand);
  }
  if (!by_file && (!flags->Has("baseline") || !flags->Has("candidate"))) {
    return UsageError(err,
                      "--baseline RUN|COMMIT and --candidate RUN|COMMIT are required (or give "
                      "two Google Benchmark files)",
                      kCompareCommand);
  }
  analysis::CompareOptions o;
  o.threshold = *threshold;
  o.alpha = *alpha;
  o.filter = flags->GetOr("workloads", "");
  if (const std::string m = flags->GetOr("metrics", "time,cpu_time"); m == "all") {
    o.metrics.clear();
  } else {
    const auto list = SplitCommaList(m);
    if (list.empty()) {
      return UsageError(err, "--metrics: give names (time,cpu_time,items_per_second,...) or all",
                        kCompareCommand);
    }
    o.metrics = {list.begin(), list.end()};
  }
  std::vector<result::ResultRecord> sides[2];
  std::map<std::string, std::string> hosts;
  const Status read = by_file ? ReadFiles(files, sides, hosts) : ReadRuns(*flags, sides, hosts);
  if (!read.ok()) {
    err << kWhat << read.message() << "\n";
    return !by_file && !flags->Has("db") ? kExitUsage : kExitError;
  }
  reports::Comparison c = analysis::CompareRecords(sides[0], sides[1], hosts, o);
  c.baseline = by_file ? files[0] : *flags->Get("baseline");
  c.candidate = by_file ? files[1] : *flags->Get("candidate");
  if (c.rows.empty() && c.missing.empty()) {
    err << kWhat << "the baseline and the candidate share no series (same machine, "
        << "workload and threads)" << (o.filter.empty() ? "" : " matching --workloads " + o.filter)
        << "\n";
    return kExitError;
  }
  out << reports::RenderComparison(c, *format);
  if (c.regressions() > 0) return kExitRegression;
  if (flags->Has("fail-on-missing") && !c.missing.empty()) {
    err << kWhat << c.missing.size()
        << " series of the baseline failed or are missing in the candidate (--fail-on-missing)\n";
    return kExitRegression;
  }
  return kExitOk;
}

}  // namespace effbench::cli
