#include "harness/cli/command_specs.h"

#include <algorithm>

#include "harness/stats/change_points.h"

namespace effbench::cli {
namespace {

constexpr char kProgram[] = "effbench";

// A SQLite file, or a PostgreSQL database by its libpq URI (store::OpenStore).
FlagSpec Db(
    const std::string& help = "the results database: a SQLite file or a postgresql:// URI") {
  return TextFlag("db", "DB", help);
}
// With every --db: a PostgreSQL server on another machine without TLS.
FlagSpec Insecure() {
  return Switch("insecure", "let a postgresql:// --db on another machine be reached without TLS");
}
FlagSpec ListFormat() { return TextFlag("format", "FORMAT", "console or json [console]"); }
FlagSpec TableFormat() {
  return TextFlag("format", "FORMAT", "console, markdown, csv or json [console]");
}
FlagSpec Workloads(const std::string& help) {
  return TextFlag("workloads", "GLOB", help).Replaces({"workload"});
}
std::vector<FlagSpec> Revision() {
  return {TextFlag("repo", "URL", "the repository the results measure"),
          TextFlag("commit", "SHA", "the commit they measure [the git checkout's]"),
          TextFlag("branch", "NAME", "its branch"),
          TextFlag("commit-time", "ISO8601", "when it was committed")};
}
std::vector<FlagSpec> Coordinator() {
  return {TextFlag("coordinator", "URL", "the coordinator's HTTP API: http(s)://HOST:PORT"),
          TextFlag("token-file", "FILE", "the fleet token [fleet.token]"),
          TextFlag("ca", "FILE",
                   "the CA (or self-signed certificate) to verify an https:// coordinator"),
          Switch("insecure", "do not verify the coordinator's certificate")};
}
std::vector<FlagSpec> Import() {
  return {TextFlag("input-format", "FORMAT",
                   "what the file is: gbench (Google Benchmark JSON) or bmf (Bencher Metric "
                   "Format) [gbench]")
              .Replaces({"format"}),
          Db(),
          Insecure(),
          TextFlag("repo", "URL", "the repository the results measure"),
          TextFlag("commit", "SHA", "the commit they measure [the git checkout's]"),
          TextFlag("branch", "NAME", "its branch"),
          TextFlag("commit-time", "ISO8601", "when it was committed"),
          TextFlag("time-measure", "MEASURE", "the bmf measure that is a time [latency]"),
          Switch("again", "store a file already stored under another commit"),
          Switch("skip-invalid",
                 "store a file whose rows are not all measurements, counting those skipped "
                 "(without it such a file is refused)")};
}

// The change detection flags, over stats::kDetectionDefaults: the same on
// every command that detects changes.
std::vector<FlagSpec> Detection() {
  const stats::ChangePointOptions& d = stats::kDetectionDefaults;
  const auto number = [](double v) {
    std::string text = std::to_string(v);
    text.erase(text.find_last_not_of('0') + 1);
    return text;
  };
  return {
      IntegerFlag("window", "N",
                  "change detection: points each test looks at [" + std::to_string(d.window) + "]"),
      NumberFlag("pvalue", "P", "the significance of a change [" + number(d.max_pvalue) + "]"),
      NumberFlag("min-change", "R",
                 "the least relative change reported [" + number(d.min_magnitude) + "]")
          .Replaces({"magnitude"}),
      Switch("linear", "detect on the values, not their logarithms"),
      Switch("no-outlier-guard", "let single-point spikes count")};
}

template <typename... Lists>
std::vector<FlagSpec> Join(std::vector<FlagSpec> first, Lists... rest) {
  (first.insert(first.end(), rest.begin(), rest.end()), ...);
  return first;
}

}  // namespace

const CommandSpec kRunCommand = {
    kProgram,
    "run",
    "measure workloads on this machine into a results database",
    "",
    Join(
        {TextFlag("suite", "NAME",
                  "quick, standard, accuracy or full [quick, unless --workloads is given]"),
         Workloads("the workloads whose ids match this shell glob (within --suite, if given)"),
         Db("the results database: a SQLite file or a postgresql:// URI [effbench.db]"), Insecure(),
         IntegerFlag("repetitions", "N", "timed repetitions of each workload [5]"),
         IntegerFlag("threads", "N", "threads each workload may use [1]"),
         NumberFlag("min-time", "SECONDS", "the least time of one repetition [0.1]"),
         IntegerFlag("seed", "N", "seeds every random input [fresh each run, stored with it]"),
         Switch("recalibrate", "measure this machine's roofline again before the run"),
         TextFlag("data-dir", "DIR",
                  "datasets [$EFFBENCH_DATA_DIR or /usr/share/datasets/fashion-mnist]"),
         TextFlag("cache-dir", "DIR", "trained models [$EFFBENCH_CACHE_DIR or ~/.cache/effbench]")},
        Revision(),
        std::vector<FlagSpec>{
            TableFormat(), Switch("wide", "add the kernel each backend chose"),
            TextFlag("progress", "MODE", "auto, tty, lines or none [auto]"),
            NumberFlag("progress-every", "SECONDS", "the interval of progress lines [10]")},
        Detection()),
    "",
    kExitCodes};

const CommandSpec kRunsCommand = {
    kProgram,
    "runs",
    "the runs of a database, newest first; `runs delete ID` removes a run (an id prefix) and its "
    "results",
    "[list] | delete ID",
    {Db(), Insecure(),
     TextFlag("machines", "A,B,...", "only these machines: hostnames or fingerprint prefixes")
         .Replaces({"machine"}),
     TextFlag("commit", "PREFIX", "only runs of commits with this prefix"),
     IntegerFlag("limit", "N", "at most N runs [20]"), ListFormat(),
     Switch("yes", "delete: do it (without it, say what would go)")},
    "",
    kExitCodes};

const CommandSpec kCalibrateCommand = {
    kProgram,
    "calibrate",
    "measure this machine's roofline again and store it",
    "",
    {Db("the results database: a SQLite file or a postgresql:// URI [effbench.db]"), Insecure(),
     ListFormat()},
    "",
    kExitCodes};

const CommandSpec kWorkloadsCommand = {
    kProgram,
    "workloads",
    "list the workloads and the suites that hold them",
    "",
    {TextFlag("suite", "NAME", "only this suite's workloads"), ListFormat()},
    "",
    kExitCodes};

const CommandSpec kMachinesCommand = {kProgram,
                                      "machines",
                                      "list the machines of a database with their calibration",
                                      "",
                                      {Db(), Insecure(), ListFormat()},
                                      "",
                                      kExitCodes};

const CommandSpec kReportCommand = {
    kProgram,
    "report",
    "one run's efficiency table, or machines side by side",
    "",
    {Db(), Insecure(),
     TextFlag("run", "ID", "one run (an id prefix) [each machine's latest, side by side]"),
     Switch("wide", "one run: add the kernel each backend chose"),
     TextFlag("machines", "A,B,...", "machines: hostnames, agent names or fingerprint prefixes"),
     TextFlag("workloads", "GLOB", "the workloads whose ids match this shell glob"),
     TextFlag("variants", "V,...",
              "variants kept: a precision, a sparsity or a label ('int8 pc_minmax')"),
     Switch("latest", "each machine's latest run (the default)"),
     TextFlag("runs", "ID,...", "these runs, at most one per machine"),
     TextFlag("since", "DATE", "only runs started from then (UTC)"),
     TextFlag("until", "DATE", "only runs started until then (UTC)"),
     TextFlag("baseline-variant", "VARIANT", "what speedups are over [fp32]"),
     TextFlag("reference", "MACHINE",
              "the machine the others are normalised to [the one with most results]"),
     TextFlag("format", "FORMAT",
              "console, markdown, csv, json, html or bmf (one run, for Bencher) [console]"),
     TextFlag("out", "FILE", "write there, not to stdout")},
    "",
    kExitCodes};

const CommandSpec kHistoryCommand = {
    kProgram,
    "history",
    "series over commits with the changes found in them",
    "",
    {Db(), Insecure(), TextFlag("workloads", "GLOB", "the series of these workloads"),
     TextFlag("series", "ID", "one series"), TextFlag("machines", "A,B,...", "only these machines"),
     IntegerFlag("threads", "N", "only results with this many threads"),
     TextFlag("format", "FORMAT", "console, markdown, csv, json or html [console]"),
     TextFlag("out", "FILE", "write there, not to stdout")},
    "",
    kExitCodes};

const CommandSpec kServeCommand = {
    kProgram,
    "serve",
    "the fleet coordinator: takes agents, schedules jobs, stores results, serves the HTTP API",
    "",
    Join(
        {Db("the results database: a SQLite file or a postgresql:// URI [effbench.db]"),
         Insecure(),
         TextFlag("listen", "HOST:PORT", "the agents' port [127.0.0.1:7450]"),
         TextFlag("http", "HOST:PORT", "the HTTP API and the live page [none]"),
         TextFlag("token-file", "FILE", "the fleet token, or its stored key (effbench token hash)"),
         TextFlag("tls-cert", "FILE", "the agents' port over TLS: certificate"),
         TextFlag("tls-key", "FILE", "and its key"),
         TextFlag("http-tls-cert", "FILE", "HTTPS: certificate"),
         TextFlag("http-tls-key", "FILE", "and its key"),
         Switch("http-read-token", "the HTTP API's reads need the token too"),
         Switch("require-enrolled",
                "agents must prove a key of their own (agents enroll); the fleet token opens the "
                "HTTP API only"),
         TextFlag("config", "FILE", "settings as JSON (flags win over it)"),
         TextFlag("schedule", "HH:MM", "run a suite every day at this UTC time"),
         TextFlag("schedule-suite", "NAME", "the scheduled suite [standard]"),
         TextFlag("schedule-agents", "SELECTOR", "the agents it runs on [*]"),
         NumberFlag("heartbeat", "SECONDS", "between heartbeats [5]"),
         IntegerFlag("max-frame", "BYTES", "the largest frame an agent may send"),
         NumberFlag("frame-timeout", "SECONDS", "for a frame to arrive whole [10]"),
         NumberFlag("drain-timeout", "SECONDS", "for agents to finish at shutdown [10]"),
         IntegerFlag("max-preauth", "N", "connections not yet authenticated [64]"),
         NumberFlag("job-lease", "SECONDS", "a job's lease before it is handed out again [600]"),
         NumberFlag("agent-ttl", "HOURS", "how long a gone agent still matches selectors [24]"),
         IntegerFlag("http-max-connections", "N", "open HTTP connections [256]"),
         NumberFlag("http-request-timeout", "SECONDS", "for a whole HTTP request [30]"),
         TextFlag("ready-file", "FILE", "written with the ports once both listen")},
        Detection()),
    "",
    kExitCodes};

const CommandSpec kSubmitCommand = {
    kProgram,
    "submit",
    "queue a run on the fleet",
    "",
    Join(Coordinator(),
         std::vector<FlagSpec>{
             TextFlag("suite", "NAME", "the suite to run"),
             Workloads("the workloads whose ids match this shell glob"),
             TextFlag("agents", "SELECTOR", "which agents: a name, a glob or labels k=v,... [*]"),
             IntegerFlag("repetitions", "N", "timed repetitions of each workload"),
             NumberFlag("min-time", "SECONDS", "the least time of one repetition"),
             IntegerFlag("threads", "N", "threads each workload may use"),
             IntegerFlag("seed", "N", "seeds every random input"), ListFormat()},
         Revision()),
    "",
    kExitCodes};

const CommandSpec kJobsCommand = {
    kProgram,
    "jobs",
    "the coordinator's jobs, or cancel one",
    "[list] | cancel ID",
    Join(Coordinator(), std::vector<FlagSpec>{TextFlag("state", "STATE", "only jobs in this state"),
                                              ListFormat()}),
    "",
    kExitCodes};

const CommandSpec kAgentsCommand = {
    kProgram,
    "agents",
    "the coordinator's agents; enroll one with a key of its own, "
    "revoke its key, or forget it",
    "[list] | enroll NAME | revoke NAME | forget NAME",
    Join(Coordinator(),
         std::vector<FlagSpec>{ListFormat(), TextFlag("out", "FILE",
                                                      "enroll: write the agent's key there "
                                                      "(created 0600), not to stdout")}),
    "",
    kExitCodes};

const CommandSpec kTokenCommand = {
    kProgram,
    "token",
    "new: a fresh fleet token (to stdout, or FILE created 0600); hash: the key a coordinator "
    "stores for it",
    "new | hash",
    {TextFlag("out", "FILE", "new: write the token there"),
     TextFlag("token-file", "FILE", "hash: the token [fleet.token]")},
    "",
    kExitCodes};

const CommandSpec kCompareCommand = {
    kProgram,
    "compare",
    "two runs or commits series by series, or two Google Benchmark files (BASE.json NEW.json); "
    "exit 3 on a confirmed regression",
    "[BASE.json NEW.json]",
    {Db(), Insecure(), TextFlag("baseline", "RUN|COMMIT", "the run or commit compared against"),
     TextFlag("candidate", "RUN|COMMIT", "the run or commit compared"),
     TextFlag("workloads", "GLOB", "the series whose names match this shell glob")
         .Replaces({"filter"}),
     TextFlag("metrics", "M,...", "time,cpu_time,items_per_second,... or all [time,cpu_time]"),
     NumberFlag("threshold", "R", "the least change that counts [0.02]"),
     NumberFlag("alpha", "P", "the false discovery rate [0.05]"),
     Switch("fail-on-missing", "exit 3 also when a series failed or is gone"), TableFormat()},
    "",
    kExitCodes};

const CommandSpec kRegressionsCommand = {
    kProgram,
    "regressions",
    "changes found in each series' history, grouped by commit range; exit 3 while a regression "
    "is new",
    "[list] | ack ID... | set STATE ID... | check",
    Join({Db(), Insecure(), TextFlag("since", "ISO8601", "only changes detected since then"),
          TextFlag("state", "STATE", "new, acknowledged, fixed, false-positive or withdrawn"),
          TableFormat()},
         Detection()),
    "",
    kExitCodes};

const CommandSpec kImportCommand = {
    kProgram, "import",  "another tool's results as a run", "FILE", Join(Import(), Detection()),
    "",       kExitCodes};

const CommandSpec kExecCommand = {
    kProgram,
    "exec",
    "run a benchmark binary and import its results, as `bencher run` does (gbench: adds "
    "--benchmark_out=FILE --benchmark_out_format=json; bmf: reads its stdout)",
    "-- ./my_bench [ARGS...]",
    Join(Import(), Detection()),
    "",
    kExitCodes};

const CommandSpec kDbCommand = {
    kProgram,
    "db",
    "check: PRAGMA integrity_check of a SQLite database, or the consistency of a PostgreSQL "
    "one; exit 0 sound, 1 damaged. copy: every table of one database into an empty other, "
    "either backend, ids kept, each table's rows counted and checksummed again. grant: a "
    "PostgreSQL role may read (report, history, the dashboard) or write (serve, run, import). "
    "prune: removes the runs started before --before with their results (PostgreSQL: whole "
    "months' partitions dropped); their series' changes stay, marked pruned",
    "check | copy | grant | prune",
    {Db(), Insecure(),
     TextFlag("from", "DB", "copy: the database copied (a SQLite file or a postgresql:// URI)"),
     TextFlag("to", "DB", "copy: the empty database it is copied into (made when absent)"),
     TextFlag("role", "NAME", "grant: the role (made, without a password, when absent)"),
     TextFlag("access", "read|write", "grant: what the role may do"),
     TextFlag("before", "DATE", "prune: the runs started before this ISO 8601 date go"),
     Switch("yes", "prune: really remove them")},
    "",
    kExitCodes};

const CommandSpec kChangepointsCommand = {
    kProgram,
    "changepoints",
    "change points of any series in a CSV file",
    "",
    Join({TextFlag("csv", "FILE", "the series, one value a row"),
          TextFlag("column", "NAME", "the column of values [the last numeric one]")},
         Detection(),
         std::vector<FlagSpec>{
             Switch("log",
                    "detect on log values: the default, refused for values <= 0 (without it, "
                    "such a series is detected on its values)"),
             ListFormat()}),
    "",
    kExitCodes};

const std::vector<const CommandSpec*>& AllCommands() {
  static const std::vector<const CommandSpec*> all = {
      &kRunCommand,      &kRunsCommand,        &kCalibrateCommand, &kWorkloadsCommand,
      &kMachinesCommand, &kReportCommand,      &kHistoryCommand,   &kServeCommand,
      &kSubmitCommand,   &kJobsCommand,        &kAgentsCommand,    &kTokenCommand,
      &kCompareCommand,  &kRegressionsCommand, &kImportCommand,    &kExecCommand,
      &kDbCommand,       &kChangepointsCommand};
  return all;
}

std::string TopLevelUsage() {
  std::string text = "usage: effbench <command> [flags]\n\ncommands:\n";
  size_t width = 0;
  for (const CommandSpec* c : AllCommands()) width = std::max(width, c->name.size());
  for (const CommandSpec* c : AllCommands()) {
    std::string line = "  " + c->name;
    line.resize(width + 4, ' ');
    text += line + c->summary + "\n";
  }
  text += "\n`effbench COMMAND --help` lists a command's flags.\n\nexit codes: ";
  text += kExitCodes;
  text += "\n";
  return text;
}

std::string CommandReference() {
  std::string text;
  for (const CommandSpec* c : AllCommands()) {
    if (!text.empty()) text += "\n";
    text += c->Markdown();
  }
  return text;
}

}  // namespace effbench::cli
