#include "harness/coordinator/http_views.h"

#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "core/flags.h"
#include "harness/analysis/history.h"
#include "harness/analysis/machine_comparison.h"
#include "harness/result/record.h"
#include "reports/history.h"
#include "reports/machine_comparison.h"

namespace effbench::coordinator {
namespace {

using nlohmann::json;

constexpr int kOk = 200, kBadRequest = 400, kNotFound = 404, kInternalServerError = 500;
constexpr char kJson[] = "application/json";
constexpr char kHtml[] = "text/html; charset=utf-8";

View JsonView(int status, const json& body) { return View{status, kJson, body.dump(2) + "\n"}; }

View ErrorView(int status, const std::string& message) {
  return JsonView(status, json{{"error", message}});
}

// GET /: the machines side by side as the HTML page, with the filters of the
// URL (machines, workloads, variants, since, until, baseline, reference) in a
// form; GET /api/report: the same comparison as JSON. GET /history and
// /api/history: the series matching machines and workloads over commits.
View ReportView(const std::string& path, const std::map<std::string, std::string>& query,
                store::QueryStore& db) {
  const auto get = [&query](const char* key) {
    const auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  reports::PageFilters filters{get("machines"), get("workloads"), get("variants"), get("since"),
                               get("until"),    get("baseline"),  get("reference")};
  const auto failure = [](const Status& s, bool html, const reports::PageFilters& f, bool history) {
    const int status = s.code() == Status::Code::kNotFound          ? kNotFound
                       : s.code() == Status::Code::kInvalidArgument ? kBadRequest
                                                                    : kInternalServerError;
    if (!html) return ErrorView(status, s.message());
    return View{status, kHtml, reports::RenderEmptyPage(s.message(), f, history)};
  };
  if (path == "/history" || path == "/api/history") {
    analysis::HistoryOptions h;
    h.machines = SplitCommaList(filters.machines);
    h.workloads = filters.workloads;
    auto history = analysis::BuildHistory(db, h);
    const bool html = path == "/history";
    if (!history.ok()) return failure(history.status(), html, filters, true);
    if (!html) {
      return View{kOk, kJson, reports::RenderHistory(*history, reports::ComparisonFormat::kJson)};
    }
    return View{kOk, kHtml, reports::RenderHistoryPage(*history, filters)};
  }
  analysis::MachineComparisonOptions o;
  o.machines = SplitCommaList(filters.machines);
  o.workloads = filters.workloads;
  o.variants = SplitCommaList(filters.variants);
  o.since = filters.since;
  o.until = filters.until;
  if (!filters.baseline_variant.empty()) o.baseline_variant = filters.baseline_variant;
  o.reference = filters.reference;
  auto comparison = analysis::BuildMachineComparison(db, o);
  const bool html = path == "/";
  if (!comparison.ok()) return failure(comparison.status(), html, filters, false);
  if (!html) {
    return View{kOk, kJson,
                reports::RenderMachineComparison(*comparison, reports::ComparisonFormat::kJson)};
  }
  return View{kOk, kHtml, reports::RenderMachineComparisonPage(*comparison, filters)};
}

}  // namespace

View DatabaseView(const std::string& path, const std::map<std::string, std::string>& query,
                  store::QueryStore& db) {
  const auto failed = [](const Status& s) { return ErrorView(kInternalServerError, s.message()); };
  if (path == "/" || path == "/api/report" || path == "/history" || path == "/api/history") {
    return ReportView(path, query, db);
  }
  if (path == "/api/runs") {
    auto runs = db.Runs();
    if (!runs.ok()) return failed(runs.status());
    json out = json::array();
    for (const auto& r : *runs) {
      out.push_back({{"id", r.id},
                     {"machine", r.machine_fingerprint},
                     {"suite", r.suite},
                     {"revision",
                      {{"repo", r.revision.repo},
                       {"commit", r.revision.commit},
                       {"branch", r.revision.branch}}},
                     {"started_at", r.started_at},
                     {"finished_at", r.finished_at ? json(*r.finished_at) : json()},
                     {"results_ok", r.results_ok},
                     {"results_failed", r.results_failed},
                     {"config", json::parse(r.config_json, nullptr, false)}});
    }
    return JsonView(kOk, json{{"runs", out}});
  }
  if (path == "/api/machines") {
    auto machines = db.Machines();
    if (!machines.ok()) return failed(machines.status());
    json out = json::array();
    for (const auto& m : *machines) {
      out.push_back(
          {{"fingerprint", m.fingerprint},
           {"hostname", m.hostname},
           {"cpu_model", m.cpu_model},
           {"arch", m.arch},
           {"inventory", json::parse(m.inventory_json, nullptr, false)},
           {"calibration",
            m.calibration_json ? json::parse(*m.calibration_json, nullptr, false) : json()},
           {"first_seen", m.first_seen},
           {"last_seen", m.last_seen}});
    }
    return JsonView(kOk, json{{"machines", out}});
  }
  // /api/results
  const auto run = query.find("run");
  if (run == query.end() || run->second.empty()) {
    return ErrorView(kBadRequest, "/api/results needs ?run=RUN_ID (and optionally &workload=GLOB)");
  }
  auto records = db.Results(run->second);
  if (!records.ok()) return failed(records.status());
  const auto workload = query.find("workload");
  json out = json::array();
  for (const auto& r : *records) {
    if (workload != query.end() && fnmatch(workload->second.c_str(), r.name.c_str(), 0) != 0 &&
        workload->second != r.workload) {
      continue;
    }
    out.push_back(result::ToJson(r));
  }
  return JsonView(kOk, json{{"results", out}});
}

bool IsDatabaseView(const std::string& path) {
  return path == "/" || path == "/api/report" || path == "/history" || path == "/api/history" ||
         path == "/api/runs" || path == "/api/machines" || path == "/api/results";
}

}  // namespace effbench::coordinator
