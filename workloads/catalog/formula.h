// Arithmetic formulas of workload specs: "2*m*n*k", "floor((h + 2*pad - kh)/stride) + 1".
// Numbers, variables, + - * / with the usual precedence, unary minus,
// parentheses, and the functions floor, ceil, min, max and
// valid_taps(in, k, stride, pad): along one convolution dimension, the number
// of (output, kernel tap) pairs that read the input rather than the padding.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench {

// Evaluates `formula` with `vars`; InvalidArgument naming the problem (an
// unknown variable, a syntax error and where) otherwise.
Result<double> EvaluateFormula(std::string_view formula, const std::map<std::string, double>& vars);

}  // namespace effbench
