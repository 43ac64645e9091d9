#include "workloads/catalog/formula.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <vector>

namespace effbench {
namespace {

// Along one dimension of a convolution with input size `in`, kernel `k`,
// `stride` and zero padding `pad` on both sides: the number of (output, tap)
// pairs that read the input rather than the padding.
double ValidTaps(double in, double k, double stride, double pad) {
  if (stride < 1 || k < 1) return 0;
  const int64_t out = static_cast<int64_t>(std::floor((in + 2 * pad - k) / stride)) + 1;
  int64_t taps = 0;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t first = o * static_cast<int64_t>(stride) - static_cast<int64_t>(pad);
    const int64_t lo = std::max<int64_t>(first, 0);
    const int64_t hi = std::min<int64_t>(first + static_cast<int64_t>(k), static_cast<int64_t>(in));
    taps += std::max<int64_t>(hi - lo, 0);
  }
  return static_cast<double>(taps);
}

// A recursive-descent parser that evaluates as it parses.
class Parser {
 public:
  Parser(std::string_view text, const std::map<std::string, double>& vars)
      : text_(text), vars_(vars) {}

  Result<double> Parse() {
    const double v = Expression();
    SkipSpace();
    if (error_.empty() && pos_ != text_.size())
      Fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    if (!error_.empty()) {
      return Status::InvalidArgument("formula '" + std::string(text_) + "': " + error_);
    }
    return v;
  }

 private:
  void Fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at position " + std::to_string(pos_);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Accept(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  double Expression() {
    double v = Term();
    for (;;) {
      if (Accept('+')) {
        v += Term();
      } else if (Accept('-')) {
        v -= Term();
      } else {
        return v;
      }
    }
  }

  double Term() {
    double v = Factor();
    for (;;) {
      if (Accept('*')) {
        v *= Factor();
      } else if (Accept('/')) {
        const double d = Factor();
        if (d == 0) Fail("division by zero");
        v = d == 0 ? 0 : v / d;
      } else {
        return v;
      }
    }
  }

  double Factor() {
    SkipSpace();
    if (!error_.empty()) return 0;
    if (Accept('-')) return -Factor();
    if (Accept('(')) {
      const double v = Expression();
      if (!Accept(')')) Fail("missing ')'");
      return v;
    }
    if (pos_ >= text_.size()) {
      Fail("unexpected end");
      return 0;
    }
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t used = 0;
      const double v = std::stod(std::string(text_.substr(pos_)), &used);
      pos_ += used;
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        ++pos_;
      }
      const std::string name(text_.substr(start, pos_ - start));
      if (Accept('(')) return Call(name);
      auto it = vars_.find(name);
      if (it == vars_.end()) {
        Fail("unknown variable '" + name + "'");
        return 0;
      }
      return it->second;
    }
    Fail("unexpected '" + std::string(1, c) + "'");
    return 0;
  }

  double Call(const std::string& name) {
    std::vector<double> args;
    if (!Accept(')')) {
      do {
        args.push_back(Expression());
      } while (Accept(','));
      if (!Accept(')')) Fail("missing ')' after the arguments of " + name);
    }
    const auto arity = [&](size_t n) {
      if (args.size() != n) Fail(name + " takes " + std::to_string(n) + " argument(s)");
      return args.size() == n;
    };
    if (name == "valid_taps" && arity(4)) return ValidTaps(args[0], args[1], args[2], args[3]);
    if (name == "floor" && arity(1)) return std::floor(args[0]);
    if (name == "ceil" && arity(1)) return std::ceil(args[0]);
    if (name == "min" && arity(2)) return std::min(args[0], args[1]);
    if (name == "max" && arity(2)) return std::max(args[0], args[1]);
    if (name != "floor" && name != "ceil" && name != "min" && name != "max" &&
        name != "valid_taps") {
      Fail("unknown function '" + name + "'");
    }
    return 0;
  }

  std::string_view text_;
  const std::map<std::string, double>& vars_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

Result<double> EvaluateFormula(std::string_view formula,
                               const std::map<std::string, double>& vars) {
  return Parser(formula, vars).Parse();
}

}  // namespace effbench
