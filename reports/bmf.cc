#include "reports/bmf.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace effbench::reports {
namespace {

using nlohmann::json;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

json Measure(const std::vector<double>& values) {
  json m = {{"value", Median(values)}};
  if (values.size() > 1) {
    m["lower_value"] = *std::min_element(values.begin(), values.end());
    m["upper_value"] = *std::max_element(values.begin(), values.end());
  }
  return m;
}

}  // namespace

std::string RenderBmf(const std::vector<result::ResultRecord>& records) {
  std::map<std::string, int> uses;
  for (const auto& r : records) {
    if (r.ok) ++uses[result::DisplayName(r.name)];
  }
  json doc = json::object();
  for (const auto& r : records) {
    if (!r.ok || r.samples_ns.empty()) continue;
    std::string name = result::DisplayName(r.name);
    if (uses[name] > 1) name.append(" (").append(std::to_string(r.threads)).append(" threads)");
    json measures = {{"latency", Measure(r.samples_ns)}};
    for (const result::Metric& m : r.metrics) {
      if (m.values.empty()) continue;
      for (const char* bound : {".lower_value", ".upper_value"}) {
        if (m.name.ends_with(bound)) {
          const std::string of = m.name.substr(0, m.name.size() - std::string(bound).size());
          measures[of][std::string(bound).substr(1)] = m.values.front();
        }
      }
      if (m.name.ends_with(".lower_value") || m.name.ends_with(".upper_value")) continue;
      json measure = Measure(m.values);
      for (const auto& [key, value] : measure.items()) measures[m.name][key] = value;
    }
    if (r.gflops) measures["gflops"] = {{"value", *r.gflops}};
    if (r.accuracy) measures["top1"] = {{"value", r.accuracy->top1}};
    doc[name] = std::move(measures);
  }
  return doc.dump(2) + "\n";
}

}  // namespace effbench::reports
