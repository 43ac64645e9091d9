// The accuracy families of workloads/specs/accuracy.json: training a model on
// Fashion-MNIST (train.*, one SGD step timed), and the trained model and its
// compressed variants on the 10,000 test images (acc.*, one inference batch
// timed), each record with its accuracy against its baseline.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <mutex>
#include <random>

#include "workloads/common/numeric.h"
#include "workloads/nets/net.h"
#include "workloads/train/accuracy.h"
#include "workloads/train/fit.h"
#include "workloads/train/models.h"
#include "workloads/train/train_families.h"
#include "workloads/train/trained_model.h"
#include "workloads/train/trainer.h"

namespace effbench::workloads::train {
namespace {

constexpr int64_t kCalibrationBatch = 256;
constexpr int64_t kCalibrationImages = 1024;  // the first training images
constexpr int64_t kFineTuneSteps = 300;
constexpr float kFineTuneLearningRate = 0.01f;
constexpr double kFp32Tolerance = 1e-5;          // one layer against float64
constexpr double kInt8KernelTolerance = 1e-5;    // an int8 layer against float64
constexpr double kTrainForwardTolerance = 1e-4;  // the training forward pass against float64
// A compressed model's logits against fp32's: the error is the finding; past
// this the outputs have blown up.
constexpr double kCompressedTolerance = 10.0;
constexpr const char* kTeacher = "fmnist_dws";
constexpr const char* kStudent = "fmnist_dws_student";

// The recipe a family's model is trained by, for `epochs`.
Recipe RecipeFor(const std::string& model, int epochs, bool distilled) {
  Recipe r;
  r.model = model;
  r.epochs = epochs;
  // Without batch norm the plain CNN's dense layer diverges at 0.1.
  if (model == "fmnist_cnn") r.learning_rate = 0.03f;
  if (model == kStudent) {
    r.target_top1 = 0.85;
    // At half the width it blew up to NaN at 0.1 on the real data.
    r.learning_rate = 0.05f;
    if (distilled) {
      auto teacher = std::make_shared<Recipe>();
      teacher->model = kTeacher;
      teacher->epochs = epochs;
      r.teacher = teacher;
    }
  }
  return r;
}

// A pruning variant's pattern ("2:4" of "2:4_ft") and whether it is fine-tuned.
std::pair<std::string, bool> PruningOf(const std::string& sparsity) {
  const bool fine_tune = sparsity.size() > 3 && sparsity.ends_with("_ft");
  return {fine_tune ? sparsity.substr(0, sparsity.size() - 3) : sparsity, fine_tune};
}

// `count` images and labels of `set` from a seeded offset, as one batch.
void Batch(const data::LabelledImages& set, int64_t count, uint64_t seed,
           std::vector<float>& images, std::vector<uint8_t>* labels) {
  const int64_t per_image = static_cast<int64_t>(set.images.size()) / set.count;
  const int64_t start = static_cast<int64_t>(seed % static_cast<uint64_t>(set.count - count + 1));
  images.assign(set.images.begin() + start * per_image,
                set.images.begin() + (start + count) * per_image);
  if (labels) labels->assign(set.labels.begin() + start, set.labels.begin() + start + count);
}

double RelL2(const std::vector<float>& out, const std::vector<double>& ref) {
  ErrorAccumulator acc;
  for (size_t i = 0; i < ref.size(); ++i) acc.Add(out[i], ref[i]);
  return acc.RelL2();
}

// train.MODEL: one SGD step of the trained model on a batch of training
// images, timed; the record carries how the model was trained.
class PreparedTrainStep final : public PreparedWorkload {
 public:
  PreparedTrainStep(Recipe recipe, RunConfig config)
      : recipe_(std::move(recipe)), config_(std::move(config)) {}

