#include "harness/analysis/machine_comparison.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "harness/store/result_store.h"
#include "tests/test_util.h"
#include "workloads/catalog/specs.h"

namespace effbench::analysis {
namespace {

using reports::Cell;

// A record of `precision` on `machine` whose samples scatter around `median_ns`.
result::ResultRecord Record(const std::string& machine, const std::string& precision,
                            double median_ns, uint64_t seed) {
  result::ResultRecord r = testing::MakeRecord("run-" + machine, 0, precision);
  r.machine = machine;
  r.variant.backend = "onednn";
  r.name = "gemm." + precision + "/m64n32k16@onednn";
  r.implementation = machine == "m3" ? "jit:sse41" : "jit:avx2";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.98, 1.02);
  for (int i = 0; i < 9; ++i) r.samples_ns.push_back(median_ns * jitter(rng));
  r.stats = result::Summarize(r.samples_ns);
  return r;
}

MachineRecords Machine(const std::string& fp, std::vector<result::ResultRecord> records) {
  MachineRecords m;
  m.column.fingerprint = fp;
  m.column.label = "host-" + fp;
  m.column.cpu = "CPU " + fp;
  m.column.run_id = "run-" + fp;
  m.records = std::move(records);
  return m;
}

// Three machines: m1 (the reference), m2 twice as fast, m3 without bf16 (a
// skipped variant) and with an int8 kernel that failed.
std::vector<MachineRecords> ThreeMachines() {
  auto skipped = Record("m3", "bf16", 0, 5);
  skipped.ok = false;
  skipped.skipped = true;
  skipped.samples_ns.clear();
  skipped.stats.reset();
  skipped.error = "needs avx512_core (this CPU: sse4_2)";
  auto failed = Record("m3", "int8", 0, 6);
  failed.ok = false;
  failed.samples_ns.clear();
  failed.stats.reset();
  failed.error = "wrong result: int8 output C[0,0] = 301668, exact integer product is 285914";
  return {Machine("m1", {Record("m1", "fp32", 4000, 1), Record("m1", "int8", 1000, 2),
                         Record("m1", "bf16", 2000, 3)}),
          Machine("m2", {Record("m2", "fp32", 2000, 4), Record("m2", "int8", 500, 7),
                         Record("m2", "bf16", 1000, 8)}),
          Machine("m3", {Record("m3", "fp32", 8000, 9), skipped, failed})};
}

const Cell& CellOf(const reports::MachineComparison& m, const std::string& precision,
                   size_t machine) {
  for (const auto& row : m.rows) {
    if (row.variant == precision) return row.cells.at(machine);
  }
  FAIL("no row " << precision);
  throw std::logic_error("unreachable");
}

TEST_CASE("machines side by side: rows are workload x variant, a cell per machine", "[analysis]") {
  const auto m = CompareMachines(ThreeMachines(), 0, {});
  REQUIRE(m.machines.size() == 3);
  REQUIRE(m.rows.size() == 3);  // fp32, int8, bf16 of one shape
  for (const auto& row : m.rows) CHECK(row.cells.size() == 3);

  const Cell& int8_m1 = CellOf(m, "int8", 0);
  REQUIRE(int8_m1.state == Cell::State::kOk);
  CHECK(int8_m1.repetitions == 9);
  CHECK(int8_m1.median_ns.value == Approx(1000).epsilon(0.03));
  CHECK(int8_m1.median_ns.low <= int8_m1.median_ns.value);
  CHECK(int8_m1.median_ns.high >= int8_m1.median_ns.value);
  CHECK(int8_m1.coverage >= 0.95);
  CHECK(int8_m1.per_second == Approx(1e9 / int8_m1.median_ns.value));
  // int8 against fp32 on the same machine: 4x, its interval around it.
  REQUIRE(int8_m1.speedup);
  CHECK(int8_m1.speedup->value == Approx(4).epsilon(0.05));
  CHECK(int8_m1.speedup->low <= int8_m1.speedup->value);
  CHECK(int8_m1.speedup->high >= int8_m1.speedup->value);
  CHECK(int8_m1.speedup->high - int8_m1.speedup->low < 0.5);
  // The baseline has no speedup over itself.
  CHECK_FALSE(CellOf(m, "fp32", 0).speedup);
  // m2 against the reference: 2x on every row.
  REQUIRE(CellOf(m, "fp32", 1).vs_reference);
  CHECK(*CellOf(m, "fp32", 1).vs_reference == Approx(2).epsilon(0.05));
  CHECK(*CellOf(m, "fp32", 2).vs_reference == Approx(0.5).epsilon(0.05));
  // What m3 cannot run is n/a with the reason; what broke is failed with it.
  CHECK(CellOf(m, "bf16", 2).state == Cell::State::kSkipped);
  CHECK(CellOf(m, "bf16", 2).reason == "needs avx512_core (this CPU: sse4_2)");
  CHECK(CellOf(m, "int8", 2).state == Cell::State::kFailed);
  CHECK_THAT(CellOf(m, "int8", 2).reason, Catch::Contains("wrong result"));
  CHECK(CellOf(m, "int8", 1).implementation == "jit:avx2");
}

TEST_CASE("geometric means: each machine against the reference, each technique against fp32",
          "[analysis]") {
  const auto m = CompareMachines(ThreeMachines(), 0, {});
  const auto find = [&](size_t machine, const std::string& technique) -> const reports::GeoMean* {
    for (const auto& g : m.summaries) {
      if (g.machine == machine && g.technique == technique && g.metric == "speed") return &g;
    }
    return nullptr;
  };
  const auto* m2 = find(1, "");
  REQUIRE(m2);
  CHECK(m2->rows == 3);
  CHECK(m2->value == Approx(2).epsilon(0.05));
  const auto* m3 = find(2, "");
  REQUIRE(m3);
  CHECK(m3->rows == 1);  // its skipped and failed rows are not counted
  CHECK(m3->value == Approx(0.5).epsilon(0.05));
  CHECK_FALSE(find(0, ""));  // the reference against itself says nothing
  const auto* quant = find(1, "quantization");
  REQUIRE(quant);
  CHECK(quant->value == Approx(4).epsilon(0.05));
  const auto* bf16 = find(0, "reduced precision");
  REQUIRE(bf16);
  CHECK(bf16->value == Approx(2).epsilon(0.05));
}

// Where both machines metered energy, each machine's performance per joule
// against the reference: the geometric mean of reference joules / its joules,
// over the rows both measured; rows without energy are not counted.
TEST_CASE("performance per joule where energy was measured", "[analysis]") {
  auto machines = ThreeMachines();
  // fp32 and int8 metered on m1 and m2; m2 spends a quarter and half the energy.
  machines[0].records[0].joules_per_iter = 8e-3;
  machines[0].records[1].joules_per_iter = 2e-3;
  machines[1].records[0].joules_per_iter = 2e-3;
  machines[1].records[1].joules_per_iter = 1e-3;
  for (auto* r : {&machines[0].records[0], &machines[0].records[1], &machines[1].records[0],
                  &machines[1].records[1]}) {
    r->energy_source = "rapl:package-0";
  }
  const auto m = CompareMachines(machines, 0, {});
  const reports::GeoMean* per_joule = nullptr;
  for (const auto& g : m.summaries) {
    if (g.metric == "performance per joule") {
      CHECK(g.machine == 1);  // m3 metered nothing, the reference is not compared with itself
      per_joule = &g;
    }
  }
  REQUIRE(per_joule);
  CHECK(per_joule->rows == 2);
  CHECK(per_joule->value == Approx(std::sqrt(4.0 * 2.0)));
  REQUIRE(CellOf(m, "fp32", 1).joules_per_run);
  CHECK(*CellOf(m, "fp32", 1).joules_per_run == 2e-3);
  const std::string console =
      reports::RenderMachineComparison(m, reports::ComparisonFormat::kConsole);
  CHECK_THAT(console, Catch::Contains("performance per joule"));
}

TEST_CASE("a variant that misses its fidelity rule is marked and never ranked", "[analysis]") {
  auto machines = ThreeMachines();
  for (auto& r : machines[1].records) {
    if (r.variant.precision != "int8") continue;
    r.quality = Quality{};
    r.quality->classifier = true;
    r.quality->inputs = 256;
    r.quality->top1_agreement = 0.62;
    r.quality->reference_classes = 15;
    r.quality->meets_mlperf_99 = false;
  }
  const auto m = CompareMachines(machines, 0, {});
  const Cell& c = CellOf(m, "int8", 1);
  REQUIRE(c.fidelity_miss);
  CHECK_THAT(*c.fidelity_miss, Catch::Contains("62.0 %"));
  for (const auto& g : m.summaries) {
    if (g.machine == 1 && g.technique == "quantization") FAIL("a missed rule was ranked");
    if (g.machine == 1 && g.technique.empty()) CHECK(g.rows == 2);
  }
  const std::string console =
      reports::RenderMachineComparison(m, reports::ComparisonFormat::kConsole);
  CHECK_THAT(console, Catch::Contains("(!)"));
  CHECK_THAT(console, Catch::Contains("misses its fidelity rule"));
}

// A record of a trained model judged on a real test set.
result::ResultRecord Judged(const std::string& machine, const std::string& workload,
                            const std::string& precision, double median_ns, double top1,
                            double top1_fp32, uint64_t seed) {
  result::ResultRecord r = Record(machine, precision, median_ns, seed);
  r.workload = workload;
  r.name = workload + "." + precision + "/n500e20@onednn";
  Accuracy a;
  a.dataset = "fashion-mnist";
  a.dataset_sha256 = std::string(64, 'a');
  a.test_images = 10000;
  a.top1 = top1;
  a.top1_fp32 = top1_fp32;
  a.delta = top1 - top1_fp32;
  a.delta_lo = a.delta - 0.002;
  a.delta_hi = a.delta + 0.002;
  a.meets_mlperf_99 = top1 >= 0.99 * top1_fp32;
  a.baseline = "fp32";
  a.model_bytes = precision == "fp32" ? 160000 : 40000;
  r.accuracy = a;
  return r;
}

// A record of workload `workload` at shape `shape` (its params, as the
// spec names them), on one machine.
result::ResultRecord Shaped(const std::string& machine, const std::string& workload,
                            const catalog::Shape& shape, const std::string& precision,
                            double median_ns, uint64_t seed) {
  result::ResultRecord r = Record(machine, precision, median_ns, seed);
  r.workload = workload;
  r.params = shape;
  std::string text;
  for (const auto& [name, value] : shape) text += name + std::to_string(value);
  r.name = workload + "." + precision + "/" + text + "@onednn";
  return r;
}

// The shapes of a depthwise-separable block and of a standard convolution
// on the same input: batch 8, 128 channels in and out, at `hw`².
catalog::Shape Block(int64_t hw) {
  return {{"n", 8}, {"h", hw}, {"w", hw}, {"cin", 128}, {"cout", 128}, {"stride", 1}};
}
catalog::Shape Conv(int64_t hw, int64_t k) {
  return {{"n", 8}, {"h", hw}, {"w", hw}, {"cin", 128}, {"cout", 128}, {"k", k}, {"stride", 1}};
}

TEST_CASE(
    "architecture rows: a depthwise-separable block against the standard 3x3 convolution "
    "with the same input and output, in the geometric means as architecture",
    "[analysis]") {
  auto dws =
      Shaped("m1", "block.dws", Block(56), "fp32", 1000, 1);  // a batch of 8: samples/s is 8 runs/s
  dws.weight_bytes = 4.0 * (9 * 128 + 128 * 128);
  auto dws_int8 = Shaped("m1", "block.dws", Block(56), "int8", 500, 2);
  dws_int8.weight_bytes = 1.0 * (9 * 128 + 128 * 128);
  const auto standard = Shaped("m1", "conv.std", Conv(56, 3), "fp32", 8000, 3);
  const auto other_shape = Shaped("m1", "conv.std", Conv(28, 3), "fp32", 2000, 4);
  const auto five_by_five = Shaped("m1", "conv.std", Conv(56, 5), "fp32", 20000, 5);
  std::vector<MachineRecords> machines = {
      Machine("m1", {dws, dws_int8, standard, other_shape, five_by_five})};
  const auto m = CompareMachines(machines, 0, {});
  const reports::Row* efficient = nullptr;
  const reports::Row* quantized = nullptr;
  for (const auto& row : m.rows) {
    if (row.workload == "block.dws") (row.variant == "fp32" ? efficient : quantized) = &row;
    if (row.workload == "conv.std") CHECK(row.technique == "baseline");
  }
  REQUIRE(efficient != nullptr);
  REQUIRE(quantized != nullptr);
  CHECK(efficient->technique == "architecture");
  CHECK(efficient->speedup_over == "conv.std k3");
  REQUIRE(efficient->cells[0].speedup);
  CHECK(efficient->cells[0].speedup->value == Approx(8).epsilon(0.05));  // 8000 / 1000
  CHECK(efficient->cells[0].model_bytes == 4.0 * (9 * 128 + 128 * 128));
  REQUIRE(efficient->cells[0].samples_per_second);
  CHECK(*efficient->cells[0].samples_per_second == Approx(8 * efficient->cells[0].per_second));
  // The block's int8 is quantization against the block's own fp32.
  CHECK(quantized->technique == "quantization");
  REQUIRE(quantized->cells[0].speedup);
  CHECK(quantized->cells[0].speedup->value == Approx(2).epsilon(0.05));
  CHECK(quantized->cells[0].model_bytes == 1.0 * (9 * 128 + 128 * 128));
  bool summarised = false;
  for (const auto& g : m.summaries) {
    if (g.technique != "architecture") continue;
    summarised = true;
    CHECK(g.rows == 1);
    CHECK(g.value == Approx(8).epsilon(0.05));
  }
  CHECK(summarised);
  const std::string console =
      reports::RenderMachineComparison(m, reports::ComparisonFormat::kConsole);
  CHECK_THAT(console, Catch::Contains("conv.std k3") &&
                          Catch::Contains("architecture: speedup vs the standard twin") &&
                          Catch::Contains("Nx conv.std k3 = the standard architecture"));
  const std::string json = reports::RenderMachineComparison(m, reports::ComparisonFormat::kJson);
  auto back = reports::MachineComparisonFromJson(json);
  REQUIRE(back.ok());
  CHECK(reports::RenderMachineComparison(*back, reports::ComparisonFormat::kJson) == json);

  // The depthwise-separable Fashion-MNIST network against the plain CNN on
  // the same 500 test images, though each trained for its own epochs.
  std::vector<MachineRecords> nets = {Machine(
      "m1", {Shaped("m1", "acc.fmnist_dws", {{"n", 500}, {"epochs", 20}}, "fp32", 2000, 6),
             Shaped("m1", "acc.fmnist_cnn", {{"n", 500}, {"epochs", 10}}, "fp32", 5000, 7),
             Shaped("m1", "acc.fmnist_cnn", {{"n", 100}, {"epochs", 10}}, "fp32", 1000, 8)})};
  const auto by_net = CompareMachines(nets, 0, {});
  const reports::Row* dws_net = nullptr;
  for (const auto& row : by_net.rows) {
    if (row.workload == "acc.fmnist_dws") dws_net = &row;
  }
  REQUIRE(dws_net != nullptr);
  CHECK(dws_net->technique == "architecture");
  CHECK(dws_net->speedup_over == "fmnist_cnn");
  REQUIRE(dws_net->cells[0].speedup);
  CHECK(dws_net->cells[0].speedup->value == Approx(2.5).epsilon(0.05));  // 5000 / 2000

  // --workloads 'block.*' still measures the block against its twin.
  MachineComparisonOptions only_blocks;
  only_blocks.workloads = "block.*";
  const auto filtered = CompareMachines(machines, 0, only_blocks);
  REQUIRE(filtered.rows.size() == 2);
  for (const auto& row : filtered.rows) CHECK(row.cells[0].speedup);
}

TEST_CASE(
    "accuracy on a test set: each cell shows it, a miss of MLPerf's rule is marked, "
    "the Pareto front is against top-1 error and a distilled student is distillation",
    "[analysis]") {
  std::vector<MachineRecords> machines = {
      Machine("m1", {Judged("m1", "acc.fmnist_dws", "fp32", 4000, 0.9144, 0.9144, 1),
                     Judged("m1", "acc.fmnist_dws", "int8", 2000, 0.9113, 0.9144, 2),
                     Judged("m1", "acc.fmnist_dws_student_kd", "fp32", 1500, 0.80, 0.8789, 3)}),
      Machine("m2", {Judged("m2", "acc.fmnist_dws", "fp32", 3000, 0.9144, 0.9144, 4),
                     Judged("m2", "acc.fmnist_dws", "int8", 1000, 0.9113, 0.9144, 5)})};
  const auto m = CompareMachines(machines, 0, {});
  const reports::Row* int8 = nullptr;
  const reports::Row* student = nullptr;
  for (const auto& row : m.rows) {
    if (row.workload == "acc.fmnist_dws" && row.variant == "int8") int8 = &row;
    if (row.workload == "acc.fmnist_dws_student_kd") student = &row;
  }
  REQUIRE(int8 != nullptr);
  REQUIRE(student != nullptr);
  const Cell& c = int8->cells[1];
  CHECK(c.top1 == Approx(0.9113));
  CHECK(c.top1_delta == Approx(-0.0031));
  CHECK(c.top1_delta_low == Approx(-0.0051));
  CHECK(c.model_bytes == 40000);
  CHECK_FALSE(c.fidelity_miss);
  // The student misses MLPerf's rule against its twin: marked, not ranked.
  CHECK(student->technique == "distillation");
  REQUIRE(student->cells[0].fidelity_miss);
  CHECK_THAT(*student->cells[0].fidelity_miss,
             Catch::Contains("80.00 %") && Catch::Contains("87.89 %"));
  // Its speed is against its teacher's fp32: 4000 / 1500.
  REQUIRE(student->cells[0].speedup);
  CHECK(student->cells[0].speedup->value == Approx(4000.0 / 1500).epsilon(0.05));

  const std::string console =
      reports::RenderMachineComparison(m, reports::ComparisonFormat::kConsole);
  CHECK_THAT(console, Catch::Contains("top-1 91.13% Δ -0.31 pt [-0.51, -0.11]"));
  const auto front = reports::ParetoFront(m, int8->network, "top1_error");
  CHECK(front.size() == 4);  // fp32 and int8 on both machines
  const std::string html = reports::RenderMachineComparison(m, reports::ComparisonFormat::kHtml);
  CHECK_THAT(html, Catch::Contains("data-axis=\"top1_error\""));
  CHECK_THAT(html, Catch::Contains("top-1 error on the test set"));
  // Round trips keep the accuracy.
  const std::string json = reports::RenderMachineComparison(m, reports::ComparisonFormat::kJson);
  auto back = reports::MachineComparisonFromJson(json);
  REQUIRE(back.ok());
  CHECK(reports::RenderMachineComparison(*back, reports::ComparisonFormat::kJson) == json);
  const std::string csv = reports::RenderMachineComparison(m, reports::ComparisonFormat::kCsv);
  CHECK_THAT(csv, Catch::Contains("top1,top1_delta,top1_delta_low,top1_delta_high"));
}

// A family the project has never heard of: a grouped convolution block whose
// standard twin is a dense 5x5 convolution, and a pruned student distilled
// from it. Its spec alone tells the analysis how they relate.
constexpr char kNewFamilies[] = R"([
  {"family": "block.grouped", "description": "a grouped 5x5 block",
   "id": "block.grouped.{precision}/n{n}h{h}c{c}g{groups}@{backend}",
   "params": {"n": "batch", "h": "size", "c": "channels", "groups": "groups"},
   "shapes": [{"n": 1, "h": 32, "c": 64, "groups": 8}],
   "precisions": ["fp32"], "backends": ["onednn"], "flop": "n*h*h*c", "bytes": "n*h*h*c",
   "relations": {"standard_twin": {"family": "conv.dense5", "with": {"k": 5}, "except": ["groups"],
                                   "label": "dense 5x5"}}},
  {"family": "conv.dense5", "description": "a dense convolution",
   "id": "conv.dense5.{precision}/n{n}h{h}c{c}k{k}@{backend}",
   "params": {"n": "batch", "h": "size", "c": "channels", "k": "kernel"},
   "shapes": [{"n": 1, "h": 32, "c": 64, "k": 5}, {"n": 1, "h": 32, "c": 64, "k": 3}],
   "precisions": ["fp32"], "backends": ["onednn"], "flop": "n*h*h*c*k*k", "bytes": "n*h*h*c"},
  {"family": "block.grouped_small", "description": "a student of the grouped block",
   "id": "block.grouped_small.{precision}/n{n}h{h}c{c}g{groups}@{backend}",
   "params": {"n": "batch", "h": "size", "c": "channels", "groups": "groups"},
   "shapes": [{"n": 1, "h": 32, "c": 64, "groups": 8}],
   "precisions": ["fp32"], "backends": ["onednn"], "flop": "n*h*h*c", "bytes": "n*h*h*c",
   "relations": {"teacher": {"family": "block.grouped"}}}
])";

