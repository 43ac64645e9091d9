#include "harness/result/record.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/test_util.h"

namespace effbench::result {
namespace {

using nlohmann::json;

json ValidRecord() { return ToJson(testing::MakeRecord(NewUuid())); }

// Validation of `doc` fails with a message naming `field`.
void ExpectRejected(const json& doc, const std::string& field) {
  const Status s = Validate(doc);
  INFO(s.message());
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find(field) != std::string::npos);
  CHECK_FALSE(FromJson(doc).ok());
}

TEST_CASE("a valid record validates and round-trips through JSON", "[result]") {
  const ResultRecord r = testing::MakeRecord(NewUuid(), 7);
  const json doc = ToJson(r);
  REQUIRE(Validate(doc).ok());
  auto back = FromJson(doc);
  REQUIRE(back.ok());
  CHECK(back->id == r.id);
  CHECK(back->samples_ns == r.samples_ns);
  CHECK(back->stats->median_ns == Approx(r.stats->median_ns));
  // params come back ordered by name, as JSON objects keep them.
  auto sorted = r.params;
  std::sort(sorted.begin(), sorted.end());
  CHECK(back->params == sorted);
  CHECK(back->revision.time == r.revision.time);
  CHECK(ToJson(*back) == doc);
}

TEST_CASE("compression, quantization and quality round-trip", "[result]") {
  ResultRecord r = testing::MakeRecord(NewUuid(), 3, "int8");
  r.variant.quantization = "pc_minmax";
  r.compression = Compression{"unstructured", 0.9, 0.8999, "csr", 12345, true};
  r.quantization = Quantization{"s8 symmetric per-channel",
                                "u8 asymmetric per-tensor",
                                "minmax",
                                32,
                                "s32",
                                "fp32",
                                "pooling",
                                7,
                                8,
                                "7-bit weights: no VNNI"};
  for (const bool classifier : {true, false}) {
    Quality q;
    q.inputs = 256;
    q.rel_l2 = 0.25;
    q.sqnr_db = 12.0;
    q.cosine = 0.97;
    q.classifier = classifier;
    q.top1_agreement = classifier ? 0.92 : 0;
    q.reference_classes = classifier ? 8 : 0;
    r.quality = q;
    const json doc = ToJson(r);
    REQUIRE(Validate(doc).ok());
    CHECK(doc["quality"].contains("top1_agreement") == classifier);
    auto back = FromJson(doc);
    REQUIRE(back.ok());
    CHECK(ToJson(*back) == doc);
    CHECK(back->quality->classifier == classifier);
    CHECK(back->compression->sparse_kernel);
    CHECK(back->quantization->calibration_inputs == 32);
    CHECK(back->quantization->weight_bits == 7);
    CHECK(back->quantization->remedy == "7-bit weights: no VNNI");
    CHECK(back->variant.quantization == "pc_minmax");
  }
}

TEST_CASE("broken records are rejected with the field named", "[result]") {
  json doc = ValidRecord();
  SECTION("missing field") {
    doc.erase("samples_ns");
    ExpectRejected(doc, "/samples_ns");
  }
  SECTION("wrong type") {
    doc["stats"]["median_ns"] = "fast";
    ExpectRejected(doc, "/stats/median_ns");
  }
  SECTION("not a uuid") {
    doc["id"] = "1234";
    ExpectRejected(doc, "/id");
  }
  SECTION("unknown precision") {
    doc["variant"]["precision"] = "int3";
    ExpectRejected(doc, "/variant/precision");
  }
  SECTION("negative sample") {
    doc["samples_ns"][2] = -5.0;
    ExpectRejected(doc, "/samples_ns/2");
  }
  SECTION("unknown field") {
    doc["speed"] = "very";
    ExpectRejected(doc, "/speed");
  }
  SECTION("wrong schema id") {
    doc["schema"] = "effbench.result/0";
    ExpectRejected(doc, "/schema");
  }
  SECTION("ok result without samples") {
    doc["samples_ns"] = json::array();
    ExpectRejected(doc, "/samples_ns");
  }
  SECTION("failed result without an error") {
    doc["status"] = "failed";
    ExpectRejected(doc, "/error");
  }
  SECTION("bad workload id") {
    doc["name"] = "GEMM fp32 big";
    ExpectRejected(doc, "/name");
  }
}

TEST_CASE("a failed record with an error validates", "[result]") {
  ResultRecord r = testing::MakeRecord(NewUuid());
  r.ok = false;
  r.error = "wrong result: C[0,0] differs";
  r.samples_ns.clear();
  r.stats.reset();
  r.gflops.reset();
  REQUIRE(Validate(ToJson(r)).ok());
}

TEST_CASE("a skipped record keeps its status and reason through JSON", "[result]") {
  ResultRecord r = testing::MakeRecord(NewUuid());
  r.ok = false;
  r.skipped = true;
  r.error = "needs avx512_core for onednn bf16 (this CPU: avx2, fma)";
  r.samples_ns.clear();
  r.stats.reset();
  r.gflops.reset();
  const json doc = ToJson(r);
  CHECK(doc["status"] == "skipped");
  REQUIRE(Validate(doc).ok());
  auto back = FromJson(doc);
  REQUIRE(back.ok());
  CHECK(back->skipped);
  CHECK_FALSE(back->ok);
  CHECK(back->error == r.error);
  // A skip without its reason says nothing: refused.
  json no_reason = doc;
  no_reason["error"] = nullptr;
  CHECK_FALSE(Validate(no_reason).ok());
}

TEST_CASE("summary statistics are those of the samples", "[result]") {
  const Stats s = Summarize({4, 1, 3, 2});
  CHECK(s.median_ns == 2.5);
  CHECK(s.mean_ns == 2.5);
  CHECK(s.min_ns == 1);
  CHECK(s.max_ns == 4);
  CHECK(s.stddev_ns == Approx(1.2909944));
  CHECK(s.cv == Approx(1.2909944 / 2.5));
}

TEST_CASE("uuids are version 7: unique, well formed, and increasing in time", "[result]") {
  std::vector<std::string> ids;
  // Enough that some millisecond holds more than the 2048 ids its counter
  // is sure to have room for, on any machine that makes one a microsecond.
  for (int i = 0; i < 20000; ++i) ids.push_back(NewUuid());
  for (const std::string& id : ids) {
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '7');                                          // version
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // variant
  }
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

}  // namespace
}  // namespace effbench::result