  // Trains the model (or reads it from the cache), then proves the training
  // forward pass right against the float64 network on a batch.
  Result<Fidelity> Verify() override {
    auto model = TrainedFor(recipe_, config_);
    if (!model.ok()) return model.status();
    model_ = *model;
    auto trainer = Trainer::Create(model_->net, model_->weights, recipe_.batch, config_.threads);
    if (!trainer.ok()) return trainer.status();
    trainer_ = std::move(*trainer);
    Batch(model_->data->train, recipe_.batch, config_.seed, images_, &labels_);
    const float* logits = trainer_->Forward(images_.data());
    const std::vector<float> out(logits, logits + recipe_.batch * trainer_->classes());
    const std::vector<double> ref = nets::RunReference<double>(
        model_->net, model_->weights, std::vector<double>(images_.begin(), images_.end()),
        recipe_.batch);
    return Fidelity{RelL2(out, ref), 0, kTrainForwardTolerance};
  }

  // At the last learning rate of the schedule's end: the step's full work.
  void RunOnce() override { trainer_->Step(images_.data(), labels_.data(), 1e-5f); }
  std::string Implementation() const override { return trainer_->Implementation(); }
  std::optional<Training> TrainingInfo() const override { return model_->training; }

 private:
  Recipe recipe_;
  RunConfig config_;
  std::shared_ptr<const TrainedModel> model_;
  std::unique_ptr<Trainer> trainer_;
  std::vector<float> images_;
  std::vector<uint8_t> labels_;
};

// The fine-tuning of a pruned model: SGD steps on training images, the
// pruned weights held at zero after every step.
Result<nets::Weights> FineTune(const nets::Network& net, const nets::Weights& weights,
                               const data::ImageDataset& data, int threads, uint64_t seed) {
  constexpr int64_t kBatch = 128;
  auto trainer = Trainer::Create(net, weights, kBatch, threads);
  if (!trainer.ok()) return trainer.status();
  (*trainer)->HoldZeros(weights);
  std::mt19937_64 rng(seed);
  std::vector<float> images;
  std::vector<uint8_t> labels;
  std::vector<float> dlogits(static_cast<size_t>(kBatch * (*trainer)->classes()));
  for (int64_t step = 0; step < kFineTuneSteps; ++step) {
    Batch(data.train, kBatch, rng(), images, &labels);
    const float* logits = (*trainer)->Forward(images.data());
    CrossEntropy(logits, labels.data(), kBatch, (*trainer)->classes(), dlogits.data());
    (*trainer)->Backward(dlogits.data());
    const float lr = kFineTuneLearningRate * 0.5f *
                     (1 + std::cos(float(M_PI) * float(step) / float(kFineTuneSteps)));
    (*trainer)->Update(lr);
  }
  return (*trainer)->weights();
}

// acc.MODEL: the trained model, or a compressed variant of it, on a batch of
// test images, timed; the record carries its accuracy on the whole test set.
class PreparedAccuracy final : public PreparedWorkload {
 public:
  PreparedAccuracy(Recipe recipe, Variant variant, int64_t batch, RunConfig config)
      : recipe_(std::move(recipe)),
        variant_(std::move(variant)),
        batch_(batch),
        config_(std::move(config)) {}