TEST_CASE("a new family reaches the architecture and distillation rows through its spec alone",
          "[analysis]") {
  catalog::Relations relations;
  auto entries = catalog::ExpandSpecFile("new.json", kNewFamilies, &relations);
  INFO((entries.ok() ? "" : entries.status().message()));
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 4);
  // The records as a run of these entries stores them.
  const auto record = [](const catalog::Entry& e, double median_ns, uint64_t seed) {
    auto r = Shaped("m1", e.family, e.shape, e.variant.precision, median_ns, seed);
    r.name = e.id;
    return r;
  };
  std::vector<result::ResultRecord> records;
  const double medians[] = {2000, 9000, 4000, 1000};  // grouped, dense k5, dense k3, student
  for (size_t i = 0; i < entries->size(); ++i) {
    records.push_back(record((*entries)[i], medians[i], 20 + i));
  }
  MachineComparisonOptions o;
  o.relations = &relations;
  const auto m = CompareMachines({Machine("m1", records)}, 0, o);
  const reports::Row* grouped = nullptr;
  const reports::Row* student = nullptr;
  for (const auto& row : m.rows) {
    if (row.workload == "block.grouped") grouped = &row;
    if (row.workload == "block.grouped_small") student = &row;
    if (row.workload == "conv.dense5") CHECK(row.technique == "baseline");
  }
  REQUIRE(grouped != nullptr);
  CHECK(grouped->technique == "architecture");
  CHECK(grouped->speedup_over == "dense 5x5");
  REQUIRE(grouped->cells[0].speedup);
  // Against the 5x5 twin (9000 ns), not the 3x3 one (4000 ns).
  CHECK(grouped->cells[0].speedup->value == Approx(4.5).epsilon(0.05));
  REQUIRE(student != nullptr);
  CHECK(student->technique == "distillation");
  REQUIRE(student->cells[0].speedup);
  CHECK(student->cells[0].speedup->value == Approx(2).epsilon(0.05));  // 2000 / 1000

  // Without the relations, the same records are plain baselines.
  MachineComparisonOptions none;
  const catalog::Relations empty;
  none.relations = &empty;
  for (const auto& row : CompareMachines({Machine("m1", records)}, 0, none).rows) {
    CHECK(row.technique == "baseline");
    CHECK_FALSE(row.cells[0].speedup);
  }
}

