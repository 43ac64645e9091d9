#include "reports/efficiency_table.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_util.h"

namespace effbench::reports {
namespace {

std::vector<result::ResultRecord> Records() {
  const std::string run = result::NewUuid();
  auto fp32 = testing::MakeRecord(run, 5, "fp32");
  auto int8 = testing::MakeRecord(run, 5, "int8");
  for (double& ns : int8.samples_ns) ns /= 4;  // four times faster
  int8.stats = result::Summarize(int8.samples_ns);
  auto failed = testing::MakeRecord(run, 0, "bf16");
  failed.ok = false;
  failed.stats.reset();
  failed.error = "fidelity: rel_l2 0.5 exceeds the bf16 tolerance";
  return {fp32, int8, failed};
}

TEST_CASE("the console table shows speedup over fp32 and lists failures", "[reports]") {
  const std::string text = RenderEfficiencyTable(Records(), Format::kConsole);
  CHECK(text.find("4.00x") != std::string::npos);
  CHECK(text.find("1 failed") != std::string::npos);
  CHECK(text.find("exceeds the bf16 tolerance") != std::string::npos);
  CHECK(text.find("50.0%") != std::string::npos);  // roofline fraction
}

TEST_CASE("skipped variants are n/a with their reason, and a suspect roofline is footnoted",
          "[reports]") {
  auto records = Records();
  records.pop_back();  // no failure: skips and notes alone
  auto skipped = testing::MakeRecord(records[0].run_id, 0, "bf16");
  skipped.ok = false;
  skipped.skipped = true;
  skipped.stats.reset();
  skipped.error = "needs avx512_core for onednn bf16 (this CPU: avx2, fma)";
  records.push_back(skipped);
  records.push_back(skipped);  // the same reason twice: one footnote
  records[1].roofline_note = "roofline fraction above 100 % by more than the spread";
  records[1].implementation = "jit:avx2";
  const std::string text = RenderEfficiencyTable(records, Format::kConsole);
  INFO(text);
  // Notes are numbered in order of first use: the int8 row's roofline, then the skip.
  CHECK(text.find("50.0% [1]") != std::string::npos);
  CHECK(text.find("n/a [2]") != std::string::npos);
  CHECK(text.find("[1] roofline fraction above 100 %") != std::string::npos);
  CHECK(text.find("[2] skipped: needs avx512_core") != std::string::npos);
  CHECK(text.find("[3]") == std::string::npos);
  CHECK(text.find("failed") == std::string::npos);  // a skip is not a failure
  CHECK(text.find("jit:avx2") == std::string::npos);
  const std::string wide =
      RenderEfficiencyTable(records, Format::kConsole, {.implementation = true});
  CHECK(wide.find("implementation") != std::string::npos);
  CHECK(wide.find("jit:avx2") != std::string::npos);
  const std::string md = RenderEfficiencyTable(records, Format::kMarkdown);
  CHECK(md.find("\\[2\\] skipped: needs avx512_core") != std::string::npos);
  const std::string csv = RenderEfficiencyTable(records, Format::kCsv);
  CHECK(csv.find(",skipped,") != std::string::npos);
}

TEST_CASE("a sparse kernel is compared with the dense kernel on the same weights", "[reports]") {
  const std::string run = result::NewUuid();
  auto csr = testing::MakeRecord(run, 5, "fp32");
  auto dense = testing::MakeRecord(run, 5, "fp32");
  csr.variant = {"fp32", "unstructured90", "csr", ""};
  dense.variant = {"fp32", "unstructured90", "onednn", ""};
  csr.compression = Compression{"unstructured", 0.9, 0.9, "csr", 1e6, true};
  dense.compression = Compression{"unstructured", 0.9, 0.9, "dense", 4e6, false};
  for (double& ns : dense.samples_ns) ns *= 3;  // the dense kernel is three times slower
  dense.stats = result::Summarize(dense.samples_ns);
  const std::string text = RenderEfficiencyTable({csr, dense}, Format::kConsole);
  CHECK(text.find("vs dense") != std::string::npos);
  CHECK(text.find("3.00x") != std::string::npos);
  CHECK(RenderEfficiencyTable(Records(), Format::kConsole).find("vs dense") == std::string::npos);
}

TEST_CASE("trained models show top-1 with its interval, bytes and how they were trained",
          "[reports]") {
  auto records = Records();
  records.pop_back();
  Training t;
  t.model = "fmnist_dws";
  t.epochs = 20;
  t.batch = 128;
  t.seconds = 301;
  t.images_per_second = 3980;
  t.top1 = 0.9144;
  t.target_top1 = 0.9;
  t.seconds_to_target = 182;
  t.cache_key = std::string(64, 'c');
  for (auto& r : records) {
    Accuracy a;
    a.dataset = "fashion-mnist";
    a.test_images = 10000;
    a.top1_fp32 = 0.9144;
    a.top1 = r.variant.precision == "int8" ? 0.8990 : 0.9144;
    a.delta = a.top1 - a.top1_fp32;
    a.delta_lo = a.delta - 0.0021;
    a.delta_hi = a.delta + 0.0019;
    a.meets_mlperf_99 = a.top1 >= 0.99 * a.top1_fp32;
    a.model_bytes = r.variant.precision == "int8" ? 41000 : 160000;
    r.accuracy = a;
    r.training = t;
  }
  const std::string text = RenderEfficiencyTable(records, Format::kConsole);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("Δ top-1 [95% CI]"));
  CHECK_THAT(text, Catch::Contains("91.44%"));
  CHECK_THAT(text, Catch::Contains("-1.54 [-1.75, -1.35] pt"));
  CHECK_THAT(text, Catch::Contains("41.0 kB"));
  CHECK_THAT(text, Catch::Contains("3.90x"));  // 160 kB of fp32 over 41 kB of int8
  CHECK_THAT(text, Catch::Contains("MLPerf's rule"));  // 89.90 % < 99 % of 91.44 %
  CHECK_THAT(text, Catch::Contains("fmnist_dws: 20 epochs of batch 128 in 301 s (3980 images/s), "
                                   "test top-1 91.44%, 90% after 182 s; trained by this run"));
}

TEST_CASE("markdown has a header, an alignment row and one row per ok result", "[reports]") {
  const std::string md = RenderEfficiencyTable(Records(), Format::kMarkdown);
  std::istringstream in(md);
  int table_rows = 0;
  for (std::string line; std::getline(in, line);) table_rows += !line.empty() && line[0] == '|';
  CHECK(table_rows == 4);
  CHECK(md.find("**failed**") != std::string::npos);
}

TEST_CASE("csv has one line per record, failed ones included", "[reports]") {
  const std::string csv = RenderEfficiencyTable(Records(), Format::kCsv);
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  CHECK(lines == 4);
  CHECK(csv.rfind("id,run_id,name,", 0) == 0);
}

TEST_CASE("json prints valid result records, one array", "[reports]") {
  const auto records = Records();
  const auto doc = nlohmann::json::parse(RenderEfficiencyTable(records, Format::kJson));
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == records.size());
  for (const auto& r : doc) CHECK(result::Validate(r).ok());
}

TEST_CASE("unknown formats are rejected by name", "[reports]") {
  CHECK(ParseFormat("markdown").ok());
  auto bad = ParseFormat("html5");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("html5") != std::string::npos);
}

}  // namespace
}  // namespace effbench::reports
