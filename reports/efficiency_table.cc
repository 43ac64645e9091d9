#include "reports/efficiency_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "reports/text_table.h"

namespace effbench::reports {
namespace {

using result::ResultRecord;

std::string OrDash(const std::optional<double>& v, const auto& format) {
  return v ? format(*v) : std::string("-");
}

// The key that pairs a result with its fp32 dense baseline: same family,
// shape, backend and threads.
std::string BaselineKey(const ResultRecord& r) {
  std::string key = r.workload + "|" + r.variant.backend + "|" + std::to_string(r.threads);
  for (const auto& [k, v] : r.params) key += "|" + k + "=" + std::to_string(v);
  return key;
}

// The precision with what else sets the variant apart: "int8 pc_minmax", "fp32 2:4".
std::string VariantLabel(const ResultRecord& r) {
  std::string label = r.variant.precision;
  if (!r.variant.quantization.empty()) label += " " + r.variant.quantization;
  if (r.variant.sparsity != "dense" && r.workload != "spmm") label += " " + r.variant.sparsity;
  return label;
}

// The key that pairs a sparse kernel's result with the dense kernel's on the
// same pruned weights: same family, shape, precision, sparsity and threads.
std::string SparsityKey(const ResultRecord& r) {
  std::string key = r.workload + "|" + r.variant.precision + "|" + r.variant.sparsity + "|" +
                    std::to_string(r.threads);
  for (const auto& [k, v] : r.params) key += "|" + k + "=" + std::to_string(v);
  return key;
}

struct Table {
  TextTable text;
  Footnotes notes;
};

constexpr char kMissesMlperf[] =
    "below 99 % of its baseline's top-1 (MLPerf's rule): not a like-for-like replacement";

// A signed number of points with two decimals: +0.12, -1.05.
std::string SignedFixed(double v) {
  std::string text = v >= 0 ? "+" : "";
  return text.append(Fixed(v, 2));
}

// One line per trained model behind the records: how it was trained. (Built
// by appends: GCC 12 warns falsely on long chains of string +.)
std::string TrainingLines(const std::vector<ResultRecord>& records) {
  std::map<std::string, const Training*> models;  // by cache key
  for (const auto& r : records) {
    if (r.training) models.emplace(r.training->cache_key, &*r.training);
  }
  std::string out;
  for (const auto& [key, t] : models) {
    out.append("  ").append(t->model);
    if (!t->teacher.empty()) out.append(" (distilled from ").append(t->teacher).append(")");
    out.append(": ").append(std::to_string(t->epochs)).append(" epochs of batch ");
    out.append(std::to_string(t->batch)).append(" in ").append(Fixed(t->seconds, 0));
    out.append(" s (").append(Fixed(t->images_per_second, 0)).append(" images/s), test top-1 ");
    out.append(Fixed(100 * t->top1, 2)).append("%");
    const std::string target = Fixed(100 * t->target_top1, 0);
    if (t->seconds_to_target) {
      out.append(", ").append(target).append("% after ");
      out.append(Fixed(*t->seconds_to_target, 0)).append(" s");
    } else {
      out.append(", never reached ").append(target).append("%");
    }
    out.append(t->cache_hit ? "; read from the cache" : "; trained by this run");
    out.append(" (").append(key.substr(0, 12)).append(")\n");
  }
  if (out.empty()) return out;
  return std::string("\ntrained models:\n").append(out);
}

// "cpu_time 8.47 us, items_per_second 31.3M items/s": a record's metrics as
// their medians, "-" when it has none.
std::string MeasuresCell(const ResultRecord& r) {
  std::string cell;
  for (const result::Metric& m : r.metrics) {
    if (m.values.empty()) continue;
    if (!cell.empty()) cell += ", ";
    cell.append(m.name).append(" ").append(Quantity(result::Summarize(m.values).median_ns, m.unit));
  }
  return cell.empty() ? "-" : cell;
}

// One row per successful or skipped result (a skipped one is n/a, its reason
// a footnote). A "vs dense" column appears when some result ran a sparse
// kernel: its speedup over the dense kernel on the same weights.
Table BuildTable(const std::vector<ResultRecord>& records, const TableOptions& options) {
  std::map<std::string, double> fp32_median, dense_kernel_median, fp32_bytes;
  bool any_sparse = false, any_accuracy = false, any_metrics = false;
  for (const auto& r : records) {
    if (!r.ok) continue;
    any_metrics = any_metrics || !r.metrics.empty();
    if (r.variant.precision == "fp32" && r.variant.sparsity == "dense") {
      fp32_median[BaselineKey(r)] = r.stats->median_ns;
      if (r.accuracy) fp32_bytes[BaselineKey(r)] = r.accuracy->model_bytes;
    }
    if (r.compression && !r.compression->sparse_kernel) {
      dense_kernel_median[SparsityKey(r)] = r.stats->median_ns;
    }
    any_sparse = any_sparse || (r.compression && r.compression->sparse_kernel);
    any_accuracy = any_accuracy || r.accuracy.has_value();
  }
  Table table;
  TextTable& t = table.text;
  t.left_columns = options.implementation ? 5 : 4;
  t.header = {"workload", "shape", "variant", "backend"};
  if (options.implementation) t.header.push_back("implementation");
  t.header.insert(t.header.end(),
                  {"threads", "median", "cv", "GFLOP/s", "GB/s", "roofline", "vs fp32"});
  if (any_sparse) t.header.push_back("vs dense");
  t.header.insert(t.header.end(), {"rel_l2", "J/iter"});
  // Trained models judged on a real test set: top-1, its difference from the
  // baseline's with the 95 % interval, and the weights' bytes.
  if (any_accuracy) {
    t.header.insert(t.header.end(), {"top-1", "Δ top-1 [95% CI]", "bytes", "fp32/bytes"});
  }
  // An imported benchmark's other measures (cpu_time, counters), as medians.
  if (any_metrics) {
    t.header.push_back("measures (median)");
    t.left_trailing = 1;
  }
  const auto ratio = [](const std::map<std::string, double>& base, const std::string& key,
                        double median) {
    auto it = base.find(key);
    return it == base.end() ? std::string("-") : Fixed(it->second / median, 2) + "x";
  };
  for (const auto& r : records) {
    if (!r.ok && !r.skipped) continue;
    std::vector<std::string> row{r.workload, result::ShapeOf(r), VariantLabel(r),
                                 r.variant.backend};
    if (options.implementation) {
      row.push_back(r.implementation.empty() ? std::string("-") : r.implementation);
    }
    row.push_back(std::to_string(r.threads));
    if (r.skipped) {
      std::string reason = "skipped: ";
      reason += r.error;
      std::string cell = "n/a ";
      cell += table.notes.Mark(reason);
      row.push_back(std::move(cell));
      row.resize(t.header.size(), "-");
      t.rows.push_back(std::move(row));
      continue;
    }
    const double median = r.stats->median_ns;
    std::string roofline =
        OrDash(r.roofline_fraction, [](double v) { return Fixed(100 * v, 1) + "%"; });
    if (r.roofline_note) {
      roofline += ' ';
      roofline += table.notes.Mark(*r.roofline_note);
    }
    std::string median_cell = Duration(median);
    for (const std::string& w : r.warnings) median_cell.append(" ").append(table.notes.Mark(w));
    row.insert(row.end(), {
                              median_cell,
                              Fixed(100 * r.stats->cv, 1) + "%",
                              OrDash(r.gflops, [](double v) { return Fixed(v, 1); }),
                              OrDash(r.gbps, [](double v) { return Fixed(v, 1); }),
                              roofline,
                              ratio(fp32_median, BaselineKey(r), median),
                          });
    if (any_sparse) {
      const bool sparse = r.compression && r.compression->sparse_kernel;
      row.push_back(sparse ? ratio(dense_kernel_median, SparsityKey(r), median) : "-");
    }
    row.push_back(OrDash(r.rel_l2, Scientific));
    row.push_back(OrDash(r.joules_per_iter, [](double v) { return Scientific(v); }));
    if (any_accuracy) {
      if (r.accuracy) {
        const Accuracy& a = *r.accuracy;
        std::string top1 = Fixed(100 * a.top1, 2);
        top1.append("%");
        if (!a.meets_mlperf_99) top1.append(" ").append(table.notes.Mark(kMissesMlperf));
        row.push_back(std::move(top1));
        std::string delta = SignedFixed(100 * a.delta);
        delta.append(" [").append(SignedFixed(100 * a.delta_lo)).append(", ");
        delta.append(SignedFixed(100 * a.delta_hi)).append("] pt");
        row.push_back(std::move(delta));
        row.push_back(Bytes(a.model_bytes));
        // How many times smaller than the fp32 model of the same workload.
        const auto base = fp32_bytes.find(BaselineKey(r));
        row.push_back(base != fp32_bytes.end() && a.model_bytes > 0
                          ? Fixed(base->second / a.model_bytes, 2) + "x"
                          : "-");
      } else {
        row.insert(row.end(), 4, "-");
      }
    }
    if (any_metrics) row.push_back(MeasuresCell(r));
    t.rows.push_back(std::move(row));
  }
  return table;
}

bool Failed(const ResultRecord& r) { return !r.ok && !r.skipped; }

std::string Console(const std::vector<ResultRecord>& records, const TableOptions& options) {
  const Table table = BuildTable(records, options);
  const TextTable& t = table.text;
  std::ostringstream out;
  out << RenderConsole(t);
  for (size_t i = 0; i < table.notes.notes().size(); ++i) {
    out << "[" << i + 1 << "] " << table.notes.notes()[i] << "\n";
  }
  const size_t failed = static_cast<size_t>(std::count_if(records.begin(), records.end(), Failed));
  if (failed) {
    out << "\n" << failed << " failed:\n";
    for (const auto& r : records) {
      if (Failed(r)) out << "  " << r.name << ": " << r.error << "\n";
    }
  }
  const std::string energy = records.empty() ? "unavailable" : records.front().energy_source;
  const bool dense_column =
      std::find(t.header.begin(), t.header.end(), "vs dense") != t.header.end();
  out << "\nmedian of " << (records.empty() ? 0 : records.front().samples_ns.size())
      << " repetitions; cv = stddev/mean; roofline = achieved / min(peak, intensity x "
         "bandwidth), both measured on this machine; vs fp32 = the fp32 dense median / this "
         "median; "
      << (dense_column ? "vs dense = the dense kernel's median on the same pruned weights / this "
                         "median; "
                       : "")
      << "energy: " << energy << "\n";
  out << TrainingLines(records);
  return out.str();
}

std::string Markdown(const std::vector<ResultRecord>& records, const TableOptions& options) {
  const Table table = BuildTable(records, options);
  std::ostringstream out;
  out << RenderMarkdown(table.text);
  if (!table.notes.notes().empty()) out << "\n";
  for (size_t i = 0; i < table.notes.notes().size(); ++i) {
    out << "\\[" << i + 1 << "\\] " << Escape(table.notes.notes()[i], '|') << "  \n";
  }
  for (const auto& r : records) {
    if (Failed(r)) out << "\n**failed** `" << r.name << "`: " << Escape(r.error, '|') << "\n";
  }
  return out.str();
}

std::string Csv(const std::vector<ResultRecord>& records) {
  std::ostringstream out;
  out << "id,run_id,name,workload,precision,sparsity,backend,threads,status,median_ns,mean_ns,"
         "stddev_ns,cv,min_ns,max_ns,repetitions,flop,bytes,gflops,gbps,roofline_fraction,"
         "rel_l2,max_abs,energy_source,joules_per_iter,error,implementation,roofline_note\n";
  const auto opt = [](const std::optional<double>& v) { return v ? Fixed(*v, 6) : std::string(); };
  for (const auto& r : records) {
    const auto st = r.stats;
    out << r.id << ',' << r.run_id << ',' << Escape(r.name, ',') << ',' << r.workload << ','
        << r.variant.precision << ',' << r.variant.sparsity << ',' << r.variant.backend << ','
        << r.threads << ',' << r.StatusName() << ',' << (st ? Fixed(st->median_ns, 1) : "") << ','
        << (st ? Fixed(st->mean_ns, 1) : "") << ',' << (st ? Fixed(st->stddev_ns, 1) : "") << ','
        << (st ? Fixed(st->cv, 6) : "") << ',' << (st ? Fixed(st->min_ns, 1) : "") << ','
        << (st ? Fixed(st->max_ns, 1) : "") << ',' << r.samples_ns.size() << ',' << Fixed(r.flop, 0)
        << ',' << Fixed(r.bytes, 0) << ',' << opt(r.gflops) << ',' << opt(r.gbps) << ','
        << opt(r.roofline_fraction) << ',' << (r.rel_l2 ? Scientific(*r.rel_l2) : "") << ','
        << (r.max_abs ? Scientific(*r.max_abs) : "") << ',' << r.energy_source << ','
        << (r.joules_per_iter ? Scientific(*r.joules_per_iter) : "") << ',' << Escape(r.error, ',')
        << ',' << Escape(r.implementation, ',') << ',' << Escape(r.roofline_note.value_or(""), ',')
        << "\n";
  }
  return out.str();
}

std::string Json(const std::vector<ResultRecord>& records) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& r : records) array.push_back(result::ToJson(r));
  return array.dump(2) + "\n";
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "console") return Format::kConsole;
  if (name == "markdown") return Format::kMarkdown;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "' (known: console, markdown, csv, json)");
}

std::string RenderEfficiencyTable(const std::vector<ResultRecord>& records, Format format,
                                  const TableOptions& options) {
  switch (format) {
    case Format::kConsole:
      return Console(records, options);
    case Format::kMarkdown:
      return Markdown(records, options);
    case Format::kCsv:
      return Csv(records);
    case Format::kJson:
      return Json(records);
  }
  return {};
}

}  // namespace effbench::reports