// A spec's relations are checked when it is read: a family that names itself.
TEST_CASE("a family cannot be its own twin or teacher", "[analysis]") {
  std::string text = kNewFamilies;
  const std::string twin = R"("family": "conv.dense5", "with")";
  text.replace(text.find(twin), twin.size(), R"("family": "block.grouped", "with")");
  catalog::Relations relations;
  auto entries = catalog::ExpandSpecFile("self.json", text, &relations);
  REQUIRE_FALSE(entries.ok());
  CHECK_THAT(entries.status().message(),
             Catch::Contains("self.json") && Catch::Contains("its own standard twin"));
}

TEST_CASE("filters: variants, workload glob, reference machine", "[analysis]") {
  MachineComparisonOptions o;
  o.variants = {"int8"};
  auto m = CompareMachines(ThreeMachines(), 1, o);
  REQUIRE(m.rows.size() == 2);  // int8, and the fp32 baseline it needs
  CHECK(m.reference == 1);
  CHECK(*CellOf(m, "fp32", 0).vs_reference == Approx(0.5).epsilon(0.05));
  o.variants = {};
  o.workloads = "conv.*";
  CHECK(CompareMachines(ThreeMachines(), 0, o).rows.empty());
  o.workloads = "gemm.int8/*@onednn";
  CHECK(CompareMachines(ThreeMachines(), 0, o).rows.size() == 1);
}

