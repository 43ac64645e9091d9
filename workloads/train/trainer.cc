#include "workloads/train/trainer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <unordered_map>

#include "workloads/common/onednn_runner.h"

namespace effbench::workloads::train {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using nets::Act;
using nets::Node;

struct Eltwise {
  dnnl::algorithm alg;
  float alpha, beta;
};

Result<Eltwise> EltwiseFor(Act act) {
  switch (act) {
    case Act::kRelu:
      return Eltwise{dnnl::algorithm::eltwise_relu, 0.0f, 0.0f};
    case Act::kRelu6:
      return Eltwise{dnnl::algorithm::eltwise_clip, 0.0f, 6.0f};
    default:
      return Status::InvalidArgument("training supports ReLU and ReLU6 activations only");
  }
}

class OnednnTrainer final : public Trainer {
 public:
  OnednnTrainer(const nets::Network& net, nets::Weights weights, int64_t batch, int threads,
                SgdOptions sgd)
      : net_(net),
        weights_(std::move(weights)),
        batch_(batch),
        threads_(threads),
        sgd_(sgd),
        engine_(CpuEngine()),
        stream_(engine_) {}

  Status Build() {
    omp_set_num_threads(threads_);
    const auto& nodes = net_.nodes();
    const size_t count = nodes.size();
    grads_.w.resize(count);
    grads_.b.resize(count);
    velocity_.w.resize(count);
    velocity_.b.resize(count);
    consumers_.assign(count, 0);
    for (const Node& n : nodes) {
      for (const int in : n.inputs) ++consumers_[static_cast<size_t>(in)];
    }
    for (const Node& n : nodes) {
      y_.emplace_back(Desc(n), engine_);
      dy_.emplace_back(Desc(n), engine_);
      pre_.emplace_back();
      dpre_.emplace_back();
      part_.emplace_back();
    }
    for (size_t i = 1; i < count; ++i) {
      const Node& n = nodes[i];
      if (n.kind == Node::Kind::kMul || n.kind == Node::Kind::kConcat) {
        return Status::InvalidArgument("training: node " + std::to_string(i) +
                                       " is a multiplication or concatenation, which the trainer "
                                       "does not support");
      }
      if (n.kind == Node::Kind::kConv && n.batch_norm) {
        return Status::InvalidArgument("training: convolution " + std::to_string(i) +
                                       " has a folded batch norm; train with a plain bias");
      }
      if (consumers_[i] > 1) part_[i] = dnnl::memory(Desc(n), engine_);
      if (n.act != Act::kNone) {
        auto e = EltwiseFor(n.act);
        if (!e.ok()) return e.status();
        pre_[i] = dnnl::memory(Desc(n), engine_);
        dpre_[i] = dnnl::memory(Desc(n), engine_);
      }
      switch (n.kind) {
        case Node::Kind::kConv:
          AddConv(i);
          break;
        case Node::Kind::kMaxPool:
        case Node::Kind::kGlobalAvgPool:
          AddPool(i);
          break;
        case Node::Kind::kAdd:
          AddAdd(i);
          break;
        default:
          break;
      }
      if (n.act != Act::kNone) AddActivation(i);
    }
    // Backward runs the nodes' steps in reverse: every consumer of a node
    // comes after it, so its gradient is whole when its own turn comes.
    std::reverse(backward_.begin(), backward_.end());
    logits_.resize(static_cast<size_t>(batch_ * classes()));
    return Status::Ok();
  }

  const float* Forward(const float* images) override {
    omp_set_num_threads(threads_);
    y_[0].set_data_handle(const_cast<float*>(images));
    for (auto& step : forward_) step();
    stream_.wait();
    const float* out = static_cast<const float*>(y_.back().get_data_handle());
    std::copy(out, out + logits_.size(), logits_.begin());
    return logits_.data();
  }

  void Backward(const float* dlogits) override {
    omp_set_num_threads(threads_);
    std::copy(dlogits, dlogits + logits_.size(), static_cast<float*>(dy_.back().get_data_handle()));
    written_.assign(net_.nodes().size(), false);
    for (auto& step : backward_) step();
    stream_.wait();
  }

