#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <random>

#include "tests/test_util.h"
#include "workloads/data/fashion_mnist.h"
#include "workloads/data/idx.h"
#include "workloads/train/accuracy.h"
#include "workloads/train/fit.h"
#include "workloads/train/trainer.h"

namespace effbench::workloads {
namespace {

using nets::Act;

// A small network with every kind of node the trainer supports: a plain
// convolution, a depthwise-separable block (ReLU6), max pooling, an inverted
// residual block (a sum with its input), global average pooling and a
// classifier.
nets::Network SmallNet() {
  nets::Network net("grad_check", 8, 8, 2);
  int x = net.Conv(0, 6, 3, 1, Act::kRelu, 1, false);
  x = net.Conv(x, 6, 3, 2, Act::kRelu6, 6, false);  // depthwise
  x = net.Conv(x, 8, 1, 1, Act::kRelu, 1, false);   // pointwise
  x = net.MaxPool(x, 2, 1, 0, false);
  int y = net.Conv(x, 16, 1, 1, Act::kRelu6, 1, false);
  y = net.Conv(y, 16, 3, 1, Act::kRelu6, 16, false);
  y = net.Conv(y, 8, 1, 1, Act::kNone, 1, false);
  x = net.Add(x, y);
  x = net.GlobalAvgPool(x);
  net.Fc(x, 3);
  return net;
}

std::vector<float> RandomImages(int64_t count, int64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(static_cast<size_t>(count * size));
  for (float& v : out) v = normal(rng);
  return out;
}

// The mean cross-entropy of the float64 reference network.
double ReferenceLoss(const nets::Network& net, const nets::Weights& w,
                     const std::vector<double>& images, const std::vector<uint8_t>& labels) {
  const auto batch = static_cast<int64_t>(labels.size());
  const std::vector<double> logits = nets::RunReference<double>(net, w, images, batch);
  const int64_t classes = net.nodes().back().c;
  double loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const double* z = logits.data() + n * classes;
    double top = z[0], sum = 0;
    for (int64_t c = 0; c < classes; ++c) top = std::max(top, z[c]);
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(z[c] - top);
    loss -= z[labels[size_t(n)]] - top - std::log(sum);
  }
  return loss / double(batch);
}

TEST_CASE("the trainer's gradients match finite differences of the float64 network", "[train]") {
  const nets::Network net = SmallNet();
  const int64_t batch = 3;
  const std::vector<float> images = RandomImages(batch, 8 * 8 * 2, 7);
  const std::vector<uint8_t> labels = {0, 2, 1};
  nets::Weights initial = train::InitialWeights(net, 11);
  // Biases away from zero, so that their gradients are checked on a
  // network that is not at its symmetric start.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> small(-0.2f, 0.2f);
  for (auto& b : initial.b) {
    for (float& v : b) v = small(rng);
  }
  auto trainer = train::Trainer::Create(net, initial, batch, 1);
  REQUIRE(trainer.ok());
  const float* logits = (*trainer)->Forward(images.data());
  std::vector<float> dlogits(static_cast<size_t>(batch * 3));
  const double loss = train::CrossEntropy(logits, labels.data(), batch, 3, dlogits.data());
  const std::vector<double> images64(images.begin(), images.end());
  CHECK(loss == Approx(ReferenceLoss(net, initial, images64, labels)).epsilon(1e-5));
  (*trainer)->Backward(dlogits.data());
  const nets::Weights& grads = (*trainer)->gradients();

  int checked = 0;
  for (size_t node = 0; node < net.nodes().size(); ++node) {
    if (initial.w[node].empty()) continue;
    INFO("node " << node);
    for (const bool bias : {false, true}) {
      const std::vector<float>& values = bias ? initial.b[node] : initial.w[node];
      const std::vector<float>& analytic = bias ? grads.b[node] : grads.w[node];
      REQUIRE(analytic.size() == values.size());
      double err = 0, norm = 0;
      for (size_t k = 0; k < values.size(); k += std::max<size_t>(1, values.size() / 6)) {
        nets::Weights plus = initial, minus = initial;
        auto& p = bias ? plus.b[node][k] : plus.w[node][k];
        auto& m = bias ? minus.b[node][k] : minus.w[node][k];
        p += 1e-3f;
        m -= 1e-3f;
        const double numeric = (ReferenceLoss(net, plus, images64, labels) -
                                ReferenceLoss(net, minus, images64, labels)) /
                               (double(p) - double(m));
        err += (numeric - analytic[k]) * (numeric - analytic[k]);
        norm += numeric * numeric;
        ++checked;
      }
      INFO((bias ? "bias" : "weights") << ": |numeric| " << std::sqrt(norm));
      CHECK(std::sqrt(err) <= 1e-3 * std::sqrt(norm) + 1e-6);
    }
  }
  CHECK(checked > 40);
}

TEST_CASE("training steps lower the loss of a batch it can learn", "[train]") {
  const nets::Network net = SmallNet();
  const int64_t batch = 16;
  const std::vector<float> images = RandomImages(batch, 8 * 8 * 2, 5);
  std::vector<uint8_t> labels(batch);
  for (int64_t n = 0; n < batch; ++n) labels[size_t(n)] = uint8_t(n % 3);
  auto trainer = train::Trainer::Create(net, train::InitialWeights(net, 1), batch, 2);
  REQUIRE(trainer.ok());
  const double first = (*trainer)->Step(images.data(), labels.data(), 0.05f);
  double last = first;
  for (int step = 0; step < 150; ++step)
    last = (*trainer)->Step(images.data(), labels.data(), 0.05f);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.25 * first);
}