TEST_CASE("the Pareto front keeps what nothing beats on both latency and error", "[reports]") {
  reports::MachineComparison m;
  m.machines = {{"a", "A", "", "", "", "", ""}, {"b", "B", "", "", "", "", ""}};
  const auto row = [](const std::string& variant, double a_ns, double a_err, double b_ns,
                      double b_err) {
    reports::Row r;
    r.variant = variant;
    r.network = "net n1";
    for (auto [ns, err] : {std::pair{a_ns, a_err}, std::pair{b_ns, b_err}}) {
      Cell c;
      c.state = Cell::State::kOk;
      c.median_ns = {ns, ns, ns};
      c.rel_l2 = err;
      r.cells.push_back(c);
    }
    return r;
  };
  m.rows = {row("fp32", 10, 1e-6, 5, 1e-6), row("int8", 4, 1e-2, 6, 1e-2),
            row("int8 bad", 3, 1e-1, 7, 1e-1)};
  m.rows[2].cells[0].fidelity_miss = "top-1 12 %";
  const auto points = reports::ParetoFront(m, "net n1", "rel_l2");
  REQUIRE(points.size() == 6);
  std::map<std::pair<size_t, size_t>, bool> front;
  for (const auto& p : points) front[{p.row, p.machine}] = p.on_front;
  CHECK(front[{0, 1}]);        // B fp32: fastest exact
  CHECK(front[{1, 0}]);        // A int8: fastest of all that meet their rule
  CHECK_FALSE(front[{0, 0}]);  // A fp32: B fp32 beats it on both
  CHECK_FALSE(front[{1, 1}]);  // B int8: B fp32 beats it on both
  CHECK_FALSE(front[{2, 0}]);  // faster still, but misses its rule
  CHECK(reports::ParetoFront(m, "other", "rel_l2").empty());
}

