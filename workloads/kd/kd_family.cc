// The distillation families: the teacher and the student, trained once per
// seed, then their training steps and inference timed.
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "workloads/common/numeric.h"
#include "workloads/kd/kd.h"

namespace effbench::workloads::kd {
namespace {

constexpr int64_t kHeldOut = 2000;
constexpr float kTemperature = 4.0f;
constexpr float kLearningRate = 0.05f;

struct Setup {
  int64_t batch, teacher_hidden, student_hidden, steps;
  auto Key() const { return std::make_tuple(batch, teacher_hidden, student_hidden, steps); }
};

// The outcome of training both networks.
struct Trained {
  Mlp<float> teacher, student;
  double teacher_accuracy = 0, student_accuracy = 0;
  Quality quality;    // the student against the teacher on held-out inputs
  double rel_l2 = 0;  // of the student's probabilities against the teacher's
};

Trained Train(const Setup& s, uint64_t seed) {
  Task task(seed);
  Trained t;
  t.teacher =
      MakeMlp<float>({Task::kInputs, s.teacher_hidden, s.teacher_hidden, Task::kClasses}, seed + 1);
  t.student = MakeMlp<float>({Task::kInputs, s.student_hidden, Task::kClasses}, seed + 2);
  std::vector<float> x, dlogits;
  std::vector<int> labels;
  for (int64_t step = 0; step < s.steps; ++step) {  // the teacher learns the labels
    task.Sample(s.batch, x, labels);
    CrossEntropy(Forward(t.teacher, x, s.batch), labels, Task::kClasses, dlogits);
    SgdStep(t.teacher, Backward(t.teacher, x, s.batch, dlogits), kLearningRate);
  }
  for (int64_t step = 0; step < s.steps; ++step) {  // the student learns the teacher
    task.Sample(s.batch, x, labels);
    const auto soft_targets = Forward(t.teacher, x, s.batch);
    DistillationLoss(Forward(t.student, x, s.batch), soft_targets, Task::kClasses, kTemperature,
                     dlogits);
    SgdStep(t.student, Backward(t.student, x, s.batch, dlogits), kLearningRate);
  }
  // Held-out inputs neither network trained on.
  task.Sample(kHeldOut, x, labels);
  const auto teacher = Forward(t.teacher, x, kHeldOut);
  const auto student = Forward(t.student, x, kHeldOut);
  std::vector<float> truth(teacher.size(), 0.0f);
  for (int64_t i = 0; i < kHeldOut; ++i)
    truth[static_cast<size_t>(i * Task::kClasses + labels[i])] = 1;
  t.teacher_accuracy = Top1Agreement(teacher, truth, Task::kClasses);
  t.student_accuracy = Top1Agreement(student, truth, Task::kClasses);
  ErrorAccumulator logits, probs;
  std::set<size_t> classes;
  double cosine = 0;
  for (int64_t i = 0; i < kHeldOut; ++i) {
    const float* a = &teacher[static_cast<size_t>(i * Task::kClasses)];
    const float* b = &student[static_cast<size_t>(i * Task::kClasses)];
    double dot = 0, aa = 0, bb = 0, ma = *std::max_element(a, a + Task::kClasses),
           mb = *std::max_element(b, b + Task::kClasses), sa = 0, sb = 0;
    for (int64_t k = 0; k < Task::kClasses; ++k) {
      logits.Add(b[k], a[k]);
      dot += static_cast<double>(a[k]) * b[k];
      aa += static_cast<double>(a[k]) * a[k];
      bb += static_cast<double>(b[k]) * b[k];
      sa += std::exp(a[k] - ma);
      sb += std::exp(b[k] - mb);
    }
    for (int64_t k = 0; k < Task::kClasses; ++k) {
      probs.Add(std::exp(b[k] - mb) / sb, std::exp(a[k] - ma) / sa);
    }
    cosine += aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : 0;
    classes.insert(static_cast<size_t>(std::max_element(a, a + Task::kClasses) - a));
  }
  t.quality.inputs = kHeldOut;
  t.quality.rel_l2 = logits.RelL2();
  t.quality.sqnr_db = 10 * std::log10(logits.ref2 / std::max(logits.err2, 1e-300));
  t.quality.cosine = cosine / kHeldOut;
  t.quality.top1_agreement = Top1Agreement(teacher, student, Task::kClasses);
  t.quality.reference_classes = static_cast<int64_t>(classes.size());
  t.quality.meets_mlperf_99 = t.quality.top1_agreement >= 0.99;
  t.rel_l2 = probs.RelL2();
  return t;
}

// Training is the expensive part: once per setup and seed in a process.
const Trained& TrainedFor(const Setup& s, uint64_t seed) {
  static std::mutex mu;
  static std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, uint64_t>,
                  std::unique_ptr<Trained>>
      cache;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::tuple_cat(s.Key(), std::make_tuple(seed));
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, std::make_unique<Trained>(Train(s, seed))).first;
  return *it->second;
}

enum class Role { kTeacherTrain, kStudentDistill, kTeacherInfer, kStudentInfer };

class PreparedKd final : public PreparedWorkload {
 public:
  PreparedKd(Role role, Setup setup, uint64_t seed)
      : role_(role), setup_(setup), seed_(seed), task_(seed ^ 0xbeef) {
    task_.Sample(setup.batch, x_, labels_);
  }

