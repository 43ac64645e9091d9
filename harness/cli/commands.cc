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
#include "core/time.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/flags.h"
#include "harness/machine/calibration.h"
#include "harness/store/result_store.h"
#include "reports/efficiency_table.h"
#include "workloads/catalog.h"
#include "workloads/catalog/specs.h"

namespace effbench::cli {
namespace {

// No command, or one effbench does not know: the list of commands.
int Usage(std::ostream& err, const std::string& problem) {
  err << "effbench: " << problem << "\n\n" << TopLevelUsage();
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

}  // namespace

Result<bool> ListFormatIsJson(const Flags& flags) {
  const std::string format = flags.GetOr("format", "console");
  if (format == "json") return true;
  if (format == "console") return false;
  return Status::InvalidArgument("--format must be console or json, got '" + format + "'");
}

Result<stats::ChangePointOptions> DetectionFromFlags(const Flags& flags) {
  stats::ChangePointOptions o = stats::kDetectionDefaults;
  auto window = flags.GetInt("window", static_cast<long>(o.window), 4, 100000);
  if (!window.ok()) return window.status();
  auto pvalue = flags.GetDouble("pvalue", o.max_pvalue, 1e-12, 1);
  if (!pvalue.ok()) return pvalue.status();
  auto min_change = flags.GetDouble("min-change", o.min_magnitude, 0, 100);
  if (!min_change.ok()) return min_change.status();
  o.window = static_cast<size_t>(*window);
  o.max_pvalue = *pvalue;
  o.min_magnitude = *min_change;
  if (flags.Has("linear")) o.log_scale = false;
  if (flags.Has("no-outlier-guard")) o.outlier_guard = false;
  return o;
}

int UsageError(std::ostream& err, const std::string& problem, const CommandSpec& command) {
  err << command.Title() << ": " << problem << "\n(" << command.Title()
      << " --help lists its flags)\n";
  return kExitUsage;
}

int Failure(std::ostream& err, const Status& s, const CommandSpec& command) {
  err << command.Title() << ": " << s.message() << "\n";
  return kExitError;
}

int CommandError(std::ostream& err, const Status& s, const CommandSpec& command) {
  err << command.Title() << ": " << s.message() << "\n";
  return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
}

store::ServerTransport TransportFromFlags(const Flags& flags) {
  return flags.Has("insecure") ? store::ServerTransport::kInsecureAllowed
                               : store::ServerTransport::kTlsUnlessLocal;
}

Result<std::unique_ptr<store::Store>> OpenExisting(const Flags& flags, store::OpenCheck check) {
  const auto path = flags.Get("db");
  if (!path) return Status::InvalidArgument("--db DB is required");
  std::error_code ec;  // stat only: no descriptor of a database outside SQLite
  if (!store::IsPostgresLocation(*path) && !std::filesystem::exists(*path, ec)) {
    return Status::NotFound(*path + ": no such database");
  }
  return store::OpenStore(*path, store::Durability::kNormal, check, TransportFromFlags(flags));
}

int WorkloadsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kWorkloadsCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kWorkloadsCommand);
  const auto json_format = ListFormatIsJson(*flags);
  if (!json_format.ok()) return UsageError(err, json_format.status().message(), kWorkloadsCommand);
  auto selected = workloads::Select(flags->Get("suite"), std::nullopt);
  if (!selected.ok()) return UsageError(err, selected.status().message(), kWorkloadsCommand);

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
    if (inv.contains("sve_bits"))
      isa += "  (SVE " + std::to_string(inv.value("sve_bits", 0)) + " bits)";
    if (inv.value("emulated", false)) {
      out << "    EMULATED (qemu): its timings say nothing of real hardware, and its series are "
             "not checked for regressions\n";
    }
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
  auto flags = Flags::Parse(args, kMachinesCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kMachinesCommand);
  const auto json_format = ListFormatIsJson(*flags);
  if (!json_format.ok()) return UsageError(err, json_format.status().message(), kMachinesCommand);
  auto db = OpenExisting(*flags);
  if (!db.ok()) {
    err << "effbench machines: " << db.status().message() << "\n";
    return db.status().code() == Status::Code::kInvalidArgument && !flags->Has("db") ? kExitUsage
                                                                                     : kExitError;
  }
  auto machines = (*db)->Machines();
  if (!machines.ok()) {
    return Failure(err, machines.status(), kMachinesCommand);
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
  auto flags = Flags::Parse(args, kDbCommand, err);
  if (!flags.ok()) return UsageError(err, flags.status().message(), kDbCommand);
  if (flags->positional() == std::vector<std::string>{"copy"}) {
    const auto from = flags->Get("from"), to = flags->Get("to");
    if (!from || !to) return UsageError(err, "db copy needs --from DB and --to DB", kDbCommand);
    auto copied = store::CopyDatabase(*from, *to, TransportFromFlags(*flags));
    if (!copied.ok()) return CommandError(err, copied.status(), kDbCommand);
    for (const std::string& line : *copied) out << "  " << line << "\n";
    out << "copied " << *from << " into " << *to << "\n";
    return kExitOk;
  }
  if (flags->positional() == std::vector<std::string>{"prune"}) {
    const auto given = flags->Get("before");
    if (!flags->Get("db") || !given) {
      return UsageError(err, "db prune needs --db DB --before DATE (and --yes)", kDbCommand);
    }
    // As UTC, in the form runs' start times are stored in, for comparing.
    const auto parsed = ParseIso8601(*given);
    if (!parsed.ok()) {
      return UsageError(err, "--before: " + parsed.status().message(), kDbCommand);
    }
    const std::optional<std::string> before = Iso8601(*parsed);
    if (!flags->Has("yes")) {
      return UsageError(err,
                        "db prune removes every run started before " + *before +
                            " with its results; give --yes to do it",
                        kDbCommand);
    }
    auto db = OpenExisting(*flags);
    if (!db.ok()) return CommandError(err, db.status(), kDbCommand);
    auto pruned = (*db)->PruneBefore(*before, UtcNowIso8601());
    if (!pruned.ok()) return CommandError(err, pruned.status(), kDbCommand);
    out << "pruned " << pruned->runs << " run(s) started before " << *before << " and their "
        << pruned->results << " result(s)";
    if (pruned->partitions_dropped > 0) {
      out << " (" << pruned->partitions_dropped << " month partition(s) dropped)";
    }
    out << "; " << pruned->regressions_kept << " change(s) of their series kept, marked pruned";
    if (pruned->runs_kept_for_jobs > 0) {
      out << "; " << pruned->runs_kept_for_jobs << " run(s) kept for unfinished jobs";
    }
    out << "\n";
    return kExitOk;
  }
  if (flags->positional() == std::vector<std::string>{"grant"}) {
    const auto db = flags->Get("db"), role = flags->Get("role"), access = flags->Get("access");
    if (!db || !role || !access || (*access != "read" && *access != "write")) {
      return UsageError(err, "db grant needs --db DB --role NAME --access read|write", kDbCommand);
    }
    auto granted = store::GrantAccess(
        *db, *role, *access == "write" ? store::Access::kWrite : store::Access::kRead,
        TransportFromFlags(*flags));
    if (!granted.ok()) return CommandError(err, granted.status(), kDbCommand);
    for (const std::string& line : *granted) out << line << "\n";
    return kExitOk;
  }
  if (flags->positional() != std::vector<std::string>{"check"}) {
    return UsageError(err,
                      "expected `db check --db DB`, `db copy --from DB --to DB` or `db grant "
                      "--db DB --role NAME --access read|write`",
                      kDbCommand);
  }
  const auto path = flags->Get("db");
  if (!path) return UsageError(err, "--db DB is required", kDbCommand);
  auto check = store::CheckDatabase(*path, TransportFromFlags(*flags));
  if (!check.ok()) {
    return Failure(err, check.status(), kDbCommand);
  }
  if (check->problems.empty()) {
    out << *path << ": ok (" << check->how << ")\n";
    return kExitOk;
  }
  out << *path << ": " << check->problems.size() << " problem(s) (" << check->how << "):\n";
  for (const std::string& p : check->problems) out << "  " << p << "\n";
  return kExitError;
}

namespace {

using Handler = int (*)(const std::vector<std::string>&, std::ostream&, std::ostream&);
const std::pair<const char*, Handler> kHandlers[] = {
    {"run", RunCommand},
    {"runs", RunsCommand},
    {"calibrate", CalibrateCommand},
    {"workloads", WorkloadsCommand},
    {"machines", MachinesCommand},
    {"report", ReportCommand},
    {"history", HistoryCommand},
    {"serve", ServeCommand},
    {"submit", SubmitCommand},
    {"jobs", JobsCommand},
    {"agents", AgentsCommand},
    {"token", TokenCommand},
    {"compare", CompareCommand},
    {"regressions", RegressionsCommand},
    {"import", ImportCommand},
    {"exec", ExecCommand},
    {"db", DbCommand},
    {"changepoints", ChangepointsCommand},
};

const CommandSpec* FindCommand(const std::string& name) {
  for (const CommandSpec* c : AllCommands()) {
    if (c->name == name) return c;
  }
  return nullptr;
}

}  // namespace

int Main(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  if (argv.size() < 2) return Usage(err, "no command given");
  if (argv[1] == "--version" || argv[1] == "version") {
    out << "effbench " << EFFBENCH_VERSION << "\n"
        << "build: " << machine::BuildDescription() << "\n";
    return kExitOk;
  }
  // `effbench COMMAND --help` (anywhere before "--"): that command's help, exit 0.
  const CommandSpec* spec = FindCommand(argv[1]);
  if (spec != nullptr) {
    for (size_t i = 2; i < argv.size() && argv[i] != "--"; ++i) {
      if (argv[i] == "--help" || argv[i] == "-h") {
        out << spec->Help();
        return kExitOk;
      }
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
  if (command == "help" || command == "--help" || command == "-h") {
    // help, help COMMAND, help --markdown (the README's command reference).
    if (rest.empty()) {
      out << TopLevelUsage();
      return kExitOk;
    }
    if (rest[0] == "--markdown") {
      out << CommandReference();
      return kExitOk;
    }
    if (const CommandSpec* asked = FindCommand(rest[0])) {
      out << asked->Help();
      return kExitOk;
    }
    return Usage(err, "help: unknown command '" + rest[0] + "'");
  }
  for (const auto& [name, run] : kHandlers) {
    if (command == name) return run(rest, out, err);
  }
  return Usage(err, "unknown command '" + command + "'");
}

}  // namespace effbench::cli
