// effbench workloads | machines | report, and the dispatcher.
#include "harness/cli/commands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cpu_features.h"
#include "core/terminal.h"
#include "harness/cli/flags.h"
#include "harness/machine/calibration.h"
#include "harness/store/result_store.h"
#include "reports/efficiency_table.h"
#include "workloads/catalog.h"
#include "workloads/catalog/specs.h"

namespace effbench::cli {
namespace {

constexpr char kUsage[] = R"(usage: effbench <command> [flags]

commands:
  run        measure workloads on this machine into a results database
             [--suite quick|standard|full|accuracy] [--workload GLOB] [--db FILE]
             [--repetitions N] [--threads N] [--min-time SECONDS] [--seed N] [--recalibrate]
             [--data-dir DIR (datasets)] [--cache-dir DIR (trained models)]
             [--repo URL --commit SHA --branch NAME --commit-time ISO8601]
             [--format console|markdown|csv|json] [--wide]
             [--progress auto|tty|lines|none] [--progress-every SECONDS (lines: 10)]
  runs       the runs of a database, newest first --db FILE [--machine HOST|FINGERPRINT]
             [--commit PREFIX] [--limit 20] [--format console|json];
             runs delete ID --db FILE --yes: remove a run (an id prefix) and its results
  calibrate  measure this machine's roofline again and store it --db FILE
  workloads  list the workloads and suites [--suite NAME] [--format console|json]
  machines   list the machines of a database --db FILE [--format console|json]
  report     one run, or machines side by side --db FILE [--run ID [--wide]]
             [--machines A,B,...] [--workloads GLOB] [--variants fp32,int8,...]
             [--latest | --runs ID,ID,...] [--since DATE] [--until DATE]
             [--baseline-variant fp32] [--reference MACHINE]
             [--format console|markdown|csv|json|html|bmf (one run, for Bencher)] [--out FILE]
  history    series over commits with their changes --db FILE [--workloads GLOB | --series ID]
             [--machines A,B,...] [--threads N] [--format console|markdown|csv|json|html]
             [--out FILE]
  serve      the fleet coordinator --db FILE --listen HOST:PORT --token-file F [--http HOST:PORT]
             [--tls-cert C --tls-key K] [--http-tls-cert C --http-tls-key K] [--http-read-token]
             [--config FILE] [--schedule HH:MM --schedule-suite S] [--heartbeat S]
             [--max-frame BYTES] [--frame-timeout S] [--drain-timeout S] [--max-preauth N]
             [--job-lease S] [--agent-ttl HOURS] [--http-max-connections N]
             [--http-request-timeout S]
  submit     queue a run on the fleet --coordinator http(s)://HOST:PORT --suite NAME
             [--workload GLOB] [--agents SELECTOR] [--repo/--commit/--branch/--commit-time]
             [--token-file F] [--ca FILE] [--insecure]
             [--repetitions N] [--min-time S] [--threads N] [--seed N]
  jobs       the coordinator's jobs: [list] | cancel ID  --coordinator URL [--token-file F]
  agents     the coordinator's agents: [list] | forget NAME  --coordinator URL [--token-file F]
  token      new [--out FILE]: a fresh fleet token (FILE created 0600);
             hash --token-file F: print its stored key
  compare    two runs or commits, series by series --db FILE --baseline RUN|COMMIT
             --candidate RUN|COMMIT; or two Google Benchmark files: compare BASE.json NEW.json
             [--filter GLOB] [--metrics time,cpu_time,...|all] [--threshold 0.02] [--alpha 0.05]
             [--fail-on-missing] [--format console|markdown|csv|json]; exit 3 on a confirmed
             regression (or, with --fail-on-missing, a series failed or gone)
  regressions  changes found in each series' history, grouped by commit range
             --db FILE [--since ISO8601 (when detected)]
             [--state new|acknowledged|fixed|false-positive|withdrawn]
             [--format console|markdown|csv|json]; exit 3 while a regression is new
             regressions ack ID... | set STATE ID... | check   (with --db FILE)
  import     another tool's results as a run: FILE --db DB [--format gbench|bmf]
             [--commit SHA (default: the git checkout's)] [--repo URL] [--branch NAME]
             [--commit-time ISO8601] [--time-measure latency (bmf)]
             [--again (store a file already stored under another commit)]
             [--skip-invalid (store a file whose rows are not all measurements, counting
             those skipped; without it such a file is refused)]
  exec       run a benchmark binary and import its results, as `bencher run` does:
             --db DB [--format gbench|bmf] [import's flags] -- ./my_bench [args]
             (gbench: adds --benchmark_out=FILE --benchmark_out_format=json; bmf: reads stdout)
  db check   PRAGMA integrity_check of a database --db FILE: exit 0 sound, 1 damaged
  changepoints  change points of any series --csv FILE [--column NAME] [--window N]
             [--pvalue P] [--magnitude M] [--log] [--no-outlier-guard] [--format console|json]

exit codes: 0 ok, 1 error, 2 usage, 3 a confirmed regression (compare, regressions)
)";

int Usage(std::ostream& err, const std::string& problem) {
  err << "effbench: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

nlohmann::json Facts(const workloads::WorkloadSpec& spec) {
  nlohmann::json facts = nlohmann::json::object();
  for (const auto& [name, value] : spec.facts) facts[name] = value;
  return facts;
}

// The --format of a listing command: true for json, false for console.
Result<bool> ListFormatIsJson(const Flags& flags, const std::string& command) {
  const std::string format = flags.GetOr("format", "console");
  if (format == "json") return true;
  if (format == "console") return false;
  return Status::InvalidArgument(command + " --format must be console or json, got '" + format +
                                 "'");
}

}  // namespace

int UsageError(std::ostream& err, const std::string& problem, const char* command) {
  err << "effbench " << command << ": " << problem << "\n(effbench " << command
      << " --help lists its flags)\n";
  return kExitUsage;
}

int CommandError(std::ostream& err, const Status& s, const char* command) {
  err << "effbench " << command << ": " << s.message() << "\n";
  return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
}

Result<std::unique_ptr<store::Store>> OpenExisting(const Flags& flags, store::OpenCheck check) {
  const auto path = flags.Get("db");
  if (!path) return Status::InvalidArgument("--db FILE is required");
  std::error_code ec;  // stat only: no descriptor of a database outside SQLite
  if (!std::filesystem::exists(*path, ec)) return Status::NotFound(*path + ": no such database");
  return store::OpenStore(*path, store::Durability::kNormal, check);
}

int WorkloadsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"suite", "format"});
  if (!flags.ok()) return Usage(err, flags.status().message());
  const auto json_format = ListFormatIsJson(*flags, "workloads");
  if (!json_format.ok()) return Usage(err, json_format.status().message());
  auto selected = workloads::Select(flags->Get("suite"), std::nullopt);
  if (!selected.ok()) return Usage(err, selected.status().message());