// The cells of a CSV line (quoted fields with doubled quotes).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST_CASE("JSON and CSV round trips keep every number", "[reports]") {
  const auto m = CompareMachines(ThreeMachines(), 0, {});
  const std::string json = reports::RenderMachineComparison(m, reports::ComparisonFormat::kJson);
  auto back = reports::MachineComparisonFromJson(json);
  REQUIRE(back.ok());
  CHECK(reports::RenderMachineComparison(*back, reports::ComparisonFormat::kJson) == json);
  CHECK(back->rows.size() == m.rows.size());
  CHECK(back->rows[1].cells[0].speedup->low == m.rows[1].cells[0].speedup->low);
  CHECK_FALSE(reports::MachineComparisonFromJson("{\"kind\":\"other\"}").ok());
  CHECK_FALSE(reports::MachineComparisonFromJson("[1,").ok());

  const std::string csv = reports::RenderMachineComparison(m, reports::ComparisonFormat::kCsv);
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  const auto header = CsvFields(line);
  const auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  size_t n = 0;
  while (std::getline(lines, line)) {
    const auto f = CsvFields(line);
    REQUIRE(f.size() == header.size());
    const auto& row = m.rows[n / 3];
    const Cell& c = row.cells[n % 3];
    CHECK(f[column("name")] == row.name);
    CHECK(f[column("state")] == (c.state == Cell::State::kOk        ? "ok"
                                 : c.state == Cell::State::kSkipped ? "skipped"
                                 : c.state == Cell::State::kFailed  ? "failed"
                                                                    : "missing"));
    if (c.state == Cell::State::kOk) {
      CHECK(std::stod(f[column("median_ns")]) == c.median_ns.value);
      CHECK(std::stod(f[column("median_low_ns")]) == c.median_ns.low);
      if (c.speedup) CHECK(std::stod(f[column("speedup_high")]) == c.speedup->high);
    } else {
      CHECK(f[column("reason")] == c.reason);
    }
    ++n;
  }
  CHECK(n == m.rows.size() * 3);
}

