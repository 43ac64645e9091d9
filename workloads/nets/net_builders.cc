// The layer tables of the five networks, and parameter and MAC counting.
#include <algorithm>

#include "workloads/nets/net.h"

namespace effbench::workloads::nets {

Network::Network(std::string name, int64_t h, int64_t w, int64_t c) : name_(std::move(name)) {
  Node input;
  input.kind = Node::Kind::kInput;
  input.h = h;
  input.w = w;
  input.c = c;
  nodes_.push_back(input);
}

int Network::Push(Node node) {
  nodes_.push_back(std::move(node));
  return output();
}

int Network::Conv(int in, int64_t cout, int64_t k, int64_t stride, Act act, int64_t groups,
                  bool batch_norm, int64_t pad) {
  const Node& x = nodes_[static_cast<size_t>(in)];
  Node n;
  n.kind = Node::Kind::kConv;
  n.inputs = {in};
  n.cout = cout;
  n.k = k;
  n.stride = stride;
  n.pad = pad < 0 ? k / 2 : pad;
  n.groups = groups;
  n.batch_norm = batch_norm;
  n.act = act;
  n.h = (x.h + 2 * n.pad - k) / stride + 1;
  n.w = (x.w + 2 * n.pad - k) / stride + 1;
  n.c = cout;
  return Push(n);
}

int Network::MaxPool(int in, int64_t k, int64_t stride, int64_t pad, bool ceil_mode) {
  const Node& x = nodes_[static_cast<size_t>(in)];
  Node n;
  n.kind = Node::Kind::kMaxPool;
  n.inputs = {in};
  n.pool_k = k;
  n.pool_stride = stride;
  n.pool_pad_l = pad;
  const auto out = [&](int64_t size) {
    const int64_t span = size + 2 * pad - k;
    return (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  };
  n.h = out(x.h);
  n.w = out(x.w);
  n.c = x.c;
  // Padding after the input that ceil mode needs for the last window.
  n.pool_pad_b = std::max<int64_t>(pad, (n.h - 1) * stride + k - x.h - pad);
  n.pool_pad_r = std::max<int64_t>(pad, (n.w - 1) * stride + k - x.w - pad);
  return Push(n);
}

int Network::GlobalAvgPool(int in) {
  const Node& x = nodes_[static_cast<size_t>(in)];
  Node n;
  n.kind = Node::Kind::kGlobalAvgPool;
  n.inputs = {in};
  n.h = n.w = 1;
  n.c = x.c;
  return Push(n);
}

int Network::Add(int a, int b, Act act) {
  Node n = nodes_[static_cast<size_t>(a)];
  n.kind = Node::Kind::kAdd;
  n.inputs = {a, b};
  n.act = act;
  return Push(n);
}

int Network::Mul(int x, int channel_scale) {
  Node n = nodes_[static_cast<size_t>(x)];
  n.kind = Node::Kind::kMul;
  n.inputs = {x, channel_scale};
  n.act = Act::kNone;
  return Push(n);
}

int Network::Concat(const std::vector<int>& ins) {
  Node n = nodes_[static_cast<size_t>(ins.front())];
  n.kind = Node::Kind::kConcat;
  n.inputs = ins;
  n.act = Act::kNone;
  n.c = 0;
  for (int i : ins) n.c += nodes_[static_cast<size_t>(i)].c;
  return Push(n);
}

int Network::Fc(int in, int64_t cout) { return Conv(in, cout, 1, 1, Act::kNone, 1, false, 0); }

int64_t Network::Parameters() const {
  int64_t total = 0;
  for (const Node& n : nodes_) {
    if (n.kind != Node::Kind::kConv) continue;
    const int64_t cin = nodes_[static_cast<size_t>(n.inputs[0])].c;
    total += n.k * n.k * (cin / n.groups) * n.cout + (n.batch_norm ? 2 : 1) * n.cout;
  }
  return total;
}

int64_t Network::Macs() const {
  int64_t total = 0;
  for (const Node& n : nodes_) {
    if (n.kind != Node::Kind::kConv) continue;
    const int64_t cin = nodes_[static_cast<size_t>(n.inputs[0])].c;
    total += n.h * n.w * n.k * n.k * (cin / n.groups) * n.cout;
  }
  return total;
}

// The blocks the networks are built from; each returns its output node.

int DepthwiseSeparable(Network& net, int x, int64_t cin, int64_t cout, int64_t stride,
                       bool batch_norm) {
  x = net.Conv(x, cin, 3, stride, Act::kRelu, /*groups=*/cin, batch_norm);  // depthwise
  return net.Conv(x, cout, 1, 1, Act::kRelu, 1, batch_norm);                // pointwise
}

int InvertedResidual(Network& net, int x, int64_t cin, int64_t cout, int64_t t, int64_t stride) {
  const int64_t hidden = cin * t;
  int y = x;
  if (t != 1) y = net.Conv(y, hidden, 1, 1, Act::kRelu6);   // expand
  y = net.Conv(y, hidden, 3, stride, Act::kRelu6, hidden);  // depthwise
  y = net.Conv(y, cout, 1, 1, Act::kNone);                  // linear project
  return stride == 1 && cin == cout ? net.Add(x, y) : y;    // residual
}

int MbConv(Network& net, int x, int64_t cin, int64_t cout, int64_t expand, int64_t k,
           int64_t stride) {
  const int64_t hidden = cin * expand;
  int y = x;
  if (expand != 1) y = net.Conv(y, hidden, 1, 1, Act::kSilu);  // expand
  y = net.Conv(y, hidden, k, stride, Act::kSilu, hidden);      // depthwise
  // Squeeze-and-excite, squeezing to a quarter of the block's input channels.
  const int64_t squeeze = std::max<int64_t>(1, cin / 4);
  int s = net.GlobalAvgPool(y);
  s = net.Conv(s, squeeze, 1, 1, Act::kSilu, 1, false, 0);
  s = net.Conv(s, hidden, 1, 1, Act::kSigmoid, 1, false, 0);
  y = net.Mul(y, s);
  y = net.Conv(y, cout, 1, 1, Act::kNone);  // project
  return stride == 1 && cin == cout ? net.Add(x, y) : y;
}

int Fire(Network& net, int x, int64_t squeeze, int64_t expand) {
  const int s = net.Conv(x, squeeze, 1, 1, Act::kRelu, 1, false, 0);
  const int e1 = net.Conv(s, expand, 1, 1, Act::kRelu, 1, false, 0);
  const int e3 = net.Conv(s, expand, 3, 1, Act::kRelu, 1, false, 1);
  return net.Concat({e1, e3});
}

Network MobileNetV1() {
  Network net("mobilenet_v1", 224, 224, 3);
  int x = net.Conv(0, 32, 3, 2, Act::kRelu);
  int64_t c = 32;
  const std::pair<int64_t, int64_t> blocks[] = {{64, 1},  {128, 2},  {128, 1}, {256, 2}, {256, 1},
                                                {512, 2}, {512, 1},  {512, 1}, {512, 1}, {512, 1},
                                                {512, 1}, {1024, 2}, {1024, 1}};
  for (const auto& [cout, stride] : blocks) {
    x = DepthwiseSeparable(net, x, c, cout, stride);
    c = cout;
  }
  net.Fc(net.GlobalAvgPool(x), 1000);
  return net;
}

Network MobileNetV2() {
  Network net("mobilenet_v2", 224, 224, 3);
  int x = net.Conv(0, 32, 3, 2, Act::kRelu6);
  int64_t c = 32;
  struct Stage {
    int64_t t, c, n, s;
  };
  for (const Stage st :
       {Stage{1, 16, 1, 1}, Stage{6, 24, 2, 2}, Stage{6, 32, 3, 2}, Stage{6, 64, 4, 2},
        Stage{6, 96, 3, 1}, Stage{6, 160, 3, 2}, Stage{6, 320, 1, 1}}) {
    for (int64_t i = 0; i < st.n; ++i) {
      const int64_t stride = i == 0 ? st.s : 1;
      const int64_t hidden = c * st.t;
      int y = x;
      if (st.t != 1) y = net.Conv(y, hidden, 1, 1, Act::kRelu6);  // expand
      y = net.Conv(y, hidden, 3, stride, Act::kRelu6, hidden);    // depthwise
      y = net.Conv(y, st.c, 1, 1, Act::kNone);                    // linear project
      x = stride == 1 && c == st.c ? net.Add(x, y) : y;           // residual
      c = st.c;
    }
  }
  x = net.Conv(x, 1280, 1, 1, Act::kRelu6);
  net.Fc(net.GlobalAvgPool(x), 1000);
  return net;
}

Network EfficientNetB0() {
  Network net("efficientnet_b0", 224, 224, 3);
  int x = net.Conv(0, 32, 3, 2, Act::kSilu);
  int64_t c = 32;
  struct Stage {
    int64_t expand, k, stride, cout, layers;
  };
  for (const Stage st :
       {Stage{1, 3, 1, 16, 1}, Stage{6, 3, 2, 24, 2}, Stage{6, 5, 2, 40, 2}, Stage{6, 3, 2, 80, 3},
        Stage{6, 5, 1, 112, 3}, Stage{6, 5, 2, 192, 4}, Stage{6, 3, 1, 320, 1}}) {
    for (int64_t i = 0; i < st.layers; ++i) {
      x = MbConv(net, x, c, st.cout, st.expand, st.k, i == 0 ? st.stride : 1);
      c = st.cout;
    }
  }
  x = net.Conv(x, 1280, 1, 1, Act::kSilu);
  net.Fc(net.GlobalAvgPool(x), 1000);
  return net;
}

Network SqueezeNet11() {
  Network net("squeezenet1_1", 224, 224, 3);
  int x = net.Conv(0, 64, 3, 2, Act::kRelu, 1, false, 0);
  const auto fire = [&](int in, int64_t squeeze, int64_t expand) {
    return Fire(net, in, squeeze, expand);
  };
  x = net.MaxPool(x, 3, 2, 0, /*ceil_mode=*/true);
  x = fire(fire(x, 16, 64), 16, 64);
  x = net.MaxPool(x, 3, 2, 0, true);
  x = fire(fire(x, 32, 128), 32, 128);
  x = net.MaxPool(x, 3, 2, 0, true);
  x = fire(fire(fire(fire(x, 48, 192), 48, 192), 64, 256), 64, 256);
  x = net.Conv(x, 1000, 1, 1, Act::kRelu, 1, false, 0);  // the classifier is a convolution
  net.GlobalAvgPool(x);
  return net;
}

Network ResNet50() {
  Network net("resnet50", 224, 224, 3);
  int x = net.Conv(0, 64, 7, 2, Act::kRelu);
  x = net.MaxPool(x, 3, 2, 1, false);
  int64_t c = 64;
  struct Stage {
    int64_t width, blocks, stride;
  };
  for (const Stage st : {Stage{64, 3, 1}, Stage{128, 4, 2}, Stage{256, 6, 2}, Stage{512, 3, 2}}) {
    for (int64_t i = 0; i < st.blocks; ++i) {
      const int64_t stride = i == 0 ? st.stride : 1;
      const int64_t out = st.width * 4;
      int y = net.Conv(x, st.width, 1, 1, Act::kRelu);
      y = net.Conv(y, st.width, 3, stride, Act::kRelu);  // v1.5: the stride is here
      y = net.Conv(y, out, 1, 1, Act::kNone);
      const int shortcut = i == 0 ? net.Conv(x, out, 1, stride, Act::kNone) : x;
      x = net.Add(y, shortcut, Act::kRelu);
      c = out;
    }
  }
  (void)c;
  net.Fc(net.GlobalAvgPool(x), 1000);
  return net;
}

Result<Network> NetworkByName(const std::string& name) {
  if (name == "mobilenet_v1") return MobileNetV1();
  if (name == "mobilenet_v2") return MobileNetV2();
  if (name == "efficientnet_b0") return EfficientNetB0();
  if (name == "squeezenet1_1") return SqueezeNet11();
  if (name == "resnet50") return ResNet50();
  return Status::NotFound("unknown network '" + name + "'");
}

}  // namespace effbench::workloads::nets
