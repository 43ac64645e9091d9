#include "harness/cli/progress.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace effbench::cli {
namespace {

using std::chrono::seconds;

// The tester's first run of the accuracy suite: a workload that trains a
// model for ten minutes, then quick ones. The progress said "ETA 13 h" (one
// training projected onto every workload left).
TEST_CASE("the ETA comes from epochs left and the workloads' own times, not a training's",
          "[cli][progress]") {
  ManualClock clock(std::chrono::system_clock::time_point{});
  std::ostringstream err;
  Progress p(ProgressMode::kNone, err, 0, clock);
  p.Step(0, 40, "train.fmnist_cnn.fp32/b128e10@onednn");
  CHECK_THAT(p.Line(), Catch::Contains("ETA unknown"));
  // Epoch 2 of 10 after 2 minutes: 8 epochs left at a minute each; the 39
  // workloads after it are not known yet, so that is a lower bound.
  clock.Advance(seconds(120));
  p.Preparing("fmnist_cnn", 2, 10, 115, "loss 0.6, test top-1 80 %");
  CHECK_THAT(p.Line(), Catch::Contains("ETA > 8 min 00 s"));
  CHECK_THAT(p.Line(), Catch::Contains("(training fmnist_cnn: epoch 2/10)"));
  clock.Advance(seconds(480));
  p.Preparing("fmnist_cnn", 10, 10, 590);
  clock.Advance(seconds(10));  // its measurement: 10 s
  p.Step(1, 40, "acc.fmnist_cnn.int8/b1@onednn");
  // Nine workloads of 1 s each.
  for (size_t i = 2; i <= 10; ++i) {
    clock.Advance(seconds(1));
    p.Step(i, 40, "acc.fmnist_cnn.int8/b" + std::to_string(i) + "@onednn");
  }
  // Ten ended: (10 + 9) s of measurement, 1.9 s each; the current one and
  // 29 after it: 30 x 1.9 = 57 s (the old estimate: 619 s / 10 x 30 = 31 min).
  CHECK_THAT(p.Line(), Catch::Contains("[11/40] 10 min 19 s elapsed, ETA 57 s"));
  // Another training: its own pace, plus the measured mean for the rest.
  p.Step(11, 40, "acc.fmnist_dws_student_kd.fp32/b1@onednn");
  clock.Advance(seconds(100));
  p.Preparing("fmnist_dws_student_kd", 5, 20, 95);
  // Eleven ended in 19 s (the last in no time): a mean of 1.73 s. 15 epochs
  // left at 20 s, its own measurement and the 28 after it at the mean:
  // 300 + 29 x 1.73 = 350 s.
  const std::string line = p.Line();
  INFO(line);
  CHECK_THAT(line, Catch::Contains("ETA 5 min 50 s"));
  CHECK_THAT(line, Catch::Contains("(training fmnist_dws_student_kd: epoch 5/20)"));
  // Each epoch is a line of its own outside a terminal, as it was.
  CHECK_THAT(err.str(), Catch::Contains("train fmnist_cnn: epoch 2/10, loss 0.6, test top-1 80 %, "
                                        "1 min 55 s\n"));
}

TEST_CASE("without a training, the ETA is the workloads' mean time for those left",
          "[cli][progress]") {
  ManualClock clock(std::chrono::system_clock::time_point{});
  std::ostringstream err;
  Progress p(ProgressMode::kLines, err, 0, clock);
  p.Step(0, 5, "gemm.fp32/a@onednn");
  clock.Advance(seconds(4));
  p.Step(1, 5, "gemm.fp32/b@onednn");
  clock.Advance(seconds(1));
  // One ended at 4 s: the current one has 3 s left, and 3 more follow at 4 s.
  CHECK_THAT(p.Line(), Catch::Contains("ETA 15 s"));
  // Lines mode with every 0: each step prints its line.
  CHECK_THAT(err.str(), Catch::Contains("effbench: [1/5] 0 s elapsed, ETA unknown: gemm.fp32/a"));
  CHECK_THAT(err.str(), Catch::Contains("effbench: [2/5] 4 s elapsed, ETA 16 s: gemm.fp32/b"));
}

// The accuracy suite estimates its trainings (a first run on two cores); a
// second run finds the models cached and its trainings take seconds.
TEST_CASE("the suite's estimates count, scaled by how the estimated workloads went",
          "[cli][progress]") {
  ManualClock clock(std::chrono::system_clock::time_point{});
  std::ostringstream err;
  Progress p(ProgressMode::kNone, err, 0, clock);
  p.SetEstimates({100.0, std::nullopt, std::nullopt, 50.0, std::nullopt});
  p.Step(0, 5, "train.fmnist_cnn.fp32/b128e10@onednn");
  // 100 s for itself and 50 s for the distilled student; two workloads with
  // nothing to go by yet.
  CHECK_THAT(p.Line(), Catch::Contains("ETA > 2 min 30 s"));
  clock.Advance(seconds(5));  // the model was cached: 5 s, not 100
  p.Step(1, 5, "acc.fmnist_cnn.fp32/n500e10@onednn");
  clock.Advance(seconds(2));
  p.Step(2, 5, "acc.fmnist_cnn.int8_pc_pct/n500e10@onednn");
  // This one and the last at the mean (2 s); the student at 50 s x 5/100.
  CHECK_THAT(p.Line(), Catch::Contains("ETA 7 s"));
}

}  // namespace
}  // namespace effbench::cli