TEST_CASE("the HTML page is one self-contained file with tables, charts and legends", "[reports]") {
  auto machines = ThreeMachines();
  for (auto& x : machines) {
    for (auto& r : x.records) r.workload = "net.tiny";  // one network: its Pareto charts
  }
  const auto m = CompareMachines(machines, 0, {});
  const std::string html = reports::RenderMachineComparison(m, reports::ComparisonFormat::kHtml);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(html, Catch::Contains("<table id=\"efficiency\">"));
  CHECK_THAT(html, Catch::Contains("<table id=\"summary\">"));
  CHECK_THAT(html, Catch::Contains("<svg viewBox"));
  CHECK_THAT(html, Catch::Contains("<figcaption><span class=\"legend\">"));
  CHECK_THAT(html, Catch::Contains("n/a <sup>"));
  CHECK_THAT(html, Catch::Contains("needs avx512_core"));
  // A cell links to its record's row.
  const std::string id = CellOf(m, "int8", 0).record_id;
  CHECK_THAT(html, Catch::Contains("href=\"#rec-" + id + "\""));
  CHECK_THAT(html, Catch::Contains("<tr id=\"rec-" + id + "\">"));
  // Nothing is fetched: no external URL, script or stylesheet link.
  CHECK_FALSE(std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // A hostile label is text, never markup.
  machines[0].column.label = "<img src=x onerror=alert(1)>";
  const std::string hostile = reports::RenderMachineComparison(CompareMachines(machines, 0, {}),
                                                               reports::ComparisonFormat::kHtml);
  CHECK(hostile.find("<img") == std::string::npos);
  CHECK_THAT(hostile, Catch::Contains("&lt;img src=x"));
}

TEST_CASE("Markdown folds a long table under <details>", "[reports]") {
  auto machines = ThreeMachines();
  for (int i = 0; i < 10; ++i) {
    for (auto& x : machines) {
      for (const auto& r :
           std::vector<result::ResultRecord>(x.records.begin(), x.records.begin() + 3)) {
        auto copy = r;
        copy.name.append("#").append(std::to_string(i));  // appends: GCC 12's false -Wrestrict
        x.records.push_back(copy);
      }
    }
  }
  const auto m = CompareMachines(machines, 0, {});
  REQUIRE(m.rows.size() > 20);
  const std::string md = reports::RenderMachineComparison(m, reports::ComparisonFormat::kMarkdown);
  CHECK_THAT(md, Catch::Contains("<details><summary>"));
  const std::string short_md = reports::RenderMachineComparison(
      CompareMachines(ThreeMachines(), 0, {}), reports::ComparisonFormat::kMarkdown);
  CHECK(short_md.find("<details>") == std::string::npos);
  CHECK_THAT(short_md, Catch::Contains("| host-m2 |"));
}

}  // namespace
TEST_CASE("a machine that ran emulated is labelled so wherever it is named", "[analysis]") {
  testing::TempDir dir;
  auto db = store::ResultStore::Open(dir.File("m.db"));
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint('a'), "x86-box", "cpu", "x86_64",
                               R"({"arch": "x86_64"})", std::nullopt, "t", "t"})
              .ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint('b'), "pi-under-qemu", "Arm Neoverse-N1",
                               "aarch64", R"({"arch": "aarch64", "emulated": true})", std::nullopt,
                               "t", "t"})
              .ok());
  auto directory = MachineDirectory::Load(**db);
  REQUIRE(directory.ok());
  CHECK(directory->Label(testing::FakeFingerprint('a')) == "x86-box aaaaaaaa");
  CHECK(directory->Label(testing::FakeFingerprint('b')) == "pi-under-qemu bbbbbbbb (emulated)");
  // Still named by its hostname.
  CHECK(directory->Matches("pi-under-qemu", testing::FakeFingerprint('b')));
}

}  // namespace effbench::analysis