// The losses' gradients against central differences of the losses themselves,
// on a confident teacher: the distillation gradient is at the cross-entropy's
// scale (q - p, not T(q - p)).
TEST_CASE("the training losses' gradients match finite differences", "[train]") {
  const int64_t batch = 4, classes = 5;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 2);
  std::vector<float> student(batch * classes), teacher(batch * classes);
  for (float& z : student) z = normal(rng);
  for (float& z : teacher) z = 5 * normal(rng);
  const std::vector<uint8_t> labels = {0, 3, 1, 4};
  for (const bool distill : {false, true}) {
    INFO((distill ? "distillation" : "cross-entropy"));
    const auto loss = [&](const std::vector<float>& z, float* d) {
      return distill ? train::DistillationLoss(z.data(), teacher.data(), labels.data(), batch,
                                               classes, 4.0f, 0.9f, d)
                     : train::CrossEntropy(z.data(), labels.data(), batch, classes, d);
    };
    std::vector<float> grad(student.size()), scratch(student.size());
    loss(student, grad.data());
    double largest = 0;
    for (size_t k = 0; k < student.size(); ++k) {
      std::vector<float> up = student, down = student;
      const float h = 1e-2f;
      up[k] += h;
      down[k] -= h;
      const double numeric = (loss(up, scratch.data()) - loss(down, scratch.data())) / (2 * h);
      CHECK(grad[k] == Approx(numeric).margin(2e-4));
      largest = std::max(largest, std::fabs(double(grad[k])));
    }
    // Per image and class, a probability difference over the batch: at most 1 / batch.
    CHECK(largest <= 1.0 / double(batch) + 1e-6);
  }
}

TEST_CASE("a training that diverges stops at once and says so", "[train]") {
  data::ImageDataset set;
  set.name = "random";
  set.h = 8;
  set.w = 8;
  set.c = 2;
  set.classes = 3;
  for (data::LabelledImages* part : {&set.train, &set.test}) {
    part->count = 64;
    part->images = RandomImages(64, 8 * 8 * 2, 9);
    for (int i = 0; i < 64; ++i) part->labels.push_back(uint8_t(i % 3));
  }
  train::FitOptions o;
  o.epochs = 50;
  o.batch = 16;
  o.learning_rate = 1e12f;
  o.warmup_steps = 1;
  int epochs = 0;
  o.on_epoch = [&](int, double, double, double) { ++epochs; };
  const nets::Network net = SmallNet();
  auto fit = train::Fit(net, train::InitialWeights(net, 1), set, o);
  REQUIRE_FALSE(fit.ok());
  CHECK_THAT(fit.status().message(), Catch::Contains("diverged at step"));
  CHECK(epochs < 50);
}

TEST_CASE("the trainer refuses a network it cannot train, naming the node", "[train]") {
  nets::Network net("bn", 8, 8, 1);
  net.Fc(net.GlobalAvgPool(net.Conv(0, 4, 3, 1, Act::kRelu)), 2);  // batch_norm true by default
  auto trainer = train::Trainer::Create(net, train::InitialWeights(net, 1), 2, 1);
  REQUIRE_FALSE(trainer.ok());
  CHECK_THAT(trainer.status().message(), Catch::Contains("convolution 1"));
}

