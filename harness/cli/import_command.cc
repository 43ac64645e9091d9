// effbench import --format gbench|bmf FILE: another tool's results as a run;
// effbench exec -- ./bench [args]: run a benchmark binary and import its results.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/file.h"
#include "core/terminal.h"
#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/cli/git_revision.h"
#include "harness/importers/bmf.h"
#include "harness/importers/gbench.h"

namespace effbench::cli {

namespace {

// Runs `argv` (its stdin, stderr and, unless `stdout_fd` says otherwise,
// stdout are ours) and waits: its exit status, 128 + N when signal N ended it.
Result<int> RunChild(const std::vector<std::string>& argv, int stdout_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  pid_t pid = 0;
  const int failed = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) return Status::IoError("cannot run " + argv[0] + ": " + std::strerror(failed));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IoError(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

constexpr char kFormats[] =
    "gbench: Google Benchmark's --benchmark_out_format=json; bmf: the Bencher Metric Format";

struct ImportFlags {
  Flags flags;
  std::string format;
  result::Revision revision;
};

// The flags import and exec share, checked: the format, --db, the revision
// (from git unless given). A usage error is written to `err`.
std::optional<ImportFlags> ParseImportFlags(const std::vector<std::string>& args,
                                            const CommandSpec& command, std::ostream& err) {
  const std::string what = command.Title() + ": ";
  auto flags = Flags::Parse(args, command, err);
  if (!flags.ok()) {
    UsageError(err, flags.status().message(), command);
    return std::nullopt;
  }
  const std::string format = flags->GetOr("input-format", "gbench");
  if (format != "gbench" && format != "bmf") {
    UsageError(err, "--input-format " + format + " is not known (" + kFormats + ")", command);
    return std::nullopt;
  }
  if (!flags->Has("db")) {
    UsageError(err, "--db DB is required", command);
    return std::nullopt;
  }
  if (auto given = flags->Get("commit-time")) {
    if (auto t = effbench::ParseIso8601(*given); !t.ok()) {
      UsageError(err, "--commit-time: " + t.status().message(), command);
      return std::nullopt;
    }
  }
  if (auto detection = DetectionFromFlags(*flags); !detection.ok()) {
    UsageError(err, detection.status().message(), command);
    return std::nullopt;
  }
  result::Revision revision = ResolveRevision(*flags);
  if (revision.commit == "unknown") {
    UsageError(err,
               "not in a git checkout: give the revision the results measured with --commit SHA",
               command);
    return std::nullopt;
  }
  return ImportFlags{*flags, format, revision};
}

// Stores `text` (the results of `path`, in `format`) as a run in --db.
// Checks the series of `run_id` for changes (with the detection flags, which
// ParseImportFlags checked) and says what it found.
void CheckImportedRun(store::RunReader& runs, store::HistoryStore& history, const Flags& flags,
                      const std::string& what, const std::string& run_id, std::ostream& err) {
  auto changes = analysis::CheckRun(runs, history, run_id, DetectionFromFlags(flags).value());
  if (!changes.ok()) {
    err << what << "warning: regression check failed: " << changes.status().message()
        << " (importing the same file again checks it again)\n";
  } else {
    for (const std::string& line : analysis::DescribeNewChanges(*changes, run_id)) {
      err << what << ForTerminal(line) << "; `effbench regressions` lists it\n";
    }
  }
}

int ImportText(const Flags& flags, const std::string& what, const std::string& format,
               const result::Revision& revision, std::string text, const std::string& path,
               std::ostream& out, std::ostream& err) {
  const std::string shown_path = ForTerminal(path);
  // The importer takes the text and frees it once read: from here on what is
  // kept is in the records.
  auto imported =
      format == "bmf"
          ? importers::ImportBencherMetricFormat(text, revision, path,
                                                 flags.GetOr("time-measure", "latency"))
          : importers::ImportGoogleBenchmark(std::move(text), revision, path,
                                             importers::ImportOptions{flags.Has("skip-invalid")});
  std::string().swap(text);
  if (!imported.ok()) {
    err << what << ForTerminal(imported.status().message()) << "\n";
    return kExitError;
  }
  auto db = store::OpenStore(*flags.Get("db"), store::Durability::kNormal,
                             store::OpenCheck::kQuickCheck, TransportFromFlags(flags));
  if (!db.ok()) {
    err << what << db.status().message() << "\n";
    return kExitError;
  }
  // The same bytes already stored: at this revision the ids are the same and
  // nothing new is stored; at another, the file is most likely stale output
  // of an earlier build, so it is refused unless --again says otherwise.
  auto runs = (*db)->Runs();
  if (!runs.ok()) {
    err << what << runs.status().message() << "\n";
    return kExitError;
  }
  for (const auto& run : *runs) {
    const auto config = nlohmann::json::parse(run.config_json, nullptr, false);
    if (!config.is_object() || config.value("sha256", "") != imported->sha256) continue;
    if (run.id == imported->run.id) {
      out << shown_path << " was already imported as run " << run.id << " (commit "
          << ForTerminal(run.revision.commit) << "): nothing new to store\n";
      // Its check may not have finished (a SIGKILL, a full disk): do it now.
      auto checked = (*db)->RunChecked(run.id);
      if (!checked.ok()) {
        err << what << checked.status().message() << "\n";
        return kExitError;
      }
      if (!*checked) {
        out << "its regression check had not finished; checking its series now\n";
        CheckImportedRun(**db, **db, flags, what, run.id, err);
      }
      return kExitOk;
    }
    if (!flags.Has("again")) {
      err << what << shown_path << " is already stored, byte for byte, as run " << run.id
          << " (commit " << ForTerminal(run.revision.commit) << ", imported from "
          << ForTerminal(config.value("imported_from", "?")) << "); importing it again as commit "
          << ForTerminal(revision.commit)
          << " would record the same numbers twice. Give --again if that "
          << "is what you mean\n";
      return kExitError;
    }
    err << what << "note: the same file is stored as run " << run.id << " (commit "
        << ForTerminal(run.revision.commit) << "); storing it again as commit "
        << ForTerminal(revision.commit) << "\n";
  }
  for (const std::string& w : imported->warnings) {
    err << what << "warning: " << ForTerminal(w) << "\n";
  }
  Status s = (*db)->UpsertMachine(imported->machine);
  if (s.ok()) s = (*db)->BeginRun(imported->run);
  Result<size_t> inserted = s.ok() ? (*db)->InsertResults(imported->records) : Result<size_t>(s);
  if (inserted.ok()) s = (*db)->FinishRun(imported->run.id, imported->run.started_at);
  if (!inserted.ok() || !s.ok()) {
    err << what << (inserted.ok() ? s : inserted.status()).message() << "\n";
    return kExitError;
  }
  size_t failed = 0, skipped = 0;
  for (const auto& r : imported->records) {
    failed += !r.ok && !r.skipped;
    skipped += r.skipped;
  }
  const size_t benchmarks = imported->records.size();
  std::vector<result::ResultRecord>().swap(imported->records);  // stored: the check reads the store
  out << "imported " << benchmarks << " benchmarks (" << *inserted << " new, " << failed
      << " failed, " << skipped << " skipped";
  if (imported->invalid_rows > 0) {
    out << "; " << imported->invalid_rows << " invalid row(s) skipped (--skip-invalid)";
  }
  out << ") from " << shown_path << " as run " << imported->run.id << ", commit "
      << ForTerminal(revision.commit) << ", machine " << ForTerminal(imported->machine.hostname)
      << " (" << imported->machine.fingerprint.substr(0, 12) << ")\n";
  CheckImportedRun(**db, **db, flags, what, imported->run.id, err);
  if (imported->aggregates_only) {
    err << what << "warning: " << imported->aggregates_only
        << " benchmark(s) had only aggregates, kept as one sample each; run them with "
           "--benchmark_repetitions=N and without --benchmark_report_aggregates_only to "
           "compare them with statistics\n";
  }
  return kExitOk;
}

}  // namespace

int ImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string what = "effbench import: ";
  auto parsed = ParseImportFlags(args, kImportCommand, err);
  if (!parsed) return kExitUsage;
  const Flags& flags = parsed->flags;
  const std::string& format = parsed->format;
  const result::Revision& revision = parsed->revision;
  if (flags.positional().size() != 1) {
    return UsageError(err, "give one FILE (effbench import --input-format gbench FILE --db DB)",
                      kImportCommand);
  }
  const std::string path = flags.positional()[0];
  auto text = ReadFile(path);
  if (!text.ok()) {
    err << what << text.status().message() << "\n";
    return kExitError;
  }
  return ImportText(flags, what, format, revision, std::move(*text), path, out, err);
}

int ExecCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const std::string what = "effbench exec: ";
  auto parsed = ParseImportFlags(args, kExecCommand, err);
  if (!parsed) return kExitUsage;
  const Flags& flags = parsed->flags;
  const std::string& format = parsed->format;
  const result::Revision& revision = parsed->revision;
  if (flags.positional().empty()) {
    return UsageError(
        err, "give the benchmark to run after --: effbench exec --db DB -- ./my_bench [args]",
        kExecCommand);
  }
  // Google Benchmark writes its JSON to a file we name; a BMF benchmark
  // prints it on stdout, as `bencher run` expects.
  char path[] = "/tmp/effbench-exec-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    err << what << "cannot make a temporary file: " << std::strerror(errno) << "\n";
    return kExitError;
  }
  std::vector<std::string> argv = flags.positional();
  if (format == "gbench") {
    argv.push_back(std::string("--benchmark_out=") + path);
    argv.push_back("--benchmark_out_format=json");
  }
  auto status = RunChild(argv, format == "bmf" ? fd : -1);
  close(fd);
  auto text = ReadFile(path);
  std::remove(path);
  if (!status.ok()) {
    err << what << status.status().message() << "\n";
    return kExitError;
  }
  if (*status != 0) {
    err << what << argv[0] << " exited with status " << *status << "; nothing imported\n";
    return kExitError;
  }
  if (!text.ok()) {
    err << what << text.status().message() << "\n";
    return kExitError;
  }
  return ImportText(flags, what, format, revision, std::move(*text), argv[0], out, err);
}

}  // namespace effbench::cli
