#include "workloads/spec_loader.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "workloads/catalog.h"
#include "workloads/catalog/formula.h"

namespace effbench::workloads {
namespace {

// A family that prepares nothing: enough to expand specs.
std::vector<Family> FakeFamilies() {
  Family f;
  f.name = "conv.fake";
  f.precisions = {"fp32", "int8"};
  f.backends = {"ref", "onednn"};
  f.threaded_backends = {"onednn"};
  f.required_params = {"h", "oh"};
  f.prepare = [](const Params&, const Variant&,
                 const RunConfig&) -> Result<std::unique_ptr<PreparedWorkload>> {
    return Status::Internal("not runnable");
  };
  return {f};
}

constexpr char kSpec[] = R"([{
  "family": "conv.fake",
  "description": "a test family",
  "id": "conv.fake.{precision}/h{h}c{c}s{stride}@{backend}",
  "params": {"h": "height", "c": "channels", "stride": "stride"},
  "defaults": {"stride": 1},
  "derived": [["pad", "1"], ["oh", "floor((h + 2*pad - 3)/stride) + 1"]],
  "shapes": [{"h": 56, "c": 64}, {"h": 56, "c": 64, "stride": 2}],
  "precisions": ["fp32", "int8"],
  "backends": ["ref", "onednn"],
  "flop": "2*oh*oh*c*9",
  "bytes": "in_bytes*h*h*c + out_bytes*oh*oh*c",
  "weight_bytes": "in_bytes*9*c"
}])";

