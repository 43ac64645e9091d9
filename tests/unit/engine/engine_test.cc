#include "harness/engine/engine.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "workloads/catalog.h"

namespace effbench::engine {
namespace {

// A workload whose verification and timed body are given by the test.
class FakeWorkload final : public workloads::PreparedWorkload {
 public:
  explicit FakeWorkload(Result<Fidelity> fidelity) : fidelity_(std::move(fidelity)) {}
  Result<Fidelity> Verify() override { return fidelity_; }
  void RunOnce() override {
    volatile double x = 0;
    for (int i = 0; i < 1000; ++i) x = x + i;
  }
  // The "device" says every iteration took exactly 250 microseconds.
  double RunOnceDeviceSeconds() override {
    RunOnce();
    return 250e-6;
  }

 private:
  Result<Fidelity> fidelity_;
};

workloads::WorkloadSpec FakeSpec(Result<Fidelity> fidelity) {
  workloads::WorkloadSpec spec;
  spec.id = "fake.fp32/n1000@ref";
  spec.family = "fake";
  spec.params = {{"n", 1000}};
  spec.variant = {"fp32", "dense", "ref", ""};
  spec.flop = 2000;
  spec.bytes = 8;
  spec.prepare =
      [fidelity](
          const workloads::RunConfig&) -> Result<std::unique_ptr<workloads::PreparedWorkload>> {
    return std::unique_ptr<workloads::PreparedWorkload>(std::make_unique<FakeWorkload>(fidelity));
  };
  return spec;
}

// A calibration made up for tests: `fp32_gflops` of compute, 5 GB/s of memory
// and 50 GB/s of cache bandwidth, each measured with `spread`.
machine::Calibration FakeCalibration(double fp32_gflops, double spread = 0.02) {
  machine::Calibration c;
  c.threads = 1;
  c.fp32_gflops = {fp32_gflops, fp32_gflops, "fma", spread};
  c.triad_gbps = {5, 5, "triad", spread};
  c.llc_triad_gbps = {50, 50, "llc triad", spread};
  c.llc_bytes = 1 << 20;
  return c;
}

struct Harness {
  explicit Harness(double fp32_gflops = 10) : calibration(FakeCalibration(fp32_gflops)) {}
  machine::Calibration calibration;
  std::unique_ptr<energy::EnergyMeter> meter = energy::MakeEnergyMeter("/nonexistent");
  Engine engine{EngineOptions{3, 0.005, 1, 42},
                RunContext{result::NewUuid(), testing::FakeFingerprint(),
                           result::Revision{"repo", "abc", "main", std::nullopt}, calibration},
                *meter};
};

TEST_CASE("a right workload is timed into a valid record with every repetition", "[engine]") {
  Harness h;
  const auto record = h.engine.Measure(FakeSpec(Fidelity{1e-7, 1e-6, 1e-5}));
  INFO(record.error);
  REQUIRE(record.ok);
  CHECK(record.samples_ns.size() == 3);
  for (double ns : record.samples_ns) CHECK(ns > 0);
  REQUIRE(record.stats);
  CHECK(record.stats->min_ns <= record.stats->median_ns);
  CHECK(*record.gflops == Approx(2000 / record.stats->median_ns));
  REQUIRE(record.roofline_fraction);
  CHECK(*record.roofline_fraction > 0);
  CHECK(record.energy_source == "unavailable");
  CHECK_FALSE(record.joules_per_iter.has_value());
  CHECK(result::Validate(result::ToJson(record)).ok());
}

TEST_CASE("a roofline fraction above 100 % plus the calibration's spread is flagged", "[engine]") {
  // The fake workload does 2000 flop in well under 10 us: far above a roof
  // of 1e-6 GFLOP/s, far below one of 1e6.
  Harness low(1e-6), high(1e6);
  const auto over = low.engine.Measure(FakeSpec(Fidelity{1e-7, 1e-6, 1e-5}));
  REQUIRE(over.ok);
  REQUIRE(over.roofline_fraction);
  CHECK(*over.roofline_fraction > 1.02);
  REQUIRE(over.roofline_note);
  CHECK(over.roofline_note->find("spread 2 %") != std::string::npos);
  CHECK(result::Validate(result::ToJson(over)).ok());
  CHECK(result::FromJson(result::ToJson(over))->roofline_note == over.roofline_note);
  const auto under = high.engine.Measure(FakeSpec(Fidelity{1e-7, 1e-6, 1e-5}));
  REQUIRE(under.ok);
  CHECK(*under.roofline_fraction < 1);
  CHECK_FALSE(under.roofline_note);
  // Exactly at the edge: within the spread is not flagged, beyond it is.
  const machine::Calibration cal = FakeCalibration(10, 0.05);
  CHECK_FALSE(machine::RooflineExcess(cal, 1.04));
  CHECK(machine::RooflineExcess(cal, 1.06));
}

TEST_CASE("a variant the machine cannot run is skipped with the reason, never prepared",
          "[engine]") {
  Harness h;
  bool prepared = false;
  auto spec = FakeSpec(Fidelity{1e-7, 1e-6, 1e-5});
  const auto inner = spec.prepare;
  spec.prepare = [&](const workloads::RunConfig& c) {
    prepared = true;
    return inner(c);
  };
  spec.needs = {"device:cuda"};
  const auto r = h.engine.Measure(spec);
  CHECK_FALSE(r.ok);
  CHECK(r.skipped);
  CHECK_FALSE(prepared);
  CHECK(r.error.find("cuda") != std::string::npos);
  CHECK(r.samples_ns.empty());
  const auto doc = result::ToJson(r);
  CHECK(doc["status"] == "skipped");
  CHECK(result::Validate(doc).ok());
}

TEST_CASE("device-timed workloads are timed by the device's clock", "[engine]") {
  Harness h;
  auto spec = FakeSpec(Fidelity{1e-7, 1e-6, 1e-5});
  spec.device_timed = true;
  const auto record = h.engine.Measure(spec);
  INFO(record.error);
  REQUIRE(record.ok);
  REQUIRE(record.samples_ns.size() == 3);
  for (double ns : record.samples_ns) CHECK(ns == Approx(250e3));
}

TEST_CASE("a wrong or imprecise workload is a failed record, never timed", "[engine]") {
  Harness h;
  SECTION("wrong answer") {
    const auto r = h.engine.Measure(FakeSpec(Status::Internal("C[0,0] = 3, exact is 4")));
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("C[0,0]") != std::string::npos);
    CHECK(r.samples_ns.empty());
    CHECK(result::Validate(result::ToJson(r)).ok());
  }
  SECTION("over its precision's tolerance") {
    const auto r = h.engine.Measure(FakeSpec(Fidelity{0.3, 2.0, 1e-2}));
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("tolerance") != std::string::npos);
    CHECK(r.samples_ns.empty());
    CHECK(*r.rel_l2 == Approx(0.3));
    CHECK(result::Validate(result::ToJson(r)).ok());
  }
}