  void Update(float learning_rate) override {
    const auto& nodes = net_.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].kind != Node::Kind::kConv) continue;
      Sgd(weights_.w[i], grads_.w[i], velocity_.w[i], learning_rate, sgd_.weight_decay);
      Sgd(weights_.b[i], grads_.b[i], velocity_.b[i], learning_rate, 0.0f);
      if (!zeros_.empty()) {
        for (const size_t k : zeros_[i]) weights_.w[i][k] = 0.0f;
      }
    }
  }

  void HoldZeros(const nets::Weights& pruned) override {
    zeros_.assign(pruned.w.size(), {});
    for (size_t i = 0; i < pruned.w.size() && i < weights_.w.size(); ++i) {
      for (size_t k = 0; k < pruned.w[i].size() && k < weights_.w[i].size(); ++k) {
        if (pruned.w[i][k] == 0.0f) zeros_[i].push_back(k);
      }
    }
  }

  const nets::Weights& weights() const override { return weights_; }
  const nets::Weights& gradients() const override { return grads_; }
  int64_t batch() const override { return batch_; }
  int64_t classes() const override { return net_.nodes().back().c; }
  std::string Implementation() const override { return implementation_; }

 private:
  dnnl::memory::desc Desc(const Node& n) const {
    return dnnl::memory::desc({batch_, n.c, n.h, n.w}, dt::f32, tag::nhwc);
  }

  void Note(const dnnl::primitive_desc_base& pd) {
    const std::string impl = pd.impl_info_str();
    if (implementation_.find(impl) == std::string::npos) {
      implementation_ += (implementation_.empty() ? "" : ",") + impl;
    }
  }

  void AddForward(dnnl::primitive p, std::unordered_map<int, dnnl::memory> args) {
    forward_.push_back([this, p, args] { p.execute(stream_, args); });
  }

  // Where a backward primitive of a consumer of node `i` writes the gradient
  // of `i`'s output: into dy[i] when it is the first to, otherwise into a
  // scratch buffer that is then added to dy[i]. Pushed in reverse (see Build):
  // `write` is called with the memory to write.
  void BackwardInto(size_t i, std::function<void(const dnnl::memory&)> write) {
    // Pushed before the primitive's own step, so runs after it once reversed.
    backward_.push_back([this, i] {
      if (!written_[i]) {
        written_[i] = true;
        return;
      }
      stream_.wait();
      float* into = static_cast<float*>(dy_[i].get_data_handle());
      const float* from = static_cast<const float*>(part_[i].get_data_handle());
      const int64_t size = static_cast<int64_t>(dy_[i].get_desc().get_size() / sizeof(float));
#pragma omp parallel for
      for (int64_t k = 0; k < size; ++k) into[k] += from[k];
    });
    backward_.push_back([this, i, write] { write(written_[i] ? part_[i] : dy_[i]); });
  }

  // The memory the node's own operation writes forward, and the gradient its
  // backward reads: the pre-activation ones when the node has an activation.
  const dnnl::memory& Out(size_t i) const { return pre_[i] ? pre_[i] : y_[i]; }
  const dnnl::memory& DiffOut(size_t i) const { return dpre_[i] ? dpre_[i] : dy_[i]; }

  void AddActivation(size_t i) {
    const Eltwise e = *EltwiseFor(net_.nodes()[i].act);
    const auto md = Desc(net_.nodes()[i]);
    const dnnl::eltwise_forward::primitive_desc fwd(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, e.alg, md, e.alpha, e.beta),
        engine_);
    Note(fwd);
    AddForward(dnnl::eltwise_forward(fwd), {{DNNL_ARG_SRC, pre_[i]}, {DNNL_ARG_DST, y_[i]}});
    const dnnl::eltwise_backward::primitive_desc bwd(
        dnnl::eltwise_backward::desc(e.alg, md, md, e.alpha, e.beta), engine_, fwd);
    // Backward steps are reversed at the end: the activation's gradient is
    // pushed last, so it runs before the node's own backward.
    backward_.push_back([this, i, p = dnnl::eltwise_backward(bwd)] {
      p.execute(
          stream_,
          {{DNNL_ARG_SRC, pre_[i]}, {DNNL_ARG_DIFF_DST, dy_[i]}, {DNNL_ARG_DIFF_SRC, dpre_[i]}});
    });
  }

  void AddConv(size_t i) {
    const Node& n = net_.nodes()[i];
    const size_t in = static_cast<size_t>(n.inputs[0]);
    const Node& x = net_.nodes()[in];
    const auto [plain, any] = ConvWeightDescs(n.groups, n.cout, x.c, n.k, n.k, dt::f32);
    const dnnl::memory::desc bias_md({n.cout}, dt::f32, tag::x);
    const dnnl::memory::dims strides = {n.stride, n.stride}, pad = {n.pad, n.pad};
    const auto src_md = Desc(x), dst_md = Desc(n);
    const dnnl::convolution_forward::primitive_desc fwd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::convolution_direct, src_md, any, bias_md,
                                        dst_md, strides, pad, pad),
        engine_);
    Note(fwd);
    grads_.w[i].assign(weights_.w[i].size(), 0.0f);
    grads_.b[i].assign(weights_.b[i].size(), 0.0f);
    velocity_.w[i].assign(weights_.w[i].size(), 0.0f);
    velocity_.b[i].assign(weights_.b[i].size(), 0.0f);
    dnnl::memory w_plain(plain, engine_, weights_.w[i].data());
    dnnl::memory bias(bias_md, engine_, weights_.b[i].data());
    dnnl::memory dw_plain(plain, engine_, grads_.w[i].data());
    dnnl::memory dbias(bias_md, engine_, grads_.b[i].data());
    const dnnl::memory w_fwd = Packed(w_plain, fwd.weights_desc(), forward_);
    AddForward(dnnl::convolution_forward(fwd), {{DNNL_ARG_SRC, y_[in]},
                                                {DNNL_ARG_WEIGHTS, w_fwd},
                                                {DNNL_ARG_BIAS, bias},
                                                {DNNL_ARG_DST, Out(i)}});

    // Backward, in reverse order of what is pushed here (see Build).
    const dnnl::convolution_backward_weights::primitive_desc bww(
        dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src_md, any,
                                                 bias_md, dst_md, strides, pad, pad),
        engine_, fwd);
    Note(bww);
    if (in != 0) {
      const dnnl::convolution_backward_data::primitive_desc bwd(
          dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, src_md, any,
                                                dst_md, strides, pad, pad),
          engine_, fwd);
      Note(bwd);
      std::vector<std::function<void()>> pack;
      const dnnl::memory w_bwd = Packed(w_plain, bwd.weights_desc(), pack);
      BackwardInto(
          in, [this, i, w_bwd, p = dnnl::convolution_backward_data(bwd)](const dnnl::memory& into) {
            p.execute(stream_, {{DNNL_ARG_DIFF_DST, DiffOut(i)},
                                {DNNL_ARG_WEIGHTS, w_bwd},
                                {DNNL_ARG_DIFF_SRC, into}});
          });
      for (auto it = pack.rbegin(); it != pack.rend(); ++it) backward_.push_back(*it);
    }
    dnnl::memory dw = dw_plain;
    if (bww.diff_weights_desc() != plain) {
      dw = dnnl::memory(bww.diff_weights_desc(), engine_);
      const dnnl::reorder to_plain(dw, dw_plain);
      backward_.push_back([this, to_plain, dw, dw_plain] {
        to_plain.execute(stream_, {{DNNL_ARG_FROM, dw}, {DNNL_ARG_TO, dw_plain}});
      });
    }
    backward_.push_back([this, i, in, dw, dbias, p = dnnl::convolution_backward_weights(bww)] {
      p.execute(stream_, {{DNNL_ARG_SRC, y_[in]},
                          {DNNL_ARG_DIFF_DST, DiffOut(i)},
                          {DNNL_ARG_DIFF_WEIGHTS, dw},
                          {DNNL_ARG_DIFF_BIAS, dbias}});
    });
  }

  // `plain` in the layout `want`: itself when they agree, else a buffer that
  // a reorder (appended to `steps`) fills from it.
  dnnl::memory Packed(const dnnl::memory& plain, const dnnl::memory::desc& want,
                      std::vector<std::function<void()>>& steps) {
    if (want == plain.get_desc()) return plain;
    dnnl::memory packed(want, engine_);
    const dnnl::reorder r(plain, packed);
    steps.push_back([this, r, plain, packed] {
      r.execute(stream_, {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, packed}});
    });
    return packed;
  }

  void AddPool(size_t i) {
    const Node& n = net_.nodes()[i];
    const size_t in = static_cast<size_t>(n.inputs[0]);
    const Node& x = net_.nodes()[in];
    const bool max = n.kind == Node::Kind::kMaxPool;
    const auto alg =
        max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    const dnnl::memory::dims strides =
        max ? dnnl::memory::dims{n.pool_stride, n.pool_stride} : dnnl::memory::dims{1, 1};
    const dnnl::memory::dims kernel =
        max ? dnnl::memory::dims{n.pool_k, n.pool_k} : dnnl::memory::dims{x.h, x.w};
    const dnnl::memory::dims pad_l =
        max ? dnnl::memory::dims{n.pool_pad_l, n.pool_pad_l} : dnnl::memory::dims{0, 0};
    const dnnl::memory::dims pad_r =
        max ? dnnl::memory::dims{n.pool_pad_b, n.pool_pad_r} : dnnl::memory::dims{0, 0};
    const auto src_md = Desc(x), dst_md = Desc(n);
    const dnnl::pooling_forward::primitive_desc fwd(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training, alg, src_md, dst_md, strides,
                                    kernel, pad_l, pad_r),
        engine_);
    Note(fwd);
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, y_[in]}, {DNNL_ARG_DST, Out(i)}};
    dnnl::memory workspace;
    if (max) {
      workspace = dnnl::memory(fwd.workspace_desc(), engine_);
      args[DNNL_ARG_WORKSPACE] = workspace;
    }
    AddForward(dnnl::pooling_forward(fwd), args);
    if (in == 0) return;
    const dnnl::pooling_backward::primitive_desc bwd(
        dnnl::pooling_backward::desc(alg, src_md, dst_md, strides, kernel, pad_l, pad_r), engine_,
        fwd);
    Note(bwd);
    BackwardInto(
        in, [this, i, max, workspace, p = dnnl::pooling_backward(bwd)](const dnnl::memory& into) {
          std::unordered_map<int, dnnl::memory> a = {{DNNL_ARG_DIFF_DST, DiffOut(i)},
                                                     {DNNL_ARG_DIFF_SRC, into}};
          if (max) a[DNNL_ARG_WORKSPACE] = workspace;
          p.execute(stream_, a);
        });
  }

  void AddAdd(size_t i) {
    const Node& n = net_.nodes()[i];
    const size_t a = static_cast<size_t>(n.inputs[0]), b = static_cast<size_t>(n.inputs[1]);
    const auto md = Desc(n);
    const dnnl::binary::primitive_desc pd(
        dnnl::binary::desc(dnnl::algorithm::binary_add, md, md, md), engine_);
    Note(pd);
    AddForward(dnnl::binary(pd),
               {{DNNL_ARG_SRC_0, y_[a]}, {DNNL_ARG_SRC_1, y_[b]}, {DNNL_ARG_DST, Out(i)}});
    // The sum's gradient goes unchanged to both of its inputs.
    for (const size_t in : {a, b}) {
      if (in == 0) continue;
      BackwardInto(in, [this, i](const dnnl::memory& into) {
        stream_.wait();
        const float* from = static_cast<const float*>(DiffOut(i).get_data_handle());
        std::memcpy(into.get_data_handle(), from, into.get_desc().get_size());
      });
    }
  }

  void Sgd(std::vector<float>& w, const std::vector<float>& g, std::vector<float>& v, float lr,
           float decay) {
    const float mu = sgd_.momentum;
    const int64_t size = static_cast<int64_t>(w.size());
#pragma omp parallel for if (size > 4096)
    for (int64_t k = 0; k < size; ++k) {
      const float grad = g[static_cast<size_t>(k)] + decay * w[static_cast<size_t>(k)];
      float& vel = v[static_cast<size_t>(k)];
      vel = mu * vel + grad;
      w[static_cast<size_t>(k)] -= lr * (grad + mu * vel);  // Nesterov
    }
  }

  const nets::Network& net_;
  nets::Weights weights_, grads_, velocity_;
  std::vector<std::vector<size_t>> zeros_;  // per node: weights HoldZeros keeps at zero
  int64_t batch_;
  int threads_;
  SgdOptions sgd_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<dnnl::memory> y_, dy_, pre_, dpre_, part_;
  std::vector<int> consumers_;
  std::vector<bool> written_;
  std::vector<std::function<void()>> forward_, backward_;  // backward_: reversed by Build
  std::vector<float> logits_;
  std::string implementation_;
};

}  // namespace