  // Backpropagation against finite differences, then the training outcome:
  // the teacher must have learnt the task and the student the teacher.
  Result<Fidelity> Verify() override {
    auto check = GradientCheck(seed_);
    if (!check.ok()) return check.status();
    const Trained& t = TrainedFor(setup_, seed_);
    constexpr double kChance = 1.0 / Task::kClasses;
    if (t.teacher_accuracy < 5 * kChance) {
      return Status::Internal("the teacher did not learn: held-out accuracy " +
                              std::to_string(t.teacher_accuracy));
    }
    if (t.quality.top1_agreement < 5 * kChance) {
      return Status::Internal("the student did not learn the teacher: top-1 agreement " +
                              std::to_string(t.quality.top1_agreement));
    }
    teacher_ = t.teacher;  // timed steps update copies, not the trained networks
    student_ = t.student;
    if (role_ == Role::kStudentDistill || role_ == Role::kStudentInfer) quality_ = t.quality;
    teacher_params_ = t.teacher.Parameters();
    student_params_ = t.student.Parameters();
    // The student's probabilities against the teacher's: distillation's fidelity.
    const bool student = role_ == Role::kStudentDistill || role_ == Role::kStudentInfer;
    return Fidelity{student ? t.rel_l2 : 0.0, 0, 1.0};
  }

  void RunOnce() override {
    switch (role_) {
      case Role::kTeacherTrain:
        CrossEntropy(Forward(teacher_, x_, setup_.batch), labels_, Task::kClasses, dlogits_);
        SgdStep(teacher_, Backward(teacher_, x_, setup_.batch, dlogits_), kLearningRate);
        break;
      case Role::kStudentDistill: {
        const auto soft = Forward(teacher_, x_, setup_.batch);
        DistillationLoss(Forward(student_, x_, setup_.batch), soft, Task::kClasses, kTemperature,
                         dlogits_);
        SgdStep(student_, Backward(student_, x_, setup_.batch, dlogits_), kLearningRate);
        break;
      }
      case Role::kTeacherInfer:
        sink_ = Forward(teacher_, x_, setup_.batch)[0];
        break;
      case Role::kStudentInfer:
        sink_ = Forward(student_, x_, setup_.batch)[0];
        break;
    }
  }

  std::string Implementation() const override { return "cxx:mlp-sgd"; }
  std::optional<Quality> QualityInfo() const override { return quality_; }
  std::optional<Compression> CompressionInfo() const override {
    if (!quality_) return std::nullopt;
    const double fewer = 1.0 - static_cast<double>(student_params_) / teacher_params_;
    return Compression{
        "distillation", fewer, fewer, "dense", 4.0 * static_cast<double>(student_params_), false};
  }

 private:
  Role role_;
  Setup setup_;
  uint64_t seed_;
  Task task_;
  std::vector<float> x_, dlogits_;
  std::vector<int> labels_;
  Mlp<float> teacher_, student_;
  int64_t teacher_params_ = 0, student_params_ = 0;
  std::optional<Quality> quality_;
  volatile float sink_ = 0;
};

}  // namespace

std::vector<Family> MakeFamilies() {
  std::vector<Family> families;
  const std::pair<const char*, Role> roles[] = {{"kd.teacher_train", Role::kTeacherTrain},
                                                {"kd.student_distill", Role::kStudentDistill},
                                                {"kd.teacher_infer", Role::kTeacherInfer},
                                                {"kd.student_infer", Role::kStudentInfer}};
  for (const auto& [name, role] : roles) {
    const Role r = role;
    families.push_back(Family{
        name,
        {"fp32"},
        {"ref"},
        {},
        {"batch", "teacher", "student", "steps"},
        [r](const Params& p, const Variant&,
            const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
          const Setup s{p.at("batch"), p.at("teacher"), p.at("student"), p.at("steps")};
          if (s.batch < 1 || s.teacher_hidden < 1 || s.student_hidden < 1 || s.steps < 1) {
            return Status::InvalidArgument("batch, teacher, student and steps must be positive");
          }
          return std::unique_ptr<PreparedWorkload>(std::make_unique<PreparedKd>(r, s, config.seed));
        },
        [](const Params& p, const Variant&) -> Result<std::map<std::string, double>> {
          const double in = Task::kInputs, c = Task::kClasses, t = p.at("teacher"),
                       s = p.at("student");
          const double teacher = in * t + t + t * t + t + t * c + c;
          const double student = in * s + s + s * c + c;
          return std::map<std::string, double>{{"teacher_parameters", teacher},
                                               {"student_parameters", student},
                                               {"teacher_macs", teacher - 2 * t - c},
                                               {"student_macs", student - s - c}};
        }});
  }
  return families;
}

}  // namespace effbench::workloads::kd