  Result<Fidelity> Verify() override {
    auto model = TrainedFor(recipe_, config_);
    if (!model.ok()) return model.status();
    model_ = *model;
    EFFBENCH_RETURN_IF_ERROR(Build());
    Batch(model_->data->test, batch_, config_.seed, input_, nullptr);
    // Proven right first: every node of the run network against float64
    // on the executor's own inputs (int8 convolutions on their integers).
    exec_->Run(input_);
    auto worst = nets::VerifyNodes(net_, weights_, q_ ? &*q_ : nullptr, *exec_, batch_,
                                   kInt8KernelTolerance);
    if (!worst.ok()) return worst.status();
    // Then judged on every test image.
    auto logits = Logits(*exec_, batch_, model_->data->test, net_.nodes().back().c);
    if (!logits.ok()) return logits.status();
    const std::vector<uint8_t> correct =
        Correct(*logits, model_->data->test, net_.nodes().back().c);
    std::shared_ptr<const TrainedModel> baseline = model_;
    accuracy_.baseline = "fp32 " + recipe_.model + " (trained)";
    if (recipe_.teacher) {  // a distilled student against its twin trained on labels alone
      auto twin = TrainedFor(RecipeFor(recipe_.model, recipe_.epochs, false), config_);
      if (!twin.ok()) return twin.status();
      baseline = *twin;
      accuracy_.baseline = recipe_.model + " trained on labels alone, same budget";
    }
    const AccuracyDelta d = CompareAccuracy(correct, baseline->test_correct, config_.seed);
    const data::ImageDataset& data = *model_->data;
    accuracy_.dataset = data.name;
    accuracy_.dataset_sha256 = data.sha256;
    accuracy_.test_images = data.test.count;
    accuracy_.top1 = d.top1;
    accuracy_.top1_fp32 = d.top1_fp32;
    accuracy_.delta = d.delta;
    accuracy_.delta_lo = d.lo;
    accuracy_.delta_hi = d.hi;
    accuracy_.meets_mlperf_99 = d.meets_mlperf_99;
    accuracy_.model_bytes = ModelBytes();
    if (!q_ && !pruned_ && !recipe_.teacher) return Fidelity{*worst, 0, kFp32Tolerance};
    // A compressed model: its logits against the fp32 model's on the batch.
    auto fp32 = nets::MakeOnednnExecutor(model_->net, model_->weights, batch_, config_.threads);
    if (!fp32.ok()) return fp32.status();
    const std::vector<float> ref = (*fp32)->Run(input_);
    const std::vector<float>& out = exec_->Run(input_);
    return Fidelity{RelL2(out, std::vector<double>(ref.begin(), ref.end())), 0,
                    kCompressedTolerance};
  }

  void RunOnce() override { exec_->Run(input_); }
  std::string Implementation() const override { return exec_->Implementation(); }
  std::optional<effbench::Accuracy> AccuracyInfo() const override { return accuracy_; }
  std::optional<Training> TrainingInfo() const override { return model_->training; }
  std::optional<Quantization> QuantizationInfo() const override {
    if (!q_) return std::nullopt;
    return nets::DescribeQuantization(*q_, "pooling (quantize-dequantize around each convolution)");
  }
  std::optional<Compression> CompressionInfo() const override {
    if (pruned_) return pruned_->info;
    if (recipe_.teacher) {
      Compression c;
      c.pattern = "distillation";
      c.format = "dense";
      c.model_bytes = ModelBytes();
      return c;
    }
    return std::nullopt;
  }

 private:
  // The network and weights this variant runs, and its executor.
  Status Build() {
    net_ = model_->net;
    weights_ = model_->weights;
    if (variant_.sparsity != "dense") {
      const auto [pattern, fine_tune] = PruningOf(variant_.sparsity);
      auto pruned = nets::Prune(net_, weights_, pattern);
      if (!pruned.ok()) return pruned.status();
      pruned_ = std::move(*pruned);
      if (fine_tune) {
        auto tuned =
            FineTune(pruned_->net, pruned_->weights, *model_->data, config_.threads, config_.seed);
        if (!tuned.ok()) return tuned.status();
        pruned_->weights = std::move(*tuned);
        pruned_->info.fine_tuned = true;
        pruned_->info.fine_tune_steps = kFineTuneSteps;
      }
      net_ = pruned_->net;
      weights_ = pruned_->weights;
    }
    if (variant_.precision == "int8") {
      auto scheme = nets::ParseQuantScheme(variant_.quantization);
      if (!scheme.ok()) return scheme.status();
      auto calibration =
          nets::MakeOnednnExecutor(net_, weights_, kCalibrationBatch, config_.threads);
      if (!calibration.ok()) return calibration.status();
      const data::LabelledImages& train = model_->data->train;
      const int64_t per_image = static_cast<int64_t>(train.images.size()) / train.count;
      const std::vector<float> images(train.images.begin(),
                                      train.images.begin() + kCalibrationImages * per_image);
      auto q = nets::Quantize(net_, weights_, *scheme, **calibration, kCalibrationBatch, images);
      if (!q.ok()) return q.status();
      q_ = std::move(*q);
    }
    auto exec =
        nets::MakeOnednnExecutor(net_, weights_, batch_, config_.threads, q_ ? &*q_ : nullptr);
    if (!exec.ok()) return exec.status();
    exec_ = std::move(*exec);
    return Status::Ok();
  }

