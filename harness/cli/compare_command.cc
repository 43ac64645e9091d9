// effbench compare: two runs (or commits) series by series; exit 3 on a
// confirmed regression, for CI.
#include <map>

#include "harness/analysis/compare.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"

namespace effbench::cli {

int CompareCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"db", "baseline", "candidate", "threshold", "alpha", "format"});
  if (!flags.ok()) {
    err << "effbench compare: " << flags.status().message() << "\n";
    return kExitUsage;
  }
  const auto threshold = flags->GetDouble("threshold", 0.02, 0, 10);
  const auto alpha = flags->GetDouble("alpha", 0.05, 1e-9, 0.5);
  const auto format = reports::ParseFormat(flags->GetOr("format", "console"));
  for (const Status& s : {threshold.status(), alpha.status(), format.status()}) {
    if (!s.ok()) {
      err << "effbench compare: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  const auto baseline = flags->Get("baseline"), candidate = flags->Get("candidate");
  if (!baseline || !candidate) {
    err << "effbench compare: --baseline RUN|COMMIT and --candidate RUN|COMMIT are required\n";
    return kExitUsage;
  }
  auto db = OpenExisting(*flags);
  if (!db.ok()) {
    err << "effbench compare: " << db.status().message() << "\n";
    return flags->Has("db") ? kExitError : kExitUsage;
  }
  auto runs = (*db)->Runs();
  auto machines = (*db)->Machines();
  if (!runs.ok() || !machines.ok()) {
    err << "effbench compare: " << (runs.ok() ? machines.status() : runs.status()).message()
        << "\n";
    return kExitError;
  }
  std::map<std::string, std::string> hosts;
  for (const auto& m : *machines) hosts[m.fingerprint] = m.hostname;
  std::vector<result::ResultRecord> sides[2];
  const std::string* selectors[2] = {&*baseline, &*candidate};
  for (int side = 0; side < 2; ++side) {
    auto chosen = analysis::ResolveRuns(*runs, *selectors[side]);
    if (!chosen.ok()) {
      err << "effbench compare: " << (side ? "--candidate " : "--baseline ")
          << chosen.status().message() << "\n";
      return kExitError;
    }
    for (const auto& run : *chosen) {
      auto records = (*db)->Results(run.id);
      if (!records.ok()) {
        err << "effbench compare: " << records.status().message() << "\n";
        return kExitError;
      }
      sides[side].insert(sides[side].end(), records->begin(), records->end());
    }
  }
  analysis::CompareOptions o;
  o.threshold = *threshold;
  o.alpha = *alpha;
  reports::Comparison c = analysis::CompareRecords(sides[0], sides[1], hosts, o);
  c.baseline = *baseline;
  c.candidate = *candidate;
  if (c.rows.empty()) {
    err << "effbench compare: the baseline and the candidate share no series (same machine, "
           "workload and threads)\n";
    return kExitError;
  }
  out << reports::RenderComparison(c, *format);
  return c.regressions() > 0 ? kExitRegression : kExitOk;
}

}  // namespace effbench::cli