nets::Weights InitialWeights(const nets::Network& net, uint64_t seed) {
  nets::Weights out;
  const auto& nodes = net.nodes();
  out.w.resize(nodes.size());
  out.b.resize(nodes.size());
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (n.kind != Node::Kind::kConv) continue;
    const int64_t cin = nodes[static_cast<size_t>(n.inputs[0])].c;
    const int64_t fan_in = n.k * n.k * (cin / n.groups);
    const float bound = std::sqrt(6.0f / static_cast<float>(fan_in));
    std::uniform_real_distribution<float> u(-bound, bound);
    out.w[i].resize(static_cast<size_t>(n.k * n.k * (cin / n.groups) * n.cout));
    for (float& w : out.w[i]) w = u(rng);
    out.b[i].assign(static_cast<size_t>(n.cout), 0.0f);
  }
  return out;
}

double CrossEntropy(const float* logits, const uint8_t* labels, int64_t batch, int64_t classes,
                    float* dlogits) {
  double loss = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float* z = logits + n * classes;
    float* d = dlogits + n * classes;
    const float top = *std::max_element(z, z + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - top);
    for (int64_t c = 0; c < classes; ++c) {
      const double p = std::exp(double(z[c]) - top) / sum;
      d[c] = static_cast<float>((p - (c == labels[n] ? 1.0 : 0.0)) / double(batch));
    }
    loss -= double(z[labels[n]]) - top - std::log(sum);
  }
  return loss / double(batch);
}

