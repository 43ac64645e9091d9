// effbench import --format gbench FILE: another tool's results as a run.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/cli/git_revision.h"
#include "harness/importers/gbench.h"

namespace effbench::cli {

int ImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags =
      Flags::Parse(args, {"format", "db", "commit", "repo", "branch", "commit-time"}, {"again"});
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
    err << "effbench import: give one FILE (effbench import --format gbench FILE --db DB)\n";
    return kExitUsage;
  }
  if (!flags->Has("db")) {
    err << "effbench import: --db FILE is required\n";
    return kExitUsage;
  }
  if (auto given = flags->Get("commit-time")) {
    if (auto t = effbench::ParseIso8601(*given); !t.ok()) {
      err << "effbench import: --commit-time: " << t.status().message() << "\n";
      return kExitUsage;
    }
  }
  const result::Revision revision = ResolveRevision(*flags);
  if (revision.commit == "unknown") {
    err << "effbench import: not in a git checkout: give the revision the file measured with "
           "--commit SHA\n";
    return kExitUsage;
  }
  const std::string path = flags->positional()[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "effbench import: cannot read " << path << "\n";
    return kExitError;
  }
  std::stringstream text;
  text << in.rdbuf();
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
  // The same bytes already stored: at this revision the ids are the same and
  // nothing new is stored; at another, the file is most likely stale output
  // of an earlier build, so it is refused unless --again says otherwise.
  auto runs = (*db)->Runs();
  if (!runs.ok()) {
    err << "effbench import: " << runs.status().message() << "\n";
    return kExitError;
  }
  for (const auto& run : *runs) {
    const auto config = nlohmann::json::parse(run.config_json, nullptr, false);
    if (!config.is_object() || config.value("sha256", "") != imported->sha256) continue;
    if (run.id == imported->run.id) {
      out << path << " was already imported as run " << run.id << " (commit " << run.revision.commit
          << "): nothing new to store\n";
      return kExitOk;
    }
    if (!flags->Has("again")) {
      err << "effbench import: " << path << " is already stored, byte for byte, as run " << run.id
          << " (commit " << run.revision.commit << ", imported from "
          << config.value("imported_from", "?") << "); importing it again as commit "
          << revision.commit << " would record the same numbers twice. Give --again if that "
          << "is what you mean\n";
      return kExitError;
    }
    err << "effbench import: note: the same file is stored as run " << run.id << " (commit "
        << run.revision.commit << "); storing it again as commit " << revision.commit << "\n";
  }
  for (const std::string& w : imported->warnings) err << "effbench import: warning: " << w << "\n";
  Status s = (*db)->UpsertMachine(imported->machine);
  if (s.ok()) s = (*db)->BeginRun(imported->run);
  Result<size_t> inserted = s.ok() ? (*db)->InsertResults(imported->records) : Result<size_t>(s);
  if (inserted.ok()) s = (*db)->FinishRun(imported->run.id, imported->run.started_at);
  if (!inserted.ok() || !s.ok()) {
    err << "effbench import: " << (inserted.ok() ? s : inserted.status()).message() << "\n";
    return kExitError;
  }
  size_t failed = 0, skipped = 0;
  for (const auto& r : imported->records) {
    failed += !r.ok && !r.skipped;
    skipped += r.skipped;
  }
  out << "imported " << imported->records.size() << " benchmarks (" << *inserted << " new, "
      << failed << " failed, " << skipped << " skipped) from " << path << " as run "
      << imported->run.id << ", commit " << revision.commit << ", machine "
      << imported->machine.hostname << " (" << imported->machine.fingerprint.substr(0, 12) << ")\n";
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
