#include "harness/store/series_points.h"

#include <simdjson.h>

#include <algorithm>

namespace effbench::store {
namespace {

namespace ondemand = simdjson::ondemand;

// `text` with simdjson's padding after it, in a buffer reused by every row of
// a pass.
simdjson::padded_string_view Padded(std::string_view text) {
  thread_local std::string buffer;
  buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(text.data(), text.size());
  return simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
}

}  // namespace

SeriesPoint& HistoryBuilder::At(const std::string& commit,
                                const std::optional<std::string>& commit_time,
                                std::string_view run_id, std::string_view run_started_at) {
  SeriesPoint& p = by_commit_[commit];
  if (p.commit.empty()) {
    first_seen_[commit] = first_seen_.size();
    p.commit = commit;
    p.commit_time = commit_time;
    p.first_run = std::string(run_id);
    p.first_run_started_at = std::string(run_started_at);
  }
  return p;
}

std::vector<SeriesPoint> HistoryBuilder::Take() {
  std::vector<SeriesPoint> points(by_commit_.size());
  for (auto& [commit, p] : by_commit_) points[first_seen_[commit]] = std::move(p);
  std::stable_sort(points.begin(), points.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
    if (a.commit_time && b.commit_time && *a.commit_time != *b.commit_time) {
      return *a.commit_time < *b.commit_time;
    }
    return a.first_run_started_at < b.first_run_started_at;
  });
  std::erase_if(points, [](const SeriesPoint& p) { return p.samples_ns.empty(); });
  return points;
}

SeriesByMachine GroupByMachine(const std::vector<SeriesKey>& keys) {
  SeriesByMachine wanted;
  for (size_t i = 0; i < keys.size(); ++i) {
    wanted[keys[i].machine_fingerprint][{keys[i].name, keys[i].threads}].push_back(i);
  }
  return wanted;
}

std::string ReadingHistoriesOf(const std::vector<SeriesKey>& keys) {
  if (keys.size() == 1) return "read series " + keys.front().name;
  return "read the histories of " + std::to_string(keys.size()) + " series";
}

std::vector<double> NumbersOf(std::string_view json) {
  thread_local ondemand::parser parser;
  std::vector<double> out;
  ondemand::document doc;
  ondemand::array array;
  if (parser.iterate(Padded(json)).get(doc) || doc.get_array().get(array)) return out;
  for (auto item : array) {
    ondemand::value value;
    if (std::move(item).get(value)) break;  // a broken array ends here
    double v = 0;
    if (value.get_double().get(v) == simdjson::SUCCESS) out.push_back(v);
  }
  return out;
}

std::vector<StoredMetric> MetricsOf(std::string_view record_json) {
  thread_local ondemand::parser parser;
  std::vector<StoredMetric> out;
  ondemand::document doc;
  ondemand::array metrics;
  if (parser.iterate(Padded(record_json)).get(doc) ||
      doc.find_field_unordered("metrics").get_array().get(metrics)) {
    return out;
  }
  for (auto item : metrics) {
    ondemand::object object;
    if (std::move(item).get_object().get(object)) return out;
    StoredMetric m;
    for (auto field_result : object) {
      ondemand::field field;
      std::string_view key, text;
      if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return out;
      if (key == "name" || key == "better") {
        if (field.value().get_string().get(text) == simdjson::SUCCESS) {
          (key == "name" ? m.name : m.better) = std::string(text);
        }
      } else if (key == "values") {
        ondemand::array values;
        if (field.value().get_array().get(values) != simdjson::SUCCESS) continue;
        for (auto element : values) {
          ondemand::value value;
          if (std::move(element).get(value)) return out;
          double x = 0;
          if (value.get_double().get(x) == simdjson::SUCCESS) m.values.push_back(x);
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace effbench::store