  // Which suites hold each workload, computed once.
  const auto suites_of = [](const workloads::WorkloadSpec* spec) {
    std::vector<std::string> names;
    for (const catalog::Suite& suite : catalog::Suites()) {
      if (suite.Has(spec->id)) names.push_back(suite.name);
    }
    return names;
  };
  if (*json_format) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto* spec : *selected) {
      nlohmann::json params = nlohmann::json::object();
      for (const auto& [k, v] : spec->params) params[k] = v;
      array.push_back({{"id", spec->id},
                       {"family", spec->family},
                       {"params", params},
                       {"variant",
                        {{"precision", spec->variant.precision},
                         {"sparsity", spec->variant.sparsity},
                         {"backend", spec->variant.backend}}},
                       {"flop", spec->flop},
                       {"bytes", spec->bytes},
                       {"weight_bytes", spec->weight_bytes},
                       {"facts", Facts(*spec)},
                       {"suites", suites_of(spec)}});
    }
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto* spec : *selected) {
    std::string suites;
    for (const auto& s : suites_of(spec)) {
      if (!suites.empty()) suites += ',';
      suites += s;
    }
    std::string facts;
    for (const auto& [name, value] : spec->facts) {
      facts += "  " + name + " " + Fixed(value / 1e6, 2) + " M";
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-44s %9.3f GFLOP %9.2f MB  %s%s\n", spec->id.c_str(),
                  spec->flop / 1e9, spec->bytes / 1e6, suites.c_str(), facts.c_str());
    out << line;
  }
  return kExitOk;
}

