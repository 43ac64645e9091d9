#include "workloads/train/trained_model.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file.h"
#include "core/measurement_json.h"
#include "workloads/train/fit.h"
#include "workloads/train/models.h"
#include "workloads/train/trainer.h"

namespace effbench::workloads::train {

namespace {

constexpr char kMagic[] = "effbench-weights 1\n";

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += "0123456789abcdef"[digest[i] >> 4];
    hex += "0123456789abcdef"[digest[i] & 15];
  }
  return hex;
}

// What decides the weights, as text.
std::string KeyText(const Recipe& r, const nets::Network& net, const std::string& data_sha256,
                    const std::string& teacher_key) {
  nlohmann::json layers = nlohmann::json::array();
  for (const nets::Node& n : net.nodes()) {
    layers.push_back({static_cast<int>(n.kind), n.inputs, n.cout, n.k, n.stride, n.pad, n.groups,
                      static_cast<int>(n.act), n.pool_k, n.pool_stride, n.h, n.w, n.c});
  }
  nlohmann::json key = {{"trainer", kTrainerVersion},
                        {"model", r.model},
                        {"layers", layers},
                        {"epochs", r.epochs},
                        {"batch", r.batch},
                        {"learning_rate", r.learning_rate},
                        {"warmup_steps", r.warmup_steps},
                        {"seed", r.seed},
                        {"flip", r.flip},
                        {"data", data_sha256},
                        {"teacher", teacher_key},
                        {"temperature", r.teacher ? r.temperature : 0.0f}};
  // A distilled model's loss (T·KL since it replaced T²·KL); models trained
  // on labels keep their keys.
  if (r.teacher) key["distillation_loss"] = "T*KL";
  return key.dump();
}

void Append(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }

// The test set's per-image correctness of `weights`.
Result<std::vector<uint8_t>> TestCorrect(const nets::Network& net, const nets::Weights& weights,
                                         const data::ImageDataset& data, int threads) {
  auto logits = Logits(net, weights, data.test, threads);
  if (!logits.ok()) return logits.status();
  return Correct(*logits, data.test, net.nodes().back().c);
}

Result<std::shared_ptr<const TrainedModel>> Train(const Recipe& r, const RunConfig& config) {
  auto data = data::SharedFashionMnist(config.data_dir);
  if (!data.ok()) return data.status();
  auto net = ModelByName(r.model);
  if (!net.ok()) return net.status();
  std::shared_ptr<const TrainedModel> teacher;
  if (r.teacher) {
    auto t = TrainedFor(*r.teacher, config);
    if (!t.ok()) return t.status();
    teacher = *t;
  }
  auto model = std::make_shared<TrainedModel>();
  model->net = *net;
  model->data = *data;
  model->key = Sha256Hex(KeyText(r, *net, (*data)->sha256, teacher ? teacher->key : ""));
  const std::filesystem::path dir = std::filesystem::path(CacheDir(config.cache_dir)) / "models";
  const std::string weights_path = (dir / (model->key + ".weights")).string();
  const std::string info_path = (dir / (model->key + ".json")).string();

  bool hit = false;
  std::error_code ec;
  if (std::filesystem::is_regular_file(weights_path, ec) &&
      std::filesystem::is_regular_file(info_path, ec)) {
    auto weights = ParseWeights(ReadFile(weights_path).value_or(""), *net);
    const auto info = nlohmann::json::parse(ReadFile(info_path).value_or(""), nullptr, false);
    if (weights.ok() && info.is_object()) {
      try {
        model->training = TrainingFromJson(info);
        model->weights = std::move(*weights);
        hit = true;
      } catch (const nlohmann::json::exception&) {
      }
    }
    if (!hit) {
      std::cerr << "train " << r.model << ": cached model " << weights_path
                << " cannot be read; training again\n";
    }
  }
  if (!hit) {
    FitOptions o;
    o.epochs = r.epochs;
    o.batch = r.batch;
    o.learning_rate = r.learning_rate;
    o.warmup_steps = r.warmup_steps;
    o.seed = r.seed;
    // Training for the cache is not timed: it may use the cores the run was
    // given for preparations (all of them unless --threads said otherwise).
    const int threads = config.prepare_threads > 0 ? config.prepare_threads : config.threads;
    o.threads = threads;
    o.flip = r.flip;
    o.target_accuracy = r.target_top1;
    o.temperature = r.temperature;
    if (teacher) {
      auto logits = Logits(teacher->net, teacher->weights, (*data)->train, threads);
      if (!logits.ok()) return logits.status();
      o.teacher_logits = std::move(*logits);
    }
    o.on_epoch = [&](int epoch, double loss, double top1, double seconds) {
      if (config.on_prepare) {
        std::ostringstream detail;
        detail << "loss " << loss << ", test top-1 " << top1 * 100 << " %";
        config.on_prepare({r.model, epoch, r.epochs, seconds, detail.str()});
        return;
      }
      std::cerr << "train " << r.model << ": epoch " << epoch << "/" << r.epochs << ", loss "
                << loss << ", test top-1 " << top1 * 100 << " %, " << seconds << " s\n";
    };
    auto fit = Fit(*net, InitialWeights(*net, r.seed), **data, o);
    if (!fit.ok()) return fit.status();
    // A diverged training is a failure to report, not a model to measure.
    const double chance = 1.0 / double(net->nodes().back().c);
    const double last = fit->epoch_top1.empty() ? 0 : fit->epoch_top1.back();
    if (!(last > 2 * chance)) {
      return Status::Internal("training " + r.model + " did not learn: test top-1 " +
                              std::to_string(100 * last) + " % after " + std::to_string(r.epochs) +
                              " epochs at learning rate " + std::to_string(r.learning_rate));
    }
    Training& t = model->training;
    t.model = r.model;
    t.epochs = r.epochs;
    t.batch = r.batch;
    t.steps = static_cast<int64_t>(fit->step_seconds.size());
    t.seed = r.seed;
    t.seconds = fit->train_seconds;
    t.images_per_second = fit->images_per_second;
    t.top1 = fit->epoch_top1.empty() ? 0 : fit->epoch_top1.back();
    t.target_top1 = r.target_top1;
    t.seconds_to_target = fit->seconds_to_target;
    t.teacher = teacher ? teacher->training.model : "";
    model->weights = std::move(fit->weights);
    std::filesystem::create_directories(dir, ec);
    // A cache that cannot be written costs a retraining next time, nothing more.
    Status saved = WriteFileReplacing(weights_path, SerializeWeights(model->weights));
    if (saved.ok()) saved = WriteFileReplacing(info_path, ToJson(t).dump(2) + "\n");
    if (!saved.ok())
      std::cerr << "train " << r.model << ": not cached: " << saved.message() << "\n";
  }
  model->training.cache_hit = hit;
  model->training.cache_key = model->key;
  auto correct = TestCorrect(model->net, model->weights, **data, config.threads);
  if (!correct.ok()) return correct.status();
  model->test_correct = std::move(*correct);
  return std::shared_ptr<const TrainedModel>(std::move(model));
}

}  // namespace

