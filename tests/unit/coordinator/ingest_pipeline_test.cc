#include "harness/coordinator/internal/ingest_pipeline.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>

#include "harness/result/record_row.h"
#include "tests/test_util.h"

namespace effbench::coordinator {
namespace {

// The whole store, in memory, as the pipeline's writer thread sees it: the
// results it holds (by id: a resend is not new), every call in order, and
// faults to inject. Only what the pipeline and its operations call does
// anything; the rest is Unimplemented.
class FakeStore final : public store::Store {
 public:
  struct Shared {
    std::mutex mu;
    std::set<std::string> ids;       // results stored
    std::vector<std::string> calls;  // "insert N", "probe", "agent NAME"
    std::atomic<bool> disk_full{false};
    std::string poison;  // a record id whose batch is refused (InvalidArgument)
  };
  explicit FakeStore(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  Result<size_t> InsertResults(const std::vector<result::RecordRow>& rows) override {
    std::lock_guard lock(s_->mu);
    s_->calls.push_back("insert " + std::to_string(rows.size()));
    if (s_->disk_full) return Status::IoError("database or disk is full");
    for (const auto& r : rows) {
      if (r.id == s_->poison) return Status::InvalidArgument("record " + r.id + " is invalid");
    }
    size_t fresh = 0;
    for (const auto& r : rows) fresh += s_->ids.insert(r.id).second;
    return fresh;
  }
  Status ProbeWrite() override {
    std::lock_guard lock(s_->mu);
    s_->calls.push_back("probe");
    return s_->disk_full ? Status::IoError("database or disk is full") : Status::Ok();
  }
  int SchemaVersion() const override { return 0; }
  Status UpsertAgent(const store::AgentRow& agent) override {
    std::lock_guard lock(s_->mu);
    s_->calls.push_back("agent " + agent.name);
    return s_->disk_full ? Status::IoError("database or disk is full") : Status::Ok();
  }

  Result<size_t> InsertResults(const std::vector<result::ResultRecord>&) override { return No(); }
  Status UpsertMachine(const store::MachineRow&) override { return No(); }
  Status BeginRun(const store::RunRow&) override { return No(); }
  Status FinishRun(const std::string&, const std::string&) override { return No(); }
  Status DeleteRun(const std::string&) override { return No(); }
  Result<std::optional<std::string>> MachineCalibration(const std::string&) override {
    return No();
  }
  Result<std::vector<store::MachineRow>> Machines() override { return No(); }
  Result<std::vector<store::RunRow>> Runs() override { return No(); }
  Result<std::vector<result::ResultRecord>> Results(const std::string&) override { return No(); }
  Result<int64_t> ResultCount() override { return No(); }
  Result<int64_t> ResultCountOfRun(const std::string&) override { return No(); }
  Result<std::vector<store::SeriesKey>> SeriesOf(const std::string&) override { return No(); }
  Result<std::vector<store::SeriesKey>> SeriesMatching(const std::string&) override { return No(); }
  Result<std::vector<store::SeriesPoint>> SeriesHistory(const store::SeriesKey&) override {
    return No();
  }
  Result<std::vector<std::vector<store::SeriesPoint>>> SeriesHistories(
      const std::vector<store::SeriesKey>&) override {
    return No();
  }
  Status UpsertRegression(const store::RegressionRow&) override { return No(); }
  Result<std::vector<store::RegressionRow>> RegressionsOf(const store::SeriesKey&) override {
    return No();
  }
  Status ResolveRegression(int64_t, const std::string&, const std::string&,
                           const std::optional<std::string>&, const std::optional<std::string>&,
                           const std::string&) override {
    return No();
  }
  Result<std::vector<store::RegressionRow>> Regressions(const std::string&,
                                                        const std::string&) override {
    return No();
  }
  Status SetRegressionState(int64_t, const std::string&, const std::string&) override {
    return No();
  }
  Status MarkRunChecked(const std::string&, const std::string&) override { return No(); }
  Result<bool> RunChecked(const std::string&) override { return No(); }
  Result<std::vector<store::AgentRow>> Agents() override { return No(); }
  Status RemoveAgent(const std::string&) override { return No(); }
  Result<std::vector<store::AgentKeyRow>> AgentKeys() override { return No(); }
  Status PutAgentKey(const store::AgentKeyRow&) override { return No(); }
  Status RevokeAgentKey(const std::string&, const std::string&) override { return No(); }
  Status InsertJob(const store::JobRow&) override { return No(); }
  Status InsertJobs(const std::vector<store::JobRow>&) override { return No(); }
  Status SetJobState(const std::string&, const std::string&, const std::string&,
                     const std::optional<std::string>&) override {
    return No();
  }
  Status EndUnfinishedJob(const std::string&, const std::string&, const std::string&,
                          const std::string&) override {
    return No();
  }
  Result<std::vector<store::JobRow>> Jobs() override { return No(); }
  Result<std::vector<store::JobRow>> OpenJobs(const std::vector<std::string>&) override {
    return No();
  }
  Result<std::vector<store::AgentPresenceRow>> AgentPresence(std::chrono::milliseconds) override {
    return No();
  }
  Result<std::optional<store::JobRow>> ClaimNextJob(const std::string&, const std::string&,
                                                    std::chrono::milliseconds,
                                                    const std::string&) override {
    return No();
  }
  Status RenewJobLeases(const std::string&, const std::vector<std::string>&,
                        std::chrono::milliseconds) override {
    return No();
  }
  Status ExpireJobLease(const std::string&, const std::string&, const std::string&) override {
    return No();
  }
  Status PutAgentPresence(const store::AgentPresenceRow&) override { return No(); }
  Status EndAgentPresence(const std::string&, const std::string&) override { return No(); }
  Result<bool> ClaimScheduledRun(const std::string&, const std::string&,
                                 const std::string&) override {
    return No();
  }

 private:
  static Status No() { return Status::Internal("not used by the ingest pipeline"); }
  std::shared_ptr<Shared> s_;
};

constexpr char kRun[] = "01a24ff7-0000-7000-8000-000000000001";

std::vector<result::RecordRow> Rows(int n) {
  std::vector<result::RecordRow> rows;
  for (int i = 0; i < n; ++i) {
    auto row = result::ToRow(testing::MakeRecord(kRun));
    INFO((row.ok() ? "" : row.status().message()));
    REQUIRE(row.ok());
    rows.push_back(std::move(row).value());
  }
  return rows;
}

// A pipeline on a fake store, with what its hooks heard.
struct Fixture {
  boost::asio::io_context io;
  std::shared_ptr<FakeStore::Shared> shared = std::make_shared<FakeStore::Shared>();
  std::vector<std::string> log;
  std::vector<std::optional<std::string>> health;
  std::unique_ptr<IngestPipeline> pipeline;

