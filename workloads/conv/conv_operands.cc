// Operand generation and verification of the convolution workloads.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "workloads/common/random.h"
#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {

Status Validate(const Shape& s) {
  const auto bad = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.cin < 1 || s.cout < 1) {
    return bad("n, h, w, cin and cout must be positive");
  }
  if (s.kh < 1 || s.kw < 1 || s.stride < 1 || s.pad < 0) return bad("bad kernel, stride or pad");
  if (s.groups < 1 || s.cin % s.groups || s.cout % s.groups) {
    return bad("groups " + std::to_string(s.groups) + " must divide cin " + std::to_string(s.cin) +
               " and cout " + std::to_string(s.cout));
  }
  if (s.oh() < 1 || s.ow() < 1) return bad("the kernel is larger than the padded input");
  return Status::Ok();
}

void FillOperands(const Shape& s, Precision precision, uint64_t seed, Operands& ops) {
  ops = Operands{};
  ops.shape = s;
  ops.precision = precision;
  ops.input.real.resize(static_cast<size_t>(s.n * s.h * s.w * s.cin));
  ops.weights.real.resize(static_cast<size_t>(s.kh * s.kw * s.cin_g() * s.cout));
  FillUniform(ops.input.real, -0.25f, 1.0f, seed);
  FillUniform(ops.weights.real, -1.0f, 1.0f, seed ^ 0x9e3779b97f4a7c15ull);
  DeriveForms(precision, ops.input);
  DeriveForms(precision, ops.weights);
  const size_t out = static_cast<size_t>(s.n * s.oh() * s.ow() * s.cout);
  if (precision == Precision::kInt8) {
    ops.out_s32.assign(out, INT32_MIN);
  } else {
    ops.out_f32.assign(out, std::nanf(""));
  }
}

namespace {

struct Pixel {
  int64_t n, y, x;
};

// All output pixels when the float64 convolution is cheap, otherwise the
// corners (where padding matters) and a random sample.
std::vector<Pixel> PixelsToCheck(const Shape& s, uint64_t seed) {
  constexpr double kFullCheckMacs = 1 << 26;
  constexpr size_t kSampled = 64;
  std::vector<Pixel> pixels;
  const int64_t oh = s.oh(), ow = s.ow();
  if (s.Macs() <= kFullCheckMacs || s.n * oh * ow <= static_cast<int64_t>(kSampled)) {
    for (int64_t n = 0; n < s.n; ++n) {
      for (int64_t y = 0; y < oh; ++y) {
        for (int64_t x = 0; x < ow; ++x) pixels.push_back({n, y, x});
      }
    }
    return pixels;
  }
  pixels = {{0, 0, 0}, {0, 0, ow - 1}, {0, oh - 1, 0}, {s.n - 1, oh - 1, ow - 1}};
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> pn(0, s.n - 1), py(0, oh - 1), px(0, ow - 1);
  while (pixels.size() < kSampled) pixels.push_back({pn(gen), py(gen), px(gen)});
  return pixels;
}

}  // namespace

Result<Fidelity> Verify(const Operands& ops, uint64_t seed) {
  const Shape& s = ops.shape;
  const int64_t cin_g = s.cin_g(), cout_g = s.cout_g();
  ErrorAccumulator kernel_err, fidelity_err;
  std::vector<double> real(static_cast<size_t>(s.cout)), exact(static_cast<size_t>(s.cout));
  std::vector<int64_t> exact_int(static_cast<size_t>(s.cout));
  const double dequant = static_cast<double>(ops.input.q.scale) * ops.weights.q.scale;

  for (const Pixel& px : PixelsToCheck(s, seed)) {
    std::fill(real.begin(), real.end(), 0.0);
    std::fill(exact.begin(), exact.end(), 0.0);
    std::fill(exact_int.begin(), exact_int.end(), 0);
    for (int64_t ky = 0; ky < s.kh; ++ky) {
      const int64_t iy = px.y * s.stride - s.pad + ky;
      if (iy < 0 || iy >= s.h) continue;
      for (int64_t kx = 0; kx < s.kw; ++kx) {
        const int64_t ix = px.x * s.stride - s.pad + kx;
        if (ix < 0 || ix >= s.w) continue;
        const size_t in_base = static_cast<size_t>(((px.n * s.h + iy) * s.w + ix) * s.cin);
        for (int64_t g = 0; g < s.groups; ++g) {
          for (int64_t ci = 0; ci < cin_g; ++ci) {
            const size_t in_i = in_base + static_cast<size_t>(g * cin_g + ci);
            const size_t w_base =
                static_cast<size_t>((((ky * s.kw + kx) * cin_g + ci) * s.groups + g) * cout_g);
            for (int64_t co = 0; co < cout_g; ++co) {
              const size_t oc = static_cast<size_t>(g * cout_g + co);
              const size_t wi = w_base + static_cast<size_t>(co);
              real[oc] += static_cast<double>(ops.input.real[in_i]) * ops.weights.real[wi];
              if (ops.precision == Precision::kBf16) {
                exact[oc] += static_cast<double>(Bf16ToFloat(ops.input.bf16[in_i])) *
                             Bf16ToFloat(ops.weights.bf16[wi]);
              } else if (ops.precision == Precision::kInt8) {
                exact_int[oc] +=
                    (static_cast<int64_t>(ops.input.u8[in_i]) - ops.input.q.zero_point) *
                    ops.weights.s8[wi];
              }
            }
          }
        }
      }
    }
    const size_t out_base = static_cast<size_t>(((px.n * s.oh() + px.y) * s.ow() + px.x) * s.cout);
    for (int64_t oc = 0; oc < s.cout; ++oc) {
      const size_t oi = out_base + static_cast<size_t>(oc);
      const std::string where = "output[n=" + std::to_string(px.n) + ",y=" + std::to_string(px.y) +
                                ",x=" + std::to_string(px.x) + ",c=" + std::to_string(oc) + "]";
      double out = 0;
      if (ops.precision == Precision::kInt8) {
        if (ops.out_s32[oi] != exact_int[oc]) {
          return Status::Internal("int8 " + where + " = " + std::to_string(ops.out_s32[oi]) +
                                  ", exact integer result is " + std::to_string(exact_int[oc]));
        }
        out = dequant * ops.out_s32[oi];
      } else {
        out = ops.out_f32[oi];
        if (!std::isfinite(out)) return Status::Internal(where + " is not finite (not written?)");
        kernel_err.Add(out, ops.precision == Precision::kBf16 ? exact[oc] : real[oc]);
      }
      fidelity_err.Add(out, real[oc]);
    }
  }
  constexpr double kAccumulationTolerance = 1e-5;
  if (kernel_err.RelL2() > kAccumulationTolerance) {
    return Status::Internal(
        "output differs from the float64 convolution of its own inputs: "
        "rel_l2 " +
        std::to_string(kernel_err.RelL2()));
  }
  return Fidelity{fidelity_err.RelL2(), fidelity_err.max_abs, Tolerance(ops.precision)};
}

}  // namespace effbench::workloads::conv