  // The weights as this variant stores them: fp32 4 bytes each, int8 one
  // (plus a scale per output channel or tensor), biases in fp32.
  double ModelBytes() const {
    if (pruned_ && !q_) return pruned_->info.model_bytes;
    double bytes = 0;
    for (size_t i = 0; i < weights_.w.size(); ++i) {
      bytes += double(weights_.w[i].size()) * (q_ ? 1.0 : 4.0) + 4.0 * double(weights_.b[i].size());
      if (q_ && !weights_.w[i].empty()) bytes += 4.0 * double(q_->w_scale[i].size());
    }
    return bytes;
  }

  Recipe recipe_;
  Variant variant_;
  int64_t batch_;
  RunConfig config_;
  std::shared_ptr<const TrainedModel> model_;
  nets::Network net_{"", 0, 0, 0};
  nets::Weights weights_;
  std::optional<nets::PrunedNet> pruned_;
  std::optional<nets::QuantizedNet> q_;
  std::unique_ptr<nets::Executor> exec_;
  std::vector<float> input_;
  effbench::Accuracy accuracy_;
};

// The facts of a model: parameters, multiply-accumulates and outputs per image.
Result<std::map<std::string, double>> ModelFacts(const std::string& model, const Variant& variant) {
  auto net = ModelByName(model);
  if (!net.ok()) return net.status();
  const std::string pattern = PruningOf(variant.sparsity).first;
  if (pattern.rfind("channel", 0) == 0) {
    nets::Weights none;
    none.w.resize(net->nodes().size());
    none.b.resize(net->nodes().size());
    auto pruned = nets::Prune(*net, none, pattern);
    if (!pruned.ok()) return pruned.status();
    net = std::move(pruned->net);
  }
  return std::map<std::string, double>{{"parameters", double(net->Parameters())},
                                       {"macs", double(net->Macs())},
                                       {"outputs", double(net->nodes().back().c)}};
}

Family TrainFamily(const std::string& model) {
  Family f{"train." + model,    {"fp32"}, {"onednn"}, {"onednn"},
           {"batch", "epochs"}, nullptr,  nullptr};
  f.prepare = [model](const Params& p, const Variant&,
                      const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    Recipe recipe = RecipeFor(model, static_cast<int>(p.at("epochs")), false);
    recipe.batch = p.at("batch");
    return std::unique_ptr<PreparedWorkload>(std::make_unique<PreparedTrainStep>(recipe, config));
  };
  f.facts = [model](const Params&, const Variant& v) { return ModelFacts(model, v); };
  return f;
}

Family AccuracyFamily(const std::string& name, const std::string& model, bool distilled,
                      std::vector<std::string> precisions) {
  Family f{name, std::move(precisions), {"onednn"}, {"onednn"}, {"n", "epochs"}, nullptr, nullptr};
  f.prepare = [model, distilled](
                  const Params& p, const Variant& variant,
                  const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    const Recipe recipe = RecipeFor(model, static_cast<int>(p.at("epochs")), distilled);
    return std::unique_ptr<PreparedWorkload>(
        std::make_unique<PreparedAccuracy>(recipe, variant, p.at("n"), config));
  };
  f.facts = [model](const Params&, const Variant& v) { return ModelFacts(model, v); };
  return f;
}

}  // namespace

std::vector<Family> MakeFamilies() {
  std::vector<Family> out;
  for (const std::string& model : ModelNames()) out.push_back(TrainFamily(model));
  out.push_back(AccuracyFamily("acc.fmnist_cnn", "fmnist_cnn", false, {"fp32", "int8"}));
  out.push_back(AccuracyFamily("acc.fmnist_dws", "fmnist_dws", false, {"fp32", "int8"}));
  out.push_back(AccuracyFamily("acc.fmnist_dws_student", kStudent, false, {"fp32"}));
  out.push_back(AccuracyFamily("acc.fmnist_dws_student_kd", kStudent, true, {"fp32"}));
  return out;
}

}  // namespace effbench::workloads::train
