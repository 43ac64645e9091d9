// Pruning of networks: 2:4 semi-structured and unstructured magnitude pruning
// (the same network with zeros, run by dense kernels), and channel pruning (a
// smaller dense network).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "workloads/nets/net.h"
#include "workloads/spmm/spmm.h"

namespace effbench::workloads::nets {
namespace {

int64_t InputChannels(const Network& net, const Node& n) {
  return net.nodes()[static_cast<size_t>(n.inputs[0])].c;
}

// The nodes that read node i's output.
std::vector<int> Consumers(const Network& net, int i) {
  std::vector<int> out;
  for (size_t j = 0; j < net.nodes().size(); ++j) {
    const auto& ins = net.nodes()[j].inputs;
    if (std::find(ins.begin(), ins.end(), i) != ins.end()) out.push_back(static_cast<int>(j));
  }
  return out;
}

bool IsDepthwise(const Network& net, const Node& n) {
  return n.kind == Node::Kind::kConv && n.groups > 1 && n.groups == InputChannels(net, n) &&
         n.groups == n.cout;
}

// Zeroes, in each run of 4 weights along the input channels of one output
// channel and tap, the 2 of least magnitude.
void TwoOfFour(const Network& net, const Node& n, std::vector<float>& w) {
  const int64_t cin = InputChannels(net, n), cout = n.cout;
  for (int64_t tap = 0; tap < n.k * n.k; ++tap) {
    for (int64_t ci = 0; ci + 4 <= cin; ci += 4) {
      for (int64_t co = 0; co < cout; ++co) {
        size_t idx[4];
        for (int64_t j = 0; j < 4; ++j)
          idx[j] = static_cast<size_t>((tap * cin + ci + j) * cout + co);
        std::sort(idx, idx + 4,
                  [&](size_t a, size_t b) { return std::fabs(w[a]) < std::fabs(w[b]); });
        w[idx[0]] = w[idx[1]] = 0.0f;
      }
    }
  }
}

// Replays `net` with each convolution's output channels from `cout`
// (and depthwise groups following their input).
Network Rebuild(const Network& net, const std::vector<int64_t>& cout) {
  Network out(net.name(), net.nodes()[0].h, net.nodes()[0].w, net.nodes()[0].c);
  for (size_t i = 1; i < net.nodes().size(); ++i) {
    const Node& n = net.nodes()[i];
    switch (n.kind) {
      case Node::Kind::kInput:
        break;
      case Node::Kind::kConv: {
        const int64_t groups = IsDepthwise(net, n) ? cout[i] : n.groups;
        out.Conv(n.inputs[0], cout[i], n.k, n.stride, n.act, groups, n.batch_norm, n.pad);
        break;
      }
      case Node::Kind::kMaxPool:
        out.MaxPool(n.inputs[0], n.pool_k, n.pool_stride, n.pool_pad_l,
                    n.pool_pad_b > n.pool_pad_l || n.pool_pad_r > n.pool_pad_l);
        break;
      case Node::Kind::kGlobalAvgPool:
        out.GlobalAvgPool(n.inputs[0]);
        break;
      case Node::Kind::kAdd:
        out.Add(n.inputs[0], n.inputs[1], n.act);
        break;
      case Node::Kind::kMul:
        out.Mul(n.inputs[0], n.inputs[1]);
        break;
      case Node::Kind::kConcat:
        out.Concat(n.inputs);
        break;
    }
  }
  return out;
}

}  // namespace

Result<PrunedNet> Prune(const Network& net, const Weights& weights, const std::string& sparsity) {
  PrunedNet p{net, weights, {}};
  const auto& nodes = net.nodes();
  double total = 0;
  for (size_t i = 0; i < nodes.size(); ++i) total += static_cast<double>(weights.w[i].size());
  const auto count_zeros = [&](const Weights& w) {
    double zeros = 0;
    for (const auto& layer : w.w)
      zeros += static_cast<double>(std::count(layer.begin(), layer.end(), 0.0f));
    return zeros;
  };

  if (sparsity == "2:4") {
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      if (n.kind == Node::Kind::kConv && n.groups == 1 && InputChannels(net, n) % 4 == 0) {
        TwoOfFour(net, n, p.weights.w[i]);
      }
    }
    p.info = Compression{"2:4", 0.5, count_zeros(p.weights) / total, "dense", 4 * total, false};
    return p;
  }
  if (sparsity.rfind("unstructured", 0) == 0) {
    const double target = std::atof(sparsity.c_str() + 12) / 100;
    if (target <= 0 || target >= 1) return Status::InvalidArgument("bad sparsity " + sparsity);
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      // The stem and depthwise filters are tiny and sensitive: left dense.
      if (n.kind == Node::Kind::kConv && n.inputs[0] != 0 && !IsDepthwise(net, n)) {
        spmm::MagnitudePrune(p.weights.w[i], target);
      }
    }
    p.info = Compression{"unstructured", target,    count_zeros(p.weights) / total,
                         "dense",        4 * total, false};
    return p;
  }
  if (sparsity.rfind("channel", 0) == 0) {
    const double fraction = std::atof(sparsity.c_str() + 7) / 100;
    if (fraction <= 0 || fraction >= 1) return Status::InvalidArgument("bad sparsity " + sparsity);
    // Channels between a convolution and its only consumer, a convolution
    // (passing through a depthwise one to the convolution after it), are kept
    // by the L1 norm of their filters; the rest are removed.
    std::vector<int64_t> cout(nodes.size());
    std::vector<std::vector<int64_t>> kept(nodes.size());  // per conv: kept output channels
    for (size_t i = 0; i < nodes.size(); ++i) {
      cout[i] = nodes[i].c;
      std::vector<int64_t> all(static_cast<size_t>(nodes[i].c));
      std::iota(all.begin(), all.end(), 0);
      kept[i] = all;
    }
    int64_t pruned_layers = 0;
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& x = nodes[i];
      if (x.kind != Node::Kind::kConv || IsDepthwise(net, x) || x.inputs[0] == 0) continue;
      const auto users = Consumers(net, static_cast<int>(i));
      if (users.size() != 1 || nodes[static_cast<size_t>(users[0])].kind != Node::Kind::kConv)
        continue;
      const Node& y = nodes[static_cast<size_t>(users[0])];
      if (y.groups != 1 && !IsDepthwise(net, y)) continue;
      if (IsDepthwise(net, y)) {
        const auto after = Consumers(net, users[0]);
        if (after.size() != 1) continue;
        const Node& z = nodes[static_cast<size_t>(after[0])];
        if (z.kind != Node::Kind::kConv || z.groups != 1) continue;
      }
      // Rank x's output channels by the L1 norm of their filters.
      std::vector<double> l1(static_cast<size_t>(x.cout), 0.0);
      const auto& w = weights.w[i];
      for (size_t e = 0; e < w.size(); ++e) l1[e % static_cast<size_t>(x.cout)] += std::fabs(w[e]);
      std::vector<int64_t> order(static_cast<size_t>(x.cout));
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return l1[a] > l1[b]; });
      const int64_t keep = std::max<int64_t>(1, std::llround(x.cout * (1 - fraction)));
      order.resize(static_cast<size_t>(keep));
      std::sort(order.begin(), order.end());
      kept[i] = order;
      cout[i] = keep;
      if (IsDepthwise(net, y)) {
        kept[static_cast<size_t>(users[0])] = order;
        cout[static_cast<size_t>(users[0])] = keep;
      }
      ++pruned_layers;
    }
    if (pruned_layers == 0)
      return Status::InvalidArgument(net.name() + " has no prunable channels");
    p.net = Rebuild(net, cout);
    // Slice every convolution's weights to the kept input and output channels.
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      if (n.kind != Node::Kind::kConv) continue;
      const auto& in_kept = kept[static_cast<size_t>(n.inputs[0])];
      const auto& out_kept = kept[i];
      const bool dw = IsDepthwise(net, n);
      const int64_t cin_g = InputChannels(net, n) / n.groups;
      const int64_t old_out = n.cout;
      if (n.groups != 1 && !dw) continue;  // grouped layers keep their channels
      if (weights.w[i].empty()) continue;   // structure only: no weights to slice
      std::vector<float> w;
      for (int64_t tap = 0; tap < n.k * n.k; ++tap) {
        if (dw) {  // [tap][1][g][1]: the groups are the kept channels
          for (int64_t g : out_kept)
            w.push_back(weights.w[i][static_cast<size_t>(tap * old_out + g)]);
        } else {  // [tap][cin][cout]
          for (int64_t ci : in_kept) {
            for (int64_t co : out_kept) {
              w.push_back(weights.w[i][static_cast<size_t>((tap * cin_g + ci) * old_out + co)]);
            }
          }
        }
      }
      p.weights.w[i] = std::move(w);
      std::vector<float> b;
      for (int64_t co : out_kept) b.push_back(weights.b[i][static_cast<size_t>(co)]);
      p.weights.b[i] = std::move(b);
    }
    const double before = static_cast<double>(net.Parameters());
    const double after = static_cast<double>(p.net.Parameters());
    double weights_after = 0;
    for (const auto& layer : p.weights.w) weights_after += static_cast<double>(layer.size());
    p.info =
        Compression{"channel", fraction, 1 - after / before, "dense", 4 * weights_after, false};
    return p;
  }
  return Status::InvalidArgument("unknown sparsity '" + sparsity +
                                 "' (known: 2:4, unstructuredNN, channelNN)");
}

}  // namespace effbench::workloads::nets
