#include "workloads/data/fashion_mnist.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

#include "workloads/data/idx.h"

namespace effbench::workloads::data {

namespace {

constexpr float kMean = 0.2860f, kStd = 0.3530f;

// The images of `images` and the labels of `labels` as one set, checked
// against each other.
Result<LabelledImages> Combine(const IdxArray& images, const std::string& images_path,
                               const IdxArray& labels, const std::string& labels_path,
                               int64_t classes) {
  if (images.dims.size() != 3 || images.dims[1] != 28 || images.dims[2] != 28) {
    std::string dims;
    for (const int64_t d : images.dims) dims += (dims.empty() ? "" : "×") + std::to_string(d);
    return Status::InvalidArgument(images_path + ": images are " + dims + ", not N×28×28");
  }
  if (labels.dims.size() != 1) {
    return Status::InvalidArgument(labels_path + ": labels have " +
                                   std::to_string(labels.dims.size()) + " dimensions, not 1");
  }
  if (labels.dims[0] != images.dims[0]) {
    return Status::InvalidArgument(labels_path + " has " + std::to_string(labels.dims[0]) +
                                   " labels for the " + std::to_string(images.dims[0]) +
                                   " images of " + images_path);
  }
  LabelledImages out;
  out.count = images.dims[0];
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= classes) {
      return Status::InvalidArgument(labels_path + ": label " + std::to_string(i) + " is " +
                                     std::to_string(labels.data[i]) + ", not a class below " +
                                     std::to_string(classes));
    }
  }
  out.labels = labels.data;
  out.images.resize(images.data.size());
  for (size_t i = 0; i < images.data.size(); ++i) {
    out.images[i] = (static_cast<float>(images.data[i]) / 255.0f - kMean) / kStd;
  }
  return out;
}

}  // namespace

std::string DefaultFashionMnistDir() {
  if (const char* dir = std::getenv("EFFBENCH_DATA_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return "/usr/share/datasets/fashion-mnist";
}

std::string FashionMnistDir(const std::string& dir) {
  return dir.empty() ? DefaultFashionMnistDir() : dir;
}

std::optional<std::string> MissingDataset(const std::string& name, const std::string& dir) {
  if (name != "fashion-mnist") return "needs dataset " + name + ", which this build does not know";
  const std::string where = FashionMnistDir(dir);
  for (const char* file : kFashionMnistFiles) {
    const std::string path = where + "/" + file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return "needs dataset fashion-mnist: " + path +
             " is missing (apt-get install dataset-fashion-mnist, or --data-dir DIR)";
    }
  }
  return std::nullopt;
}

Result<std::shared_ptr<const ImageDataset>> SharedFashionMnist(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const ImageDataset>> loaded;
  const std::string where = FashionMnistDir(dir);
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = loaded.find(where); it != loaded.end()) return it->second;
  auto data = LoadFashionMnist(where);
  if (!data.ok()) return data.status();
  auto shared = std::make_shared<const ImageDataset>(std::move(*data));
  loaded.emplace(where, shared);
  return shared;
}

Result<ImageDataset> LoadFashionMnist(const std::string& dir) {
  std::vector<IdxArray> arrays;
  std::vector<std::string> paths;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("cannot start a SHA-256 digest");
  }
  for (const char* file : kFashionMnistFiles) {
    const std::string path = dir + "/" + file;
    auto array = ReadIdx(path);
    if (!array.ok()) {
      if (array.status().code() == Status::Code::kNotFound) {
        return Status::NotFound("Fashion-MNIST: " + path +
                                " is missing (apt-get install dataset-fashion-mnist, or point "
                                "--data-dir at a folder with the four IDX files)");
      }
      return array.status();
    }
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EVP_DigestUpdate(sha.get(), bytes.data(), bytes.size());
    arrays.push_back(std::move(*array));
    paths.push_back(path);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(sha.get(), digest, &length);
  ImageDataset out;
  out.name = "fashion-mnist";
  out.dir = dir;
  for (unsigned int i = 0; i < length; ++i) {
    out.sha256 += "0123456789abcdef"[digest[i] >> 4];
    out.sha256 += "0123456789abcdef"[digest[i] & 15];
  }
  out.h = 28;
  out.w = 28;
  out.c = 1;
  out.classes = 10;
  auto train = Combine(arrays[0], paths[0], arrays[1], paths[1], out.classes);
  if (!train.ok()) return train.status();
  auto test = Combine(arrays[2], paths[2], arrays[3], paths[3], out.classes);
  if (!test.ok()) return test.status();
  out.train = std::move(*train);
  out.test = std::move(*test);
  return out;
}

}  // namespace effbench::workloads::data
