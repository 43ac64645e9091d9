#include "workloads/kd/kd.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace effbench::workloads::kd {
namespace {

TEST_CASE("backpropagation matches finite differences", "[kd]") {
  auto worst = GradientCheck(17);
  INFO((worst.ok() ? "" : worst.status().message()));
  REQUIRE(worst.ok());
  CHECK(*worst < 1e-5);
}

TEST_CASE("the distillation loss vanishes when the student matches the teacher", "[kd]") {
  const std::vector<float> logits = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f};
  std::vector<float> d;
  CHECK(DistillationLoss(logits, logits, 3, 4.0f, d) == Approx(0).margin(1e-6));
  for (float v : d) CHECK(v == Approx(0).margin(1e-6));
  const std::vector<float> other = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  CHECK(DistillationLoss(other, logits, 3, 4.0f, d) > 0);
}

TEST_CASE("a small student learns a trained teacher far above chance", "[kd]") {
  Task task(5);
  Mlp<float> teacher = MakeMlp<float>({Task::kInputs, 96, 96, Task::kClasses}, 1);
  Mlp<float> student = MakeMlp<float>({Task::kInputs, 16, Task::kClasses}, 2);
  std::vector<float> x, d;
  std::vector<int> labels;
  for (int step = 0; step < 150; ++step) {
    task.Sample(32, x, labels);
    CrossEntropy(Forward(teacher, x, 32), labels, Task::kClasses, d);
    SgdStep(teacher, Backward(teacher, x, 32, d), 0.05f);
  }
  for (int step = 0; step < 400; ++step) {
    task.Sample(32, x, labels);
    DistillationLoss(Forward(student, x, 32), Forward(teacher, x, 32), Task::kClasses, 4.0f, d);
    SgdStep(student, Backward(student, x, 32, d), 0.05f);
  }
  task.Sample(500, x, labels);
  const auto t = Forward(teacher, x, 500);
  std::vector<float> truth(t.size(), 0.0f);
  for (size_t i = 0; i < labels.size(); ++i) truth[i * Task::kClasses + labels[i]] = 1;
  const double chance = 1.0 / Task::kClasses;
  CHECK(Top1Agreement(t, truth, Task::kClasses) > 5 * chance);
  CHECK(Top1Agreement(Forward(student, x, 500), t, Task::kClasses) > 5 * chance);
  CHECK(student.Parameters() * 4 < teacher.Parameters());
}

}  // namespace
}  // namespace effbench::workloads::kd
