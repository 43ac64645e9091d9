#include "workloads/train/fit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "workloads/train/trainer.h"

namespace effbench::workloads::train {

namespace {

constexpr int64_t kEvalBatch = 500;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

Result<std::vector<float>> Logits(nets::Executor& executor, int64_t batch,
                                  const data::LabelledImages& images, int64_t classes) {
  const int64_t per_image = static_cast<int64_t>(images.images.size()) / images.count;
  std::vector<float> out(static_cast<size_t>(images.count * classes));
  std::vector<float> input(static_cast<size_t>(batch * per_image), 0.0f);
  for (int64_t start = 0; start < images.count; start += batch) {
    const int64_t n = std::min(batch, images.count - start);
    std::copy_n(images.images.begin() + start * per_image, n * per_image, input.begin());
    std::fill(input.begin() + n * per_image, input.end(), 0.0f);
    const std::vector<float>& logits = executor.Run(input);
    std::copy_n(logits.begin(), n * classes, out.begin() + start * classes);
  }
  return out;
}

Result<std::vector<float>> Logits(const nets::Network& net, const nets::Weights& weights,
                                  const data::LabelledImages& images, int threads) {
  auto executor = nets::MakeOnednnExecutor(net, weights, kEvalBatch, threads);
  if (!executor.ok()) return executor.status();
  return Logits(**executor, kEvalBatch, images, net.nodes().back().c);
}

std::vector<uint8_t> Correct(const std::vector<float>& logits, const data::LabelledImages& images,
                             int64_t classes) {
  std::vector<uint8_t> out(static_cast<size_t>(images.count));
  for (int64_t n = 0; n < images.count; ++n) {
    const float* z = logits.data() + n * classes;
    const auto top = std::max_element(z, z + classes) - z;
    out[size_t(n)] = top == images.labels[size_t(n)];
  }
  return out;
}

double Accuracy(const std::vector<uint8_t>& correct) {
  if (correct.empty()) return 0;
  return double(std::accumulate(correct.begin(), correct.end(), int64_t{0})) /
         double(correct.size());
}

Result<FitResult> Fit(const nets::Network& net, nets::Weights initial,
                      const data::ImageDataset& data, const FitOptions& options) {
  const int64_t batch = options.batch;
  const int64_t classes = net.nodes().back().c;
  const bool distill = !options.teacher_logits.empty();
  if (distill && options.teacher_logits.size() != size_t(data.train.count * classes)) {
    return Status::InvalidArgument(
        "distillation: the teacher's logits do not cover the training set");
  }
  if (distill && options.flip) {
    return Status::InvalidArgument("distillation: the teacher's logits are of unflipped images");
  }
  auto trainer = Trainer::Create(net, std::move(initial), batch, options.threads);
  if (!trainer.ok()) return trainer.status();
  const int64_t h = data.h, w = data.w, c = data.c, per_image = h * w * c;
  const int64_t steps_per_epoch = data.train.count / batch;  // the remainder is left out
  const int64_t total_steps = steps_per_epoch * options.epochs;
  std::mt19937_64 rng(options.seed);
  std::vector<int64_t> order(static_cast<size_t>(data.train.count));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::vector<float> images(static_cast<size_t>(batch * per_image));
  std::vector<uint8_t> labels(static_cast<size_t>(batch));
  std::vector<float> teacher(distill ? size_t(batch * classes) : 0),
      dlogits(size_t(batch * classes));
  FitResult out;
  out.step_seconds.reserve(static_cast<size_t>(total_steps));
  int64_t step = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t k = order[size_t(s * batch + n)];
        const float* src = data.train.images.data() + k * per_image;
        float* dst = images.data() + n * per_image;
        if (options.flip && (rng() & 1)) {
          for (int64_t y = 0; y < h; ++y) {
            for (int64_t x = 0; x < w; ++x) {
              std::copy_n(src + (y * w + (w - 1 - x)) * c, c, dst + (y * w + x) * c);
            }
          }
        } else {
          std::copy_n(src, per_image, dst);
        }
        labels[size_t(n)] = data.train.labels[size_t(k)];
        if (distill) {
          std::copy_n(options.teacher_logits.data() + k * classes, classes,
                      teacher.data() + n * classes);
        }
      }
      const float warm =
          step < options.warmup_steps ? float(step + 1) / float(options.warmup_steps) : 1.0f;
      const float lr = warm * options.learning_rate * 0.5f *
                       (1.0f + std::cos(float(M_PI) * float(step) / float(total_steps)));
      const auto start = std::chrono::steady_clock::now();
      const float* logits = (*trainer)->Forward(images.data());
      const double loss =
          distill ? DistillationLoss(logits, teacher.data(), labels.data(), batch, classes,
                                     options.temperature, options.alpha, dlogits.data())
                  : CrossEntropy(logits, labels.data(), batch, classes, dlogits.data());
      if (!std::isfinite(loss)) {
        return Status::Internal("training diverged at step " + std::to_string(step + 1) +
                                " of epoch " + std::to_string(epoch + 1) + " (loss " +
                                std::to_string(loss) + " at learning rate " + std::to_string(lr) +
                                "); a lower learning rate may train");
      }
      loss_sum += loss;
      (*trainer)->Backward(dlogits.data());
      (*trainer)->Update(lr);
      const double seconds = Seconds(std::chrono::steady_clock::now() - start);
      out.step_seconds.push_back(seconds);
      out.train_seconds += seconds;
    }
    auto logits = Logits(net, (*trainer)->weights(), data.test, options.threads);
    if (!logits.ok()) return logits.status();
    const double top1 = Accuracy(Correct(*logits, data.test, classes));
    out.epoch_top1.push_back(top1);
    if (!out.seconds_to_target && top1 >= options.target_accuracy) {
      out.seconds_to_target = out.train_seconds;
    }
    if (options.on_epoch) {
      options.on_epoch(epoch + 1, loss_sum / double(steps_per_epoch), top1, out.train_seconds);
    }
  }
  out.weights = (*trainer)->weights();
  out.images_per_second = out.train_seconds > 0 ? double(step * batch) / out.train_seconds : 0;
  return out;
}

}  // namespace effbench::workloads::train