// The machines of `array` (their JSON entries) as console text.
std::string MachinesConsole(const nlohmann::json& array) {
  std::ostringstream out;
  for (const auto& m : array) {
    const auto& inv = m["inventory"];
    if (inv.is_object() && inv.value("source", "") == "google-benchmark") {
      // What a Google Benchmark file says of its machine: no CPU model, no ISA.
      out << m["fingerprint"].get<std::string>().substr(0, 12) << "  " << inv.value("hostname", "?")
          << "  (from a Google Benchmark file)  " << inv.value("threads", 0) << " CPUs at "
          << inv.value("mhz", 0) << " MHz  last seen " << m["last_seen"].get<std::string>()
          << "\n    caches:";
      for (const auto& c : inv.value("caches", nlohmann::json::array())) {
        out << " L" << c.value("level", 0) << " " << c.value("type", "") << " "
            << c.value("bytes", int64_t{0}) / 1024 << " KiB";
      }
      out << "\n    library build: " << inv.value("library_build_type", "?");
      if (inv.value("library_build_type", "") == "debug") out << " (timings may be affected)";
      if (inv.contains("library_version")) {
        out << ", version " << inv["library_version"].get<std::string>();
      }
      out << "\n";
      continue;
    }
    out << m["fingerprint"].get<std::string>().substr(0, 12) << "  " << inv.value("hostname", "?")
        << "  " << inv.value("cpu_model", "?") << "  " << inv.value("cores", 0) << " cores / "
        << inv.value("threads", 0) << " threads  "
        << Fixed(inv.value("memory_bytes", 0.0) / (1 << 30), 1) << " GiB  last seen "
        << m["last_seen"].get<std::string>() << "\n";
    std::string isa;
    for (const auto& f : inv.value("isa", nlohmann::json::array())) {
      isa += ' ';
      isa += f.get<std::string>();
    }
    if (inv.contains("isa_cap"))
      isa += "  (capped by EFFBENCH_MAX_ISA=" + inv.value("isa_cap", "") + ")";
    out << "    isa:" << isa << "\n    " << inv.value("os", "?") << ", kernel "
        << inv.value("kernel", "?") << "\n";
    if (auto cal = machine::CalibrationFromJson(m["calibration"]); cal.ok()) {
      PrintCalibration(*cal, out);
    } else {
      out << "    not calibrated\n";
    }
  }
  return out.str();
}

int MachinesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, {"db", "format"});
  if (!flags.ok()) return Usage(err, flags.status().message());
  const auto json_format = ListFormatIsJson(*flags, "machines");
  if (!json_format.ok()) return Usage(err, json_format.status().message());
  auto db = OpenExisting(*flags);
  if (!db.ok()) {
    err << "effbench machines: " << db.status().message() << "\n";
    return db.status().code() == Status::Code::kInvalidArgument && !flags->Has("db") ? kExitUsage
                                                                                     : kExitError;
  }
  auto machines = (*db)->Machines();
  if (!machines.ok()) {
    err << "effbench machines: " << machines.status().message() << "\n";
    return kExitError;
  }
  nlohmann::json array = nlohmann::json::array();
  for (const auto& m : *machines) {
    nlohmann::json entry = {{"fingerprint", m.fingerprint},
                            {"first_seen", m.first_seen},
                            {"last_seen", m.last_seen},
                            {"inventory", nlohmann::json::parse(m.inventory_json, nullptr, false)}};
    entry["calibration"] =
        m.calibration_json ? nlohmann::json::parse(*m.calibration_json, nullptr, false) : nullptr;
    array.push_back(std::move(entry));
  }
  if (*json_format) {
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  // Host names and library versions come from imported files: never raw
  // on a terminal.
  out << ForTerminalText(MachinesConsole(array));
  return kExitOk;
}

void PrintCalibration(const machine::Calibration& cal, std::ostream& out) {
  const auto peak = [&](const char* name, const machine::Peak& p, const char* unit) {
    out << "    " << name << " " << Fixed(p.one_thread, 1) << " / " << Fixed(p.all_threads, 1)
        << " " << unit << " (1 / " << cal.threads << " threads, spread " << Fixed(100 * p.spread, 1)
        << "%): " << p.kernel << "\n";
  };
  peak("fp32", cal.fp32_gflops, "GFLOP/s");
  if (cal.bf16_gflops) peak("bf16", *cal.bf16_gflops, "GFLOP/s");
  if (cal.int8_gops) peak("int8", *cal.int8_gops, "GOP/s");
  peak("memory", cal.triad_gbps, "GB/s");
  peak(("LLC " + std::to_string(cal.llc_bytes >> 20) + " MiB").c_str(), cal.llc_triad_gbps, "GB/s");
  out << "    calibration quality: " << cal.quality;
  for (const std::string& w : cal.warnings) out << "; " << w;
  out << "\n";
}

int DbCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] != "check") return Usage(err, "db: expected `db check --db FILE`");
  auto flags = Flags::Parse({args.begin() + 1, args.end()}, {"db"});
  if (!flags.ok()) return Usage(err, flags.status().message());
  const auto path = flags->Get("db");
  if (!path) return Usage(err, "db check: --db FILE is required");
  auto problems = store::CheckIntegrity(*path);
  if (!problems.ok()) {
    err << "effbench: db check: " << problems.status().message() << "\n";
    return kExitError;
  }
  if (problems->empty()) {
    out << *path << ": ok (PRAGMA integrity_check)\n";
    return kExitOk;
  }
  out << *path << ": " << problems->size() << " problem(s) (PRAGMA integrity_check):\n";
  for (const std::string& p : *problems) out << "  " << p << "\n";
  return kExitError;
}

// The lines of kUsage about `command`: from its line to the next command's.
std::string CommandUsage(const std::string& command) {
  std::istringstream lines(kUsage);
  std::string line, text;
  bool in = false;
  for (std::getline(lines, line); std::getline(lines, line);) {
    const bool starts_command =
        line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ';
    if (starts_command) {
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      in = name == command;
    } else if (line.empty() || line.rfind("exit codes", 0) == 0) {
      in = false;
    }
    if (in) text += line + "\n";
  }
  return text;
}

int Main(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() < 2) return Usage(err, "no command given");
  if (argv[1] == "--version" || argv[1] == "version") {
    out << "effbench " << EFFBENCH_VERSION << "\n"
        << "build: " << machine::BuildDescription() << "\n";
    return kExitOk;
  }
  // `effbench COMMAND --help`: that command's part of the usage, exit 0.
  if (argv.size() >= 3 && std::any_of(argv.begin() + 2, argv.end(), [](const std::string& a) {
        return a == "--help" || a == "-h";
      })) {
    const std::string usage = CommandUsage(argv[1]);
    if (!usage.empty()) {
      out << "usage: effbench " << argv[1] << " [flags]\n\n"
          << usage
          << "\nexit codes: 0 ok, 1 error, 2 usage, 3 a confirmed regression (compare, "
             "regressions)\n";
      return kExitOk;
    }
  }
  if (const Status& s = workloads::CatalogStatus(); !s.ok()) {
    err << "effbench: the workload specs compiled into this build are invalid: " << s.message()
        << "\n";
    return kExitError;
  }
  if (auto cap = cpu::IsaCapFromEnvironment(); !cap.ok()) {
    err << "effbench: " << cap.status().message() << "\n";
    return kExitUsage;
  }
  const std::string& command = argv[1];
  const std::vector<std::string> rest(argv.begin() + 2, argv.end());
  if (command == "run") return RunCommand(rest, out, err);
  if (command == "calibrate") return CalibrateCommand(rest, out, err);
  if (command == "workloads") return WorkloadsCommand(rest, out, err);
  if (command == "machines") return MachinesCommand(rest, out, err);
  if (command == "report") return ReportCommand(rest, out, err);
  if (command == "history") return HistoryCommand(rest, out, err);
  if (command == "serve") return ServeCommand(rest, out, err);
  if (command == "submit") return SubmitCommand(rest, out, err);
  if (command == "token") return TokenCommand(rest, out, err);
  if (command == "jobs") return JobsCommand(rest, out, err);
  if (command == "agents") return AgentsCommand(rest, out, err);
  if (command == "changepoints") return ChangepointsCommand(rest, out, err);
  if (command == "compare") return CompareCommand(rest, out, err);
  if (command == "import") return ImportCommand(rest, out, err);
  if (command == "exec") return ExecCommand(rest, out, err);
  if (command == "runs") return RunsCommand(rest, out, err);
  if (command == "regressions") return RegressionsCommand(rest, out, err);
  if (command == "db") return DbCommand(rest, out, err);
  if (command == "help" || command == "--help" || command == "-h") {
    out << kUsage;
    return kExitOk;
  }
  return Usage(err, "unknown command '" + command + "'");
}

}  // namespace effbench::cli