  ~Fixture() {
    // Lets the probe see the stop and end before the pipeline goes.
    pipeline->Stop();
    io.run_for(std::chrono::milliseconds(50));
  }
  explicit Fixture(const Status& writable = Status::Ok()) {
    IngestPipeline::Hooks hooks;
    hooks.log = [this](const std::string& line) { log.push_back(line); };
    hooks.fatal = [](const std::string& why) { FAIL("fatal: " << why); };
    hooks.health = [this](const std::optional<std::string>& fault) { health.push_back(fault); };
    pipeline =
        std::make_unique<IngestPipeline>(io, std::make_unique<FakeStore>(shared), "fake.db",
                                         std::move(hooks), writable, std::chrono::milliseconds(5));
  }
  // Runs the network thread until `done` holds (completions run there).
  void RunUntil(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < give_up) {
      io.run_for(std::chrono::milliseconds(5));
      io.restart();
    }
    REQUIRE(done());
  }
  std::vector<std::string> Calls() {
    std::lock_guard lock(shared->mu);
    return shared->calls;
  }
};

TEST_CASE("the ingest pipeline acknowledges a batch only after its commit, in queue order",
          "[coordinator]") {
  Fixture f;
  std::vector<std::string> order;
  std::vector<Status> outcomes;
  for (int i = 0; i < 3; ++i) {
    f.pipeline->Ingest(Rows(2), [&, i](Status s) {
      order.push_back("batch " + std::to_string(i));
      outcomes.push_back(s);
    });
  }
  const IngestPipeline::Operation remember = [](store::Store& db) {
    store::AgentRow agent;
    agent.name = "a1";
    return db.UpsertAgent(agent);
  };
  f.pipeline->Execute(remember, [&](Status s) {
    order.push_back("agent");
    outcomes.push_back(s);
  });
  f.RunUntil([&] { return order.size() == 4; });
  CHECK(order == std::vector<std::string>{"batch 0", "batch 1", "batch 2", "agent"});
  for (const Status& s : outcomes) CHECK(s.ok());
  // Every batch was in the store before its acknowledgement, and the
  // operation ran after them.
  const auto calls = f.Calls();
  REQUIRE_FALSE(calls.empty());
  CHECK(calls.back() == "agent a1");
  CHECK(f.shared->ids.size() == 6);
  CHECK(f.pipeline->ingested() == 6);
  CHECK(f.pipeline->commits() + 1 == calls.size());  // one commit a batch group
  CHECK_FALSE(f.pipeline->fault());
  CHECK(f.health.empty());
  CHECK(f.log.empty());
}

TEST_CASE("one bad batch does not keep the others out", "[coordinator]") {
  Fixture f;
  auto bad = Rows(2);
  f.shared->poison = bad[1].id;
  std::vector<Status> outcomes(3);
  int done = 0;
  for (size_t i = 0; i < 3; ++i) {
    f.pipeline->Ingest(i == 1 ? std::move(bad) : Rows(1), [&, i](Status s) {
      outcomes[i] = std::move(s);
      ++done;
    });
  }
  f.RunUntil([&] { return done == 3; });
  CHECK(outcomes[0].ok());
  CHECK(outcomes[1].code() == Status::Code::kInvalidArgument);
  CHECK(outcomes[2].ok());
  CHECK(f.shared->ids.size() == 2);
  // A refused record is an answer, not a fault of the database.
  CHECK_FALSE(f.pipeline->fault());
  CHECK(f.health.empty());
}

TEST_CASE("a full disk is one fault: logged once, probed until writes work, then healthy",
          "[coordinator]") {
  Fixture f;
  f.shared->disk_full = true;
  std::vector<Status> outcomes;
  for (int i = 0; i < 3; ++i) f.pipeline->Ingest(Rows(1), [&](Status s) { outcomes.push_back(s); });
  f.RunUntil([&] { return outcomes.size() == 3; });
  for (const Status& s : outcomes) CHECK(s.code() == Status::Code::kIoError);
  REQUIRE(f.pipeline->fault());
  CHECK_THAT(*f.pipeline->fault(), Catch::Contains("disk is full"));
  REQUIRE(f.health.size() == 1);
  CHECK(f.health[0] == f.pipeline->fault());
  REQUIRE(f.log.size() == 1);
  CHECK_THAT(f.log[0], Catch::Contains("fake.db: a write failed") &&
                           Catch::Contains("nothing is acknowledged"));
  CHECK(f.shared->ids.empty());
  // The probe runs on its own while the fault lasts; space returns.
  f.RunUntil([&] {
    const auto calls = f.Calls();
    return std::count(calls.begin(), calls.end(), "probe") >= 2;
  });
  f.shared->disk_full = false;
  f.RunUntil([&] { return !f.pipeline->fault(); });
  REQUIRE(f.health.size() == 2);
  CHECK_FALSE(f.health[1]);
  REQUIRE(f.log.size() == 2);
  CHECK_THAT(f.log[1], Catch::Contains("writes work again"));
  // The same records, sent again, are stored now.
  bool stored = false;
  f.pipeline->Ingest(Rows(2), [&](Status s) { stored = s.ok(); });
  f.RunUntil([&] { return stored; });
  CHECK(f.shared->ids.size() == 2);
}

TEST_CASE("a pipeline opened on an unwritable database starts faulty and recovers",
          "[coordinator]") {
  Fixture f(Status::IoError("attempt to write a readonly database"));
  REQUIRE(f.pipeline->fault());
  CHECK(f.health.size() == 1);
  f.RunUntil([&] { return !f.pipeline->fault(); });  // the fake's probe succeeds
  CHECK(f.health.size() == 2);
  CHECK(f.log.size() == 2);
}

}  // namespace
}  // namespace effbench::coordinator
