#include "workloads/train/models.h"

namespace effbench::workloads::train {

using nets::Act;

nets::Network FashionCnn() {
  nets::Network net("fmnist_cnn", 28, 28, 1);
  int x = net.Conv(0, 32, 3, 1, Act::kRelu, 1, false);
  x = net.MaxPool(x, 2, 2, 0, false);
  x = net.Conv(x, 64, 3, 1, Act::kRelu, 1, false);
  x = net.MaxPool(x, 2, 2, 0, false);
  x = net.Conv(x, 128, 7, 1, Act::kRelu, 1, false, /*pad=*/0);  // flatten + dense
  net.Fc(x, 10);
  return net;
}

nets::Network FashionDws(const std::string& name, int64_t width) {
  nets::Network net(name, 28, 28, 1);
  int x = net.Conv(0, width, 3, 1, Act::kRelu, 1, false);
  x = nets::DepthwiseSeparable(net, x, width, 2 * width, 2, false);
  x = nets::DepthwiseSeparable(net, x, 2 * width, 2 * width, 1, false);
  x = nets::DepthwiseSeparable(net, x, 2 * width, 4 * width, 2, false);
  x = nets::DepthwiseSeparable(net, x, 4 * width, 4 * width, 1, false);
  x = net.GlobalAvgPool(x);
  net.Fc(x, 10);
  return net;
}

std::vector<std::string> ModelNames() { return {"fmnist_cnn", "fmnist_dws", "fmnist_dws_student"}; }

Result<nets::Network> ModelByName(const std::string& name) {
  if (name == "fmnist_cnn") return FashionCnn();
  if (name == "fmnist_dws") return FashionDws(name, 32);
  if (name == "fmnist_dws_student") return FashionDws(name, 16);
  std::string known;
  for (const std::string& n : ModelNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::NotFound("no model " + name + " (known: " + known + ")");
}

}  // namespace effbench::workloads::train
