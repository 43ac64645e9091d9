// effbench import --format gbench FILE: another tool's results as a run.
#include <fstream>
#include <sstream>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/importers/gbench.h"

namespace effbench::cli {

int ImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"format", "db", "commit", "repo", "branch", "commit-time"});
  if (!flags.ok()) {
    err << "effbench import: " << flags.status().message() << "\n";
    return kExitUsage;
  }
  const std::string format = flags->GetOr("format", "gbench");
  if (format != "gbench") {
    err << "effbench import: --format " << format << " is not known (gbench: Google Benchmark's "
        << "--benchmark_out_format=json)\n";
    return kExitUsage;
  }
  if (flags->positional().size() != 1) {
    err << "effbench import: give one FILE (effbench import --format gbench FILE --db DB "
           "--commit SHA)\n";
    return kExitUsage;
  }
  if (!flags->Has("db") || !flags->Has("commit")) {
    err << "effbench import: --db FILE and --commit SHA are required\n";
    return kExitUsage;
  }
  std::optional<std::string> commit_time;
  if (auto given = flags->Get("commit-time")) {
    auto t = effbench::ParseIso8601(*given);
    if (!t.ok()) {
      err << "effbench import: --commit-time: " << t.status().message() << "\n";
      return kExitUsage;
    }
    commit_time = effbench::Iso8601(*t);
  }
  const std::string path = flags->positional()[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "effbench import: cannot read " << path << "\n";
    return kExitError;
  }
  std::stringstream text;
  text << in.rdbuf();
  result::Revision revision{flags->GetOr("repo", ""), *flags->Get("commit"),
                            flags->GetOr("branch", ""), commit_time};
  auto imported = importers::ImportGoogleBenchmark(text.str(), revision, path);
  if (!imported.ok()) {
    err << "effbench import: " << imported.status().message() << "\n";
    return kExitError;
  }
  auto db = store::OpenStore(*flags->Get("db"));
  if (!db.ok()) {
    err << "effbench import: " << db.status().message() << "\n";
    return kExitError;
  }
  Status s = (*db)->UpsertMachine(imported->machine);
  if (s.ok()) s = (*db)->BeginRun(imported->run);
  Result<size_t> inserted = s.ok() ? (*db)->InsertResults(imported->records) : Result<size_t>(s);
  if (inserted.ok()) s = (*db)->FinishRun(imported->run.id, imported->run.started_at);
  if (!inserted.ok() || !s.ok()) {
    err << "effbench import: " << (inserted.ok() ? s : inserted.status()).message() << "\n";
    return kExitError;
  }
  size_t failed = 0;
  for (const auto& r : imported->records) failed += !r.ok;
  out << "imported " << imported->records.size() << " benchmarks (" << *inserted << " new, "
      << failed << " failed) from " << path << " as run " << imported->run.id << ", commit "
      << revision.commit << ", machine " << imported->machine.hostname << " ("
      << imported->machine.fingerprint.substr(0, 12) << ")\n";
  if (auto changes = analysis::CheckRun(**db, imported->run.id); !changes.ok()) {
    err << "effbench import: warning: regression check failed: " << changes.status().message()
        << "\n";
  } else {
    for (const std::string& line : analysis::DescribeNewChanges(*changes, imported->run.id)) {
      err << "effbench import: " << line << "; `effbench regressions` lists it\n";
    }
  }
  if (imported->aggregates_only) {
    err << "effbench import: warning: " << imported->aggregates_only
        << " benchmark(s) had only aggregates, kept as one sample each; run them with "
           "--benchmark_repetitions=N and without --benchmark_report_aggregates_only to "
           "compare them with statistics\n";
  }
  return kExitOk;
}

}  // namespace effbench::cli