double DistillationLoss(const float* student, const float* teacher, const uint8_t* labels,
                        int64_t batch, int64_t classes, float temperature, float alpha,
                        float* dlogits) {
  std::vector<float> ce_grad(static_cast<size_t>(batch * classes));
  const double ce = CrossEntropy(student, labels, batch, classes, ce_grad.data());
  const double t = temperature;
  double kd = 0;
  std::vector<double> p(static_cast<size_t>(classes)), q(static_cast<size_t>(classes));
  const auto softmax = [&](const float* z, std::vector<double>& out) {
    const float top = *std::max_element(z, z + classes);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += out[size_t(c)] = std::exp((z[c] - top) / t);
    for (double& v : out) v /= sum;
  };
  for (int64_t n = 0; n < batch; ++n) {
    softmax(teacher + n * classes, p);
    softmax(student + n * classes, q);
    for (int64_t c = 0; c < classes; ++c) {
      const size_t k = size_t(c);
      if (p[k] > 0) kd += t * p[k] * (std::log(p[k]) - std::log(std::max(q[k], 1e-300)));
      // d/dz of T·KL = q − p; mean over the batch.
      dlogits[n * classes + c] = static_cast<float>(alpha * (q[k] - p[k]) / double(batch) +
                                                    (1 - alpha) * ce_grad[size_t(n * classes + c)]);
    }
  }
  return alpha * kd / double(batch) + (1 - alpha) * ce;
}

double Trainer::Step(const float* images, const uint8_t* labels, float learning_rate) {
  const float* logits = Forward(images);
  std::vector<float> dlogits(static_cast<size_t>(batch() * classes()));
  const double loss = CrossEntropy(logits, labels, batch(), classes(), dlogits.data());
  Backward(dlogits.data());
  Update(learning_rate);
  return loss;
}

Result<std::unique_ptr<Trainer>> Trainer::Create(const nets::Network& net, nets::Weights weights,
                                                 int64_t batch, int threads, SgdOptions sgd) {
  try {
    auto trainer = std::make_unique<OnednnTrainer>(net, std::move(weights), batch, threads, sgd);
    EFFBENCH_RETURN_IF_ERROR(trainer->Build());
    return std::unique_ptr<Trainer>(std::move(trainer));
  } catch (const dnnl::error& e) {
    return Status::FailedPrecondition("oneDNN cannot train " + net.name() + ": " + e.what());
  }
}

}  // namespace effbench::workloads::train