std::string CacheDir(const std::string& dir) {
  if (!dir.empty()) return dir;
  if (const char* d = std::getenv("EFFBENCH_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0') {
    return std::string(d) + "/effbench";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cache/effbench";
  }
  return (std::filesystem::temp_directory_path() / "effbench-cache").string();
}

std::string SerializeWeights(const nets::Weights& weights) {
  std::string out = kMagic;
  Append(out, weights.w.size());
  for (size_t i = 0; i < weights.w.size(); ++i) {
    for (const std::vector<float>* v : {&weights.w[i], &weights.b[i]}) {
      Append(out, v->size());
      if (!v->empty())
        out.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
    }
  }
  return out;
}

Result<nets::Weights> ParseWeights(const std::string& bytes, const nets::Network& net) {
  const size_t magic = std::strlen(kMagic);
  if (bytes.compare(0, magic, kMagic) != 0)
    return Status::InvalidArgument("not an effbench weights file");
  size_t at = magic;
  const auto read_u64 = [&](uint64_t* v) {
    if (bytes.size() - at < 8) return false;
    std::memcpy(v, bytes.data() + at, 8);
    at += 8;
    return true;
  };
  uint64_t nodes = 0;
  if (!read_u64(&nodes) || nodes != net.nodes().size()) {
    return Status::InvalidArgument("weights file is for another network");
  }
  nets::Weights w;
  w.w.resize(nodes);
  w.b.resize(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    for (std::vector<float>* v : {&w.w[i], &w.b[i]}) {
      uint64_t count = 0;
      if (!read_u64(&count) || count > (bytes.size() - at) / sizeof(float)) {
        return Status::InvalidArgument("weights file is truncated");
      }
      v->resize(count);
      if (count > 0) std::memcpy(v->data(), bytes.data() + at, count * sizeof(float));
      at += count * sizeof(float);
    }
  }
  if (at != bytes.size()) return Status::InvalidArgument("weights file has trailing bytes");
  // The sizes must be the network's: a stale file of another shape is refused.
  const nets::Weights expected = InitialWeights(net, 0);
  for (size_t i = 0; i < nodes; ++i) {
    if (w.w[i].size() != expected.w[i].size() || w.b[i].size() != expected.b[i].size()) {
      return Status::InvalidArgument("weights file does not match node " + std::to_string(i));
    }
  }
  return w;
}

Result<std::shared_ptr<const TrainedModel>> TrainedFor(const Recipe& recipe,
                                                       const RunConfig& config) {
  // Serialised: two workloads asking for one model train it once.
  static std::recursive_mutex mu;
  static std::map<std::string, std::shared_ptr<const TrainedModel>> memo;
  std::lock_guard<std::recursive_mutex> lock(mu);
  const std::string memo_key = nlohmann::json{
      {"model", recipe.model},
      {"epochs", recipe.epochs},
      {"batch", recipe.batch},
      {"seed", recipe.seed},
      {"teacher", recipe.teacher ? recipe.teacher->model : ""},
      {"data", data::FashionMnistDir(config.data_dir)},
      {"cache",
       CacheDir(config.cache_dir)}}.dump();
  if (auto it = memo.find(memo_key); it != memo.end()) return it->second;
  auto model = Train(recipe, config);
  if (!model.ok()) return model.status();
  memo.emplace(memo_key, *model);
  return *model;
}

}  // namespace effbench::workloads::train
