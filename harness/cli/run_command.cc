// effbench run: measure a suite on this machine into a results database.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/cli/git_revision.h"
#include "harness/cli/progress.h"
#include "harness/energy/energy_meter.h"
#include "harness/engine/engine.h"
#include "harness/machine/calibration.h"
#include "harness/machine/inventory.h"
#include "harness/store/stores.h"
#include "reports/efficiency_table.h"
#include "workloads/catalog.h"
#include "workloads/catalog/specs.h"

namespace effbench::cli {
namespace {

// The cores this process may run on (its CPU affinity), at least 1.
int CoresAvailable() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Stores `cal` as the calibration of this machine (`inv`, `fingerprint`).
Status StoreCalibration(store::RunStore& db, const std::string& fingerprint,
                        const machine::Inventory& inv, const machine::Calibration& cal) {
  const std::string now = effbench::UtcNowIso8601();
  return db.UpsertMachine(store::MachineRow{fingerprint, inv.hostname, inv.cpu_model, inv.arch,
                                            machine::ToJson(inv).dump(),
                                            machine::ToJson(cal).dump(), now, now});
}

// The stored calibration of this machine, or a fresh one (then stored).
Result<machine::Calibration> Calibration(store::RunStore& db, const std::string& fingerprint,
                                         const machine::Inventory& inv, bool recalibrate,
                                         std::ostream& err) {
  if (!recalibrate) {
    auto stored = db.MachineCalibration(fingerprint);
    if (!stored.ok()) return stored.status();
    if (*stored) {
      auto parsed = machine::CalibrationFromJson(nlohmann::json::parse(**stored, nullptr, false));
      if (parsed.ok() && !parsed->stale) return parsed;
      if (parsed.ok()) {
        err << "effbench: the stored calibration is stale (" << *parsed->stale
            << "); measuring again\n";
      } else {
        err << "effbench: stored calibration unreadable (" << parsed.status().message()
            << "); measuring again\n";
      }
    }
  }
  err << "effbench: calibrating this machine's roofline (fp32/bf16/int8 peaks, STREAM triad)...\n";
  machine::Calibration cal = machine::Calibrate(inv);
  for (const std::string& w : cal.warnings) {
    err << "effbench: warning: calibration " << cal.quality << ": " << w
        << " (effbench calibrate --db DB measures again)\n";
  }
  EFFBENCH_RETURN_IF_ERROR(StoreCalibration(db, fingerprint, inv, cal));
  return cal;
}

}  // namespace

int CalibrateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kCalibrateCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kCalibrateCommand);
  }
  const std::string format = flags->GetOr("format", "console");
  if (format != "console" && format != "json") {
    return UsageError(err, std::string("unknown format '") + format + "' (known: console, json)",
                      kCalibrateCommand);
  }
  const std::string db_path = flags->GetOr("db", "effbench.db");
  auto db = store::OpenStore(db_path, store::Durability::kNormal, store::OpenCheck::kQuickCheck,
                             TransportFromFlags(*flags));
  if (!db.ok()) {
    return Failure(err, db.status(), kCalibrateCommand);
  }
  const machine::Inventory inv = machine::Probe();
  const std::string fingerprint = machine::Fingerprint(inv);
  auto cal = Calibration(**db, fingerprint, inv, /*recalibrate=*/true, err);
  if (!cal.ok()) {
    return Failure(err, cal.status(), kCalibrateCommand);
  }
  if (format == "json") {
    out << machine::ToJson(*cal).dump(2) << "\n";
  } else {
    out << fingerprint.substr(0, 12) << "  " << inv.hostname << "  " << inv.cpu_model << "\n";
    PrintCalibration(*cal, out);
  }
  return kExitOk;
}

int RunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = Flags::Parse(args, kRunCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kRunCommand);
  }
  const auto repetitions = flags->GetInt("repetitions", 5, 1, 1000);
  const auto threads = flags->GetInt("threads", 1, 1, 4096);
  const auto min_time = flags->GetDouble("min-time", 0.1, 0.001, 3600);
  const auto seed = flags->GetInt("seed", -1, 0, std::numeric_limits<long>::max());
  const auto format = reports::ParseFormat(flags->GetOr("format", "console"));
  const auto change_points = DetectionFromFlags(*flags);
  for (const Status& s : {repetitions.status(), threads.status(), min_time.status(), seed.status(),
                          format.status(), change_points.status()}) {
    if (!s.ok()) {
      return UsageError(err, s.message(), kRunCommand);
    }
  }
  if (auto given = flags->Get("commit-time")) {
    if (auto t = effbench::ParseIso8601(*given); !t.ok()) {
      return UsageError(err, std::string("--commit-time: ") + t.status().message(), kRunCommand);
    }
  }
  std::optional<std::string> suite = flags->Get("suite");
  if (!suite && !flags->Has("workloads")) suite = "quick";
  auto selected = workloads::Select(suite, flags->Get("workloads"));
  if (!selected.ok()) {
    return UsageError(err, selected.status().message(), kRunCommand);
  }

  const std::string db_path = flags->GetOr("db", "effbench.db");
  auto db = store::OpenStore(db_path, store::Durability::kNormal, store::OpenCheck::kQuickCheck,
                             TransportFromFlags(*flags));
  if (!db.ok()) {
    return Failure(err, db.status(), kRunCommand);
  }

  const machine::Inventory inv = machine::Probe();
  const std::string fingerprint = machine::Fingerprint(inv);
  const std::string now = effbench::UtcNowIso8601();
  if (Status s = (*db)->UpsertMachine(store::MachineRow{fingerprint, inv.hostname, inv.cpu_model,
                                                        inv.arch, machine::ToJson(inv).dump(),
                                                        std::nullopt, now, now});
      !s.ok()) {
    return Failure(err, s, kRunCommand);
  }
  auto cal = Calibration(**db, fingerprint, inv, flags->Has("recalibrate"), err);
  if (!cal.ok()) {
    return Failure(err, cal.status(), kRunCommand);
  }

  engine::EngineOptions options;
  options.repetitions = static_cast<int>(*repetitions);
  options.threads = static_cast<int>(*threads);
  options.min_time_s = *min_time;
  options.seed = *seed >= 0 ? static_cast<uint64_t>(*seed) : std::random_device{}() & 0x7fffffff;
  options.data_dir = flags->GetOr("data-dir", "");
  options.cache_dir = flags->GetOr("cache-dir", "");
  // Training a model for the cache is not timed: unless --threads was given,
  // it uses every core this process may run on (a first run of the accuracy
  // suite kept one of two cores idle for 38 minutes).
  options.prepare_threads = flags->Has("threads") ? options.threads : CoresAvailable();
  engine::RunContext context{result::NewUuid(), fingerprint, ResolveRevision(*flags), *cal};

  nlohmann::json config = {{"threads", options.threads},
                           {"repetitions", options.repetitions},
                           {"min_time_s", options.min_time_s},
                           {"seed", options.seed},
                           {"prepare_threads", options.prepare_threads},
                           {"workload", flags->GetOr("workloads", "*")}};
  const std::string suite_name = suite.value_or("custom");
  if (Status s = (*db)->BeginRun(store::RunRow{context.run_id, fingerprint, context.revision,
                                               suite_name, now, std::nullopt, config.dump()});
      !s.ok()) {
    return Failure(err, s, kRunCommand);
  }

  auto progress_mode = ParseProgressMode(flags->GetOr("progress", "auto"),
                                         isatty(STDERR_FILENO) && &err == &std::cerr);
  auto every = flags->GetDouble("progress-every", 10, 0, 86400);
  if (!progress_mode.ok() || !every.ok()) {
    return UsageError(err, (progress_mode.ok() ? every.status() : progress_mode.status()).message(),
                      kRunCommand);
  }
  Progress progress(*progress_mode, err, *every);
  std::vector<std::optional<double>> estimates;
  for (const workloads::WorkloadSpec* spec : *selected) {
    estimates.push_back(catalog::FirstRunEstimate(spec->id));
  }
  progress.SetEstimates(std::move(estimates));
  options.on_prepare = [&progress](const workloads::PreparationProgress& p) {
    progress.Preparing(p.what, p.done, p.total, p.seconds, p.detail);
  };
  auto meter = energy::MakeEnergyMeter();
  engine::Engine engine(options, context, *meter);
  err << "effbench: run " << context.run_id << ": " << selected->size() << " workloads of suite "
      << suite_name << ", " << options.threads << " thread(s), " << options.repetitions
      << " repetitions, seed " << options.seed << ", into " << db_path << "\n";
  size_t failed = 0, skipped = 0;
  // An fp32 result above its roofline by more than the calibration's own
  // spread: the peaks are too low (measured on a busy machine, say). Only
  // fp32: a bf16 or int8 kernel may run on units the calibration does not
  // measure (AMX tiles), and beat its roof every time.
  std::optional<std::string> beat_the_roof;
  size_t above_roof = 0;
  const Status run_status = engine.Run(
      *selected,
      [&](size_t i, size_t total, const std::string& id) { progress.Step(i, total, id); },
      [&](const result::ResultRecord& record) -> Status {
        failed += !record.ok && !record.skipped;
        skipped += record.skipped;
        if (record.roofline_note && record.variant.precision == "fp32" && ++above_roof == 1) {
          beat_the_roof =
              record.name + " reached " +
              std::to_string(static_cast<int>(100 * record.roofline_fraction.value_or(0))) +
              " % of its roofline in run " + context.run_id.substr(0, 8);
        }
        auto inserted = (*db)->InsertResults({record});
        return inserted.ok() ? Status::Ok() : inserted.status();
      });
  progress.Done();
  if (!engine.warning().empty()) err << "effbench: warning: " << engine.warning() << "\n";
  if (Status s = (*db)->FinishRun(context.run_id, effbench::UtcNowIso8601());
      !s.ok() || !run_status.ok()) {
    return Failure(err, (run_status.ok() ? s : run_status), kRunCommand);
  }
  if (beat_the_roof) {
    // Its results keep their note; the peaks are measured again next time.
    machine::Calibration stale = *cal;
    stale.stale = *beat_the_roof +
                  (above_roof > 1 ? " (and " + std::to_string(above_roof - 1) + " more result(s))"
                                  : std::string());
    if (Status s = StoreCalibration(**db, fingerprint, inv, stale); !s.ok()) {
      err << "effbench run: warning: " << s.message() << "\n";
    } else {
      err << "effbench run: warning: " << above_roof
          << " result(s) beat this machine's stored roofline (" << *beat_the_roof
          << "): its peaks are too low, and are measured again at the next run\n";
    }
  }

  if (auto changes = analysis::CheckRun(**db, **db, context.run_id, *change_points);
      !changes.ok()) {
    err << "effbench run: warning: regression check failed: " << changes.status().message() << "\n";
  } else {
    for (const std::string& line : analysis::DescribeNewChanges(*changes, context.run_id)) {
      err << "effbench run: " << line << "; `effbench regressions` lists it\n";
    }
  }

  auto records = (*db)->Results(context.run_id);
  if (!records.ok()) {
    return Failure(err, records.status(), kRunCommand);
  }
  out << reports::RenderEfficiencyTable(*records, *format, {.implementation = flags->Has("wide")});
  if (skipped) {
    err << "effbench run: " << skipped << " of " << selected->size()
        << " workloads skipped: this machine cannot run them (see the notes above)\n";
  }
  if (failed) {
    err << "effbench run: " << failed << " of " << selected->size()
        << " workloads failed (see above)\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace effbench::cli
