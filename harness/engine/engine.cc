#include "harness/engine/engine.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <mutex>

#include "core/time.h"
#include "harness/engine/internal/record_reporter.h"
#include "workloads/capability.h"

namespace effbench::engine {
namespace {

// Google Benchmark's flags are global; initialise them once, with none given.
void InitializeBenchmarkOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    int argc = 1;
    char name[] = "effbench";
    char* argv[] = {name, nullptr};
    benchmark::Initialize(&argc, argv);
  });
}

}  // namespace

Engine::Engine(EngineOptions options, RunContext context, energy::EnergyMeter& meter)
    : options_(options), context_(std::move(context)), meter_(meter) {}

result::ResultRecord Engine::NewRecord(const workloads::WorkloadSpec& spec) const {
  result::ResultRecord r;
  r.id = result::NewUuid();
  r.run_id = context_.run_id;
  r.name = spec.id;
  r.workload = spec.family;
  r.params = spec.params;
  r.variant = spec.variant;
  r.threads = spec.uses_threads ? options_.threads : 1;
  r.machine = context_.machine_fingerprint;
  r.revision = context_.revision;
  r.started_at = effbench::UtcNowIso8601(*options_.clock);
  r.seed = options_.seed;
  r.flop = spec.flop;
  r.bytes = spec.bytes;
  if (spec.weight_bytes > 0) r.weight_bytes = spec.weight_bytes;
  r.energy_source = meter_.source();
  return r;
}

result::ResultRecord Engine::Measure(const workloads::WorkloadSpec& spec) {
  result::ResultRecord record = NewRecord(spec);
  auto fail = [&record](const std::string& why) {
    record.ok = false;
    record.error = why;
    return record;
  };

  const workloads::RunConfig config{record.threads,           options_.seed,
                                    options_.data_dir,        options_.cache_dir,
                                    options_.prepare_threads, options_.on_prepare};
  if (auto why = workloads::UnmetNeed(spec, config)) {
    record.skipped = true;
    record.error = *why;
    return record;
  }
  auto prepared = spec.prepare(config);
  if (!prepared.ok()) return fail("prepare: " + prepared.status().message());
  auto fidelity = (*prepared)->Verify();
  if (!fidelity.ok()) return fail("wrong result: " + fidelity.status().message());
  record.rel_l2 = fidelity->rel_l2;
  record.max_abs = fidelity->max_abs;
  record.tolerance = fidelity->tolerance;
  record.implementation = (*prepared)->Implementation();
  record.compression = (*prepared)->CompressionInfo();
  record.quantization = (*prepared)->QuantizationInfo();
  record.quality = (*prepared)->QualityInfo();
  record.accuracy = (*prepared)->AccuracyInfo();
  record.training = (*prepared)->TrainingInfo();
  if (!fidelity->within_tolerance()) {
    return fail("fidelity: rel_l2 " + std::to_string(fidelity->rel_l2) + " exceeds the " +
                spec.variant.precision + " tolerance " + std::to_string(fidelity->tolerance));
  }

  InitializeBenchmarkOnce();
  workloads::PreparedWorkload* workload = prepared->get();
  std::optional<double> joules = 0.0;
  double iterations = 0;
  const bool device_timed = spec.device_timed;
  auto body = [&](benchmark::State& state) {
    const auto j0 = meter_.ReadJoules();
    if (device_timed) {
      for (auto _ : state) state.SetIterationTime(workload->RunOnceDeviceSeconds());
    } else {
      for (auto _ : state) workload->RunOnce();
    }
    const auto j1 = meter_.ReadJoules();
    if (j0 && j1 && joules) {
      *joules += *j1 - *j0;
    } else {
      joules.reset();
    }
    iterations += static_cast<double>(state.iterations());
  };
  benchmark::internal::Benchmark* bench = benchmark::RegisterBenchmark(spec.id.c_str(), body);
  bench->Repetitions(options_.repetitions)
      ->MinTime(options_.min_time_s)
      ->Unit(benchmark::kMillisecond);
  if (device_timed) {
    bench->UseManualTime();
  } else {
    bench->UseRealTime();
  }
  RecordReporter reporter(record, context_.calibration);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  reporter.Finish(joules, iterations);
  if (!reporter.warning().empty()) warning_ = reporter.warning();
  return record;
}

Status Engine::Run(const std::vector<const workloads::WorkloadSpec*>& specs,
                   const ProgressFn& progress, const SinkFn& sink) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (progress) progress(i, specs.size(), specs[i]->id);
    EFFBENCH_RETURN_IF_ERROR(sink(Measure(*specs[i])));
  }
  return Status::Ok();
}

}  // namespace effbench::engine
