#include "reports/bmf.h"

#include <map>
#include <nlohmann/json.hpp>

namespace effbench::reports {
namespace {

using nlohmann::json;

// A BMF measure from the summary of `n` values: the median, and with more
// than one value the smallest and largest as its bounds.
json Measure(const result::Stats& stats, size_t n) {
  json m = {{"value", stats.median_ns}};
  if (n > 1) {
    m["lower_value"] = stats.min_ns;
    m["upper_value"] = stats.max_ns;
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
    const result::Stats time = r.stats ? *r.stats : result::Summarize(r.samples_ns);
    json measures = {{"latency", Measure(time, r.samples_ns.size())}};
    for (const result::Metric& m : r.metrics) {
      if (m.values.empty()) continue;
      for (const char* bound : {".lower_value", ".upper_value"}) {
        if (m.name.ends_with(bound)) {
          const std::string of = m.name.substr(0, m.name.size() - std::string(bound).size());
          measures[of][std::string(bound).substr(1)] = m.values.front();
        }
      }
      if (m.name.ends_with(".lower_value") || m.name.ends_with(".upper_value")) continue;
      json measure = Measure(result::Summarize(m.values), m.values.size());
      for (const auto& [key, value] : measure.items()) measures[m.name][key] = value;
    }
    if (r.gflops) measures["gflops"] = {{"value", *r.gflops}};
    if (r.accuracy) measures["top1"] = {{"value", r.accuracy->top1}};
    doc[name] = std::move(measures);
  }
  return doc.dump(2) + "\n";
}

}  // namespace effbench::reports