TEST_CASE("the engine streams one record per workload through the sink", "[engine]") {
  Harness h;
  const auto* spec = &workloads::Catalog().front();  // a real GEMM, fp32 ref 1024³ is too big
  for (const auto& s : workloads::Catalog()) {
    if (s.id == "gemm.int8/m35n700k2048@onednn") spec = &s;
  }
  std::vector<result::ResultRecord> seen;
  std::vector<std::string> progress;
  const Status s = h.engine.Run(
      {spec, spec}, [&](size_t, size_t, const std::string& id) { progress.push_back(id); },
      [&](const result::ResultRecord& r) {
        seen.push_back(r);
        return Status::Ok();
      });
  REQUIRE(s.ok());
  REQUIRE(seen.size() == 2);
  CHECK(progress.size() == 2);
  for (const auto& r : seen) {
    INFO(r.error);
    CHECK(r.ok);
    CHECK(r.name == "gemm.int8/m35n700k2048@onednn");
    CHECK(*r.rel_l2 < r.tolerance);
    CHECK_FALSE(r.implementation.empty());
  }
  CHECK(seen[0].id != seen[1].id);

  const Status stop = h.engine.Run(
      {spec}, nullptr, [](const result::ResultRecord&) { return Status::IoError("disk full"); });
  CHECK(stop.message() == "disk full");
}

}  // namespace
}  // namespace effbench::engine