TEST_CASE("the accuracy difference has a paired-bootstrap interval around it", "[train]") {
  std::vector<uint8_t> fp32(10000, 1), same = fp32;
  for (size_t i = 0; i < 800; ++i) fp32[i * 12] = same[i * 12] = 0;  // both wrong: 92 %
  const auto equal = train::CompareAccuracy(same, fp32, 1);
  CHECK(equal.top1 == Approx(0.92));
  CHECK(equal.delta == 0);
  CHECK(equal.lo == 0);
  CHECK(equal.hi == 0);
  CHECK(equal.meets_mlperf_99);

  // 150 images lost and 50 gained: −1 point, with a standard error of
  // sqrt(200)/10000 ≈ 0.14 points.
  std::vector<uint8_t> variant = same;
  for (size_t i = 0; i < 150; ++i) variant[i * 12 + 1] = 0;
  for (size_t i = 0; i < 50; ++i) variant[i * 12] = 1;
  const auto worse = train::CompareAccuracy(variant, fp32, 1);
  CHECK(worse.delta == Approx(-0.01));
  CHECK(worse.lo < -0.01);
  CHECK(worse.hi > -0.01);
  CHECK(worse.hi - worse.lo == Approx(2 * 1.96 * std::sqrt(200.0) / 10000).epsilon(0.15));
  CHECK_FALSE(worse.meets_mlperf_99);                     // 91 % < 0.99 × 92 % = 91.08 %
  for (size_t i = 50; i < 100; ++i) variant[i * 12] = 1;  // 100 gained: −0.5 points
  const auto closer = train::CompareAccuracy(variant, fp32, 1);
  CHECK(closer.delta == Approx(-0.005));
  CHECK(closer.meets_mlperf_99);
}

using testing::IdxBytes;
using testing::WriteGzip;

TEST_CASE("IDX files are read plain or gzip, and a damaged one is named with its fault", "[data]") {
  const auto parsed = data::ParseIdx(IdxBytes({2, 3}, 6), "x");
  REQUIRE(parsed.ok());
  CHECK(parsed->dims == std::vector<int64_t>{2, 3});
  CHECK(parsed->data.size() == 6);
  const auto error = [](const std::string& bytes) {
    auto r = data::ParseIdx(bytes, "f.idx");
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK_THAT(error(std::string("\1\0\x08\1", 4)),
             Catch::Contains("f.idx") && Catch::Contains("two zero bytes"));
  CHECK_THAT(error(IdxBytes({4}, 4, 0x0d)), Catch::Contains("0x0d"));
  CHECK_THAT(error(IdxBytes({2, 3}, 5)),
             Catch::Contains("2×3 need 6 bytes") && Catch::Contains("truncated"));
  CHECK_THAT(error(IdxBytes({2, 3}, 7)), Catch::Contains("trailing"));
  CHECK_THAT(error(IdxBytes({2, 3}, 0).substr(0, 9)), Catch::Contains("header"));
  CHECK_THAT(error(IdxBytes({0}, 0)), Catch::Contains("dimension 0 is 0"));

  testing::TempDir dir;
  const std::string gz = dir.File("a.gz");
  WriteGzip(gz, IdxBytes({5}, 5));
  const auto read = data::ReadIdx(gz);
  REQUIRE(read.ok());
  CHECK(read->data.size() == 5);
  // The same gzip stream cut short: zlib's error, with the file's name.
  std::ifstream in(gz, std::ios::binary);
  std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir.File("cut.gz"), std::ios::binary) << whole.substr(0, whole.size() - 6);
  const auto cut = data::ReadIdx(dir.File("cut.gz"));
  REQUIRE_FALSE(cut.ok());
  CHECK_THAT(cut.status().message(), Catch::Contains("cut.gz"));
  CHECK(data::ReadIdx(dir.File("none.gz")).status().code() == Status::Code::kNotFound);
}

TEST_CASE("Fashion-MNIST files are checked against each other", "[data]") {
  testing::TempDir dir;
  const auto missing = data::LoadFashionMnist(dir.path().string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("dataset-fashion-mnist"));

  const auto write = [&](const char* name, const std::string& bytes) {
    WriteGzip(dir.File(name), bytes);
  };
  write(data::kFashionMnistFiles[0], IdxBytes({3, 28, 28}, 3 * 784));
  write(data::kFashionMnistFiles[1], IdxBytes({3}, 3));
  write(data::kFashionMnistFiles[2], IdxBytes({2, 28, 28}, 2 * 784));
  write(data::kFashionMnistFiles[3], IdxBytes({3}, 3));  // three labels for two images
  const auto mismatched = data::LoadFashionMnist(dir.path().string());
  REQUIRE_FALSE(mismatched.ok());
  CHECK_THAT(mismatched.status().message(),
             Catch::Contains("t10k-labels") && Catch::Contains("3 labels for the 2 images"));

  write(data::kFashionMnistFiles[3], IdxBytes({2}, 2));
  const auto ok = data::LoadFashionMnist(dir.path().string());
  REQUIRE(ok.ok());
  CHECK(ok->train.count == 3);
  CHECK(ok->test.count == 2);
  CHECK(ok->test.labels == std::vector<uint8_t>{0, 1});
  CHECK(ok->sha256.size() == 64);
  CHECK(ok->train.images[1] == Approx((1 / 255.0 - 0.2860) / 0.3530));
}

}  // namespace
}  // namespace effbench::workloads