TEST_CASE("formulas evaluate with precedence, functions and variables", "[specs]") {
  const std::map<std::string, double> vars = {{"h", 56}, {"stride", 2}, {"pad", 1}};
  CHECK(*EvaluateFormula("2*3+4", {}) == 10);
  CHECK(*EvaluateFormula("2*(3+4)", {}) == 14);
  CHECK(*EvaluateFormula("-2 + 10/4", {}) == 0.5);
  CHECK(*EvaluateFormula("floor((h + 2*pad - 3)/stride) + 1", vars) == 28);
  CHECK(*EvaluateFormula("max(ceil(h/5), min(2, 3))", vars) == 12);
  // 7 outputs of a 3-tap 'same' convolution: the two edge outputs lose a tap.
  CHECK(*EvaluateFormula("valid_taps(7, 3, 1, 1)", {}) == 19);
  CHECK(*EvaluateFormula("valid_taps(56, 1, 1, 0)", {}) == 56);
  CHECK(*EvaluateFormula("valid_taps(224, 7, 2, 3)", {}) == 112 * 7 - 6);
  auto unknown = EvaluateFormula("2*m*n", {{"m", 1}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("unknown variable 'n'") != std::string::npos);
  CHECK_FALSE(EvaluateFormula("2*(3+4", {}).ok());
  CHECK_FALSE(EvaluateFormula("2 +* 3", {}).ok());
  CHECK_FALSE(EvaluateFormula("1/0", {}).ok());
  CHECK_FALSE(EvaluateFormula("sqrt(4)", {}).ok());
}

TEST_CASE("a spec expands to shape x precision x backend with its work", "[specs]") {
  auto specs = ExpandSpecFile("fake.json", kSpec, FakeFamilies());
  INFO((specs.ok() ? "" : specs.status().message()));
  REQUIRE(specs.ok());
  REQUIRE(specs->size() == 8);
  const WorkloadSpec& first = specs->front();
  CHECK(first.id == "conv.fake.fp32/h56c64s1@ref");
  CHECK(first.flop == 2.0 * 56 * 56 * 64 * 9);
  CHECK(first.bytes == 4.0 * 56 * 56 * 64 + 4.0 * 56 * 56 * 64);
  CHECK(first.weight_bytes == 4.0 * 9 * 64);
  CHECK_FALSE(first.uses_threads);
  const WorkloadSpec& strided = specs->back();
  CHECK(strided.id == "conv.fake.int8/h56c64s2@onednn");
  CHECK(strided.flop == 2.0 * 28 * 28 * 64 * 9);
  CHECK(strided.bytes == 1.0 * 56 * 56 * 64 + 4.0 * 28 * 28 * 64);
  CHECK(strided.weight_bytes == 1.0 * 9 * 64);  // int8: a byte a weight
  CHECK(strided.uses_threads);
}

TEST_CASE("malformed specs are rejected with what is wrong", "[specs]") {
  const auto expect_error = [](const std::string& text, const std::string& what) {
    auto specs = ExpandSpecFile("bad.json", text, FakeFamilies());
    REQUIRE_FALSE(specs.ok());
    INFO(specs.status().message());
    CHECK(specs.status().message().find("bad.json") != std::string::npos);
    CHECK(specs.status().message().find(what) != std::string::npos);
  };
  std::string spec = kSpec;
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string s = spec;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  expect_error("[{]", "not valid JSON");
  expect_error(with("\"flop\": \"2*oh*oh*c*9\",", ""), "/0/flop");
  expect_error(with("\"precisions\": [\"fp32\", \"int8\"]", "\"precisions\": [\"fp8\"]"),
               "/0/precisions/0");
  expect_error(with("conv.fake\",\n  \"desc", "conv.nothing\",\n  \"desc"),
               "no C++ family implements 'conv.nothing'");
  expect_error(with("\"precisions\": [\"fp32\", \"int8\"]", "\"precisions\": [\"bf16\"]"),
               "precision bf16 is not implemented");
  expect_error(with("{\"h\": 56, \"c\": 64}", "{\"h\": 56, \"c\": 64, \"w\": 3}"),
               "unknown param 'w'");
  expect_error(with("{\"h\": 56, \"c\": 64}", "{\"h\": 56}"), "param 'c' missing");
  expect_error(with("\"2*oh*oh*c*9\"", "\"2*oh*ow\""), "unknown variable 'ow'");
  expect_error(with("[\"pad\", \"1\"]", "[\"pad\", \"0.5\"]"), "not an integer");
  expect_error(with("\"in_bytes*9*c\"", "\"in_bytes*9*q\""), "weight_bytes");
}

TEST_CASE("suites choose workloads by glob, minus exclusions", "[specs]") {
  auto specs = ExpandSpecFile("fake.json", kSpec, FakeFamilies());
  REQUIRE(specs.ok());
  auto suite = catalog::ParseSuiteFile("s.json", R"({"name": "int8-only", "description": "d",
      "include": ["*.int8/*"], "exclude": ["*@ref"]})");
  REQUIRE(suite.ok());
  std::vector<std::string> members;
  for (const WorkloadSpec& w : *specs) {
    if (suite->Has(w.id)) members.push_back(w.id);
  }
  REQUIRE(members.size() == 2);
  for (const auto& id : members) CHECK(id.find(".int8/") != std::string::npos);
  auto bad = catalog::ParseSuiteFile("s.json",
                                     R"({"name": "Bad Name", "description": "d", "include": []})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("/include") != std::string::npos);
}

TEST_CASE("the specs compiled into this build load", "[specs]") {
  INFO(CatalogStatus().message());
  REQUIRE(CatalogStatus().ok());
  CHECK(Catalog().size() >= 30);
  REQUIRE_FALSE(catalog::Suites().empty());
  CHECK(catalog::Suites().front().name == "quick");
  for (const auto& suite : catalog::Suites()) {
    INFO(suite.name);
    CHECK_FALSE(Select(suite.name, std::nullopt)->empty());
  }
  // The kernels bind every entry of the spec catalog, in its order.
  REQUIRE(Catalog().size() == catalog::Entries().size());
  for (size_t i = 0; i < Catalog().size(); ++i) CHECK(Catalog()[i].id == catalog::Entries()[i].id);
}

// Every workload with weights says how many bytes they take, at its
// precision: an int8 variant's weights are a quarter of its fp32 twin's
// (bf16 half), and a network's are its parameters at that size.
TEST_CASE("the catalog's workloads state their weights' bytes", "[specs]") {
  REQUIRE(CatalogStatus().ok());
  std::map<std::string, double> fp32_weights;  // by id with the precision removed
  const auto twin = [](const WorkloadSpec& w) {
    std::string id = w.id;
    id.replace(id.find('.' + w.variant.precision), w.variant.precision.size() + 1, ".P");
    return id;
  };
  size_t with_weights = 0, checked = 0;
  for (const WorkloadSpec& w : Catalog()) {
    INFO(w.id);
    if (w.family.starts_with("quant.")) {
      CHECK(w.weight_bytes == 0);  // a quantize or dequantize op has no weights
      continue;
    }
    CHECK(w.weight_bytes > 0);
    ++with_weights;
    for (const auto& [fact, value] : w.facts) {
      if (fact == "parameters" && w.family != "kd") {
        const double size = w.variant.precision == "int8"   ? 1
                            : w.variant.precision == "fp32" ? 4
                                                            : 2;
        CHECK(w.weight_bytes == size * value);
      }
    }
    if (w.variant.sparsity == "dense" && w.variant.quantization.empty() &&
        w.variant.precision == "fp32") {
      fp32_weights[twin(w)] = w.weight_bytes;
    }
  }
  for (const WorkloadSpec& w : Catalog()) {
    if (w.variant.precision == "fp32" || w.variant.sparsity != "dense") continue;
    const auto base = fp32_weights.find(twin(w));
    if (base == fp32_weights.end()) continue;
    INFO(w.id);
    CHECK(w.weight_bytes == base->second / (w.variant.precision == "int8" ? 4 : 2));
    ++checked;
  }
  CHECK(with_weights >= 30);
  CHECK(checked >= 10);
}

}  // namespace
}  // namespace effbench::workloads
