#include "reports/comparison_table.h"

#include <catch2/catch.hpp>

namespace effbench::reports {
namespace {

ComparisonRow Row(const std::string& name, double ratio, const std::string& verdict) {
  ComparisonRow r;
  r.machine = "1b1a009e";
  r.host = "epyc";
  r.name = name;
  r.baseline_n = r.candidate_n = 10;
  r.baseline_median = 1000;
  r.candidate_median = 1000 * ratio;
  r.ratio = ratio;
  r.ratio_low = ratio - 0.01;
  r.ratio_high = ratio + 0.01;
  r.pvalue = r.qvalue = verdict == "unchanged" ? 0.5 : 0.001;
  r.verdict = verdict;
  return r;
}

TEST_CASE("compare's Markdown is a pull-request comment: the changes first, the table folded",
          "[reports]") {
  Comparison c;
  c.baseline = "c0ffee01";
  c.candidate = "deadbeef";
  c.rows.push_back(Row("gemm.int8/m1024n1024k1024@onednn", 1.12, "regression"));
  c.rows.push_back(Row("conv.dw.fp32/n1h112w112c32k3s1@onednn", 0.80, "improvement"));
  for (int i = 0; i < 25; ++i) c.rows.push_back(Row("w" + std::to_string(i), 1.001, "unchanged"));
  const std::string md = RenderComparison(c, Format::kMarkdown);
  CHECK(md.rfind("### effbench: 1 slower, 1 faster, of 27 series (`c0ffee01` → `deadbeef`)", 0) ==
        0);
  const size_t slower = md.find("**Slower**");
  const size_t faster = md.find("**Faster**");
  const size_t table = md.find("<details><summary>All 27 series</summary>");
  REQUIRE(slower != std::string::npos);
  REQUIRE(faster != std::string::npos);
  REQUIRE(table != std::string::npos);
  CHECK(slower < faster);
  CHECK(faster < table);
  CHECK_THAT(md, Catch::Contains("- `gemm.int8/m1024n1024k1024@onednn` on epyc: +12.0% (95 % CI "
                                 "+11.0% .. +13.0%, q 0.001)"));
  CHECK_THAT(md, Catch::Contains("</details>"));

  Comparison quiet;
  quiet.baseline = "a";
  quiet.candidate = "b";
  quiet.rows.push_back(Row("w", 1.001, "unchanged"));
  const std::string calm = RenderComparison(quiet, Format::kMarkdown);
  CHECK_THAT(calm, Catch::Contains("No series changed by 2.0 % or more"));
  CHECK(calm.find("<details>") == std::string::npos);
}

// A rate that fell is worse, not slower: the words follow the measure.
TEST_CASE("compare's words follow the measure: slower for times, worse for a rate", "[reports]") {
  Comparison c;
  c.baseline = "a.json";
  c.candidate = "b.json";
  ComparisonRow rate = Row("gbench/BM_Sort/256@native", 0.8, "regression");
  rate.metric = "items_per_second";
  rate.unit = "items/s";
  rate.better = "higher";
  c.rows.push_back(rate);
  CHECK(VerdictWord(c.rows[0]) == "worse");
  const std::string md = RenderComparison(c, Format::kMarkdown);
  CHECK(md.rfind("### effbench: 1 worse, 0 better", 0) == 0);
  CHECK_THAT(md, Catch::Contains("**Worse**"));
  CHECK_THAT(md, Catch::Contains("`BM_Sort/256 [items_per_second]`"));  // the name as written
  c.rows[0] = Row("gemm.fp32/m1n1k1@ref", 1.2, "regression");
  CHECK(VerdictWord(c.rows[0]) == "slower");
  CHECK_THAT(RenderComparison(c, Format::kMarkdown), Catch::Contains("**Slower**"));
}

}  // namespace
}  // namespace effbench::reports
