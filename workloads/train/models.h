// The networks effbench trains on 28×28×1 images (Fashion-MNIST), in NHWC,
// with plain biases (no batch norm), 10 classes:
//   fmnist_cnn  a plain CNN baseline: 3×3 conv 32, max pool, 3×3 conv 64,
//               max pool, a 7×7 "flatten" convolution to 128, classifier;
//   fmnist_dws  an efficient one from the suite's depthwise-separable block:
//               3×3 conv 32, then blocks 32→64 /2, 64→64, 64→128 /2, 128→128,
//               global average pooling, classifier;
//   fmnist_dws_student  the distillation student: fmnist_dws at half
//               the width.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::train {

nets::Network FashionCnn();
nets::Network FashionDws(const std::string& name, int64_t width);

// The model named `name` (above), or NotFound naming the known ones.
Result<nets::Network> ModelByName(const std::string& name);
std::vector<std::string> ModelNames();

}  // namespace effbench::workloads::train
