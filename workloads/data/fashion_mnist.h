// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28×28 grey images of
// clothing in 10 classes, 60,000 for training and 10,000 for test, as the
// four IDX files Debian's dataset-fashion-mnist installs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace effbench::workloads::data {

struct LabelledImages {
  int64_t count = 0;
  std::vector<float> images;    // [count][h][w][c], standardised (see ImageDataset)
  std::vector<uint8_t> labels;  // [count], each < classes
};

struct ImageDataset {
  std::string name;    // "fashion-mnist"
  std::string dir;     // where it was read from
  std::string sha256;  // of the four files' bytes, concatenated in the order of kFashionMnistFiles
  int64_t h = 0, w = 0, c = 0, classes = 0;
  LabelledImages train, test;
};

// The four files, in the order their checksum concatenates them:
// training images, training labels, test images, test labels.
inline constexpr const char* kFashionMnistFiles[] = {
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz"};

// Where the dataset is unless told otherwise: $EFFBENCH_DATA_DIR, else
// Debian's /usr/share/datasets/fashion-mnist.
std::string DefaultFashionMnistDir();
// `dir`, or the default when it is empty.
std::string FashionMnistDir(const std::string& dir);

// Why the dataset `name` ("fashion-mnist") cannot be used from `dir` (empty:
// the default), e.g. "needs dataset fashion-mnist: /usr/share/.../x.gz is
// missing (apt-get install dataset-fashion-mnist, or --data-dir)"; nullopt
// when its files are there. Only checks that they exist; loading checks the
// rest.
std::optional<std::string> MissingDataset(const std::string& name, const std::string& dir);

// The dataset read from `dir` (empty: the default), once per directory in a
// process, shared.
Result<std::shared_ptr<const ImageDataset>> SharedFashionMnist(const std::string& dir);

// Reads the dataset from `dir`. Pixels become (p/255 − 0.2860) / 0.3530, the
// training set's mean and standard deviation. NotFound (naming the file and
// the package that installs it) when a file is missing; other errors name the
// file and what is wrong with it (counts that disagree, a label ≥ 10, ...).
Result<ImageDataset> LoadFashionMnist(const std::string& dir);

}  // namespace effbench::workloads::data
