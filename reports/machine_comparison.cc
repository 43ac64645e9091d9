#include "reports/machine_comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "reports/html.h"
#include "reports/text_table.h"

namespace effbench::reports {
namespace {

using nlohmann::json;

const char* StateName(Cell::State s) {
  switch (s) {
    case Cell::State::kOk:
      return "ok";
    case Cell::State::kSkipped:
      return "skipped";
    case Cell::State::kFailed:
      return "failed";
    case Cell::State::kMissing:
      return "missing";
  }
  return "missing";
}

Result<Cell::State> StateFromName(const std::string& s) {
  for (auto state :
       {Cell::State::kOk, Cell::State::kSkipped, Cell::State::kFailed, Cell::State::kMissing}) {
    if (s == StateName(state)) return state;
  }
  return Status::InvalidArgument("unknown cell state \"" + s + "\"");
}

std::string Percent(double fraction) { return Fixed(100 * fraction, 0) + "%"; }

// An accuracy, to the hundredth of a point: 91.44%.
std::string Accuracy(double fraction) { return Fixed(100 * fraction, 2) + "%"; }

// A cell's accuracy difference from its baseline, in points, with its
// interval: "Δ -0.31 pt [-0.52, -0.10]".
std::string PointsDelta(const Cell& c) {
  std::string text = "Δ ";
  text.append(Fixed(100 * *c.top1_delta, 2)).append(" pt");
  if (c.top1_delta_low && c.top1_delta_high) {
    text.append(" [")
        .append(Fixed(100 * *c.top1_delta_low, 2))
        .append(", ")
        .append(Fixed(100 * *c.top1_delta_high, 2))
        .append("]");
  }
  return text;
}

std::string Times(double ratio) { return Fixed(ratio, 2) + "x"; }

constexpr char kMissNote[] =
    "(!) misses its fidelity rule (a quantized or pruned network: top-1 agreement with fp32 "
    "below 99 %, MLPerf's rule): shown, never ranked or counted in a geometric mean";

// A cell as one line of text: "8.65 ms 2.10x fp32 41% roof", then the kernel
// the backend chose when it differs along the row (`show_kernel`).
std::string CellText(const Cell& c, const std::string& baseline, bool show_kernel,
                     Footnotes& notes) {
  switch (c.state) {
    case Cell::State::kMissing:
      return "-";
    case Cell::State::kSkipped: {
      std::string text = "n/a ";
      text += notes.Mark("skipped: " + c.reason);
      return text;
    }
    case Cell::State::kFailed: {
      std::string text = "failed ";
      text += notes.Mark("failed: " + c.reason);
      return text;
    }
    case Cell::State::kOk:
      break;
  }
  std::string text;
  if (c.fidelity_miss) {
    text += "(!)";
    text += notes.Mark(kMissNote);
    if (c.top1_agreement) text.append(" top-1 ").append(Percent(*c.top1_agreement));
    text += ' ';
  }
  text += Duration(c.median_ns.value);
  // Built by appends: GCC 12 warns falsely on "literal" + string here.
  if (c.speedup) text.append(" ").append(Times(c.speedup->value)).append(" ").append(baseline);
  if (c.roofline_fraction) {
    text.append(" ").append(Percent(*c.roofline_fraction)).append(" roof");
    if (c.roofline_note) text += notes.Mark(*c.roofline_note);
  }
  if (c.top1) {
    text.append(" top-1 ").append(Accuracy(*c.top1));
    if (c.top1_delta) text.append(" ").append(PointsDelta(c));
  }
  if (show_kernel && !c.implementation.empty()) text.append(" ").append(c.implementation);
  return text;
}

// Whether the ok cells of `row` ran different kernels: then the kernel is
// what explains the difference, and the table shows it.
bool KernelsDiffer(const Row& row) {
  const std::string* first = nullptr;
  for (const Cell& c : row.cells) {
    if (c.state != Cell::State::kOk) continue;
    if (first && *first != c.implementation) return true;
    first = &c.implementation;
  }
  return false;
}

// What a row's speedups are over: its standard twin, else the baseline variant.
const std::string& SpeedupOver(const Row& r, const MachineComparison& m) {
  return r.speedup_over.empty() ? m.baseline_variant : r.speedup_over;
}

TextTable MainTable(const MachineComparison& m, Footnotes& notes) {
  TextTable t;
  t.header = {"workload", "shape", "variant", "backend", "threads"};
  t.left_columns = 4;
  for (const auto& machine : m.machines) t.header.push_back(machine.label);
  for (const Row& r : m.rows) {
    std::vector<std::string> row{r.workload, r.shape, r.variant, r.backend,
                                 std::to_string(r.threads)};
    const bool kernels = KernelsDiffer(r);
    for (const Cell& c : r.cells) row.push_back(CellText(c, SpeedupOver(r, m), kernels, notes));
    t.rows.push_back(std::move(row));
  }
  return t;
}

TextTable SummaryTable(const MachineComparison& m) {
  TextTable t;
  t.header = {"machine", "geometric mean of", "rows", "value"};
  t.left_columns = 2;
  for (const GeoMean& g : m.summaries) {
    std::string what;
    if (g.technique.empty()) {
      what = g.metric + " vs " + m.machines[m.reference].label;
    } else {
      what = g.technique + ": speedup vs " +
             (g.technique == "architecture" ? "the standard twin" : m.baseline_variant);
    }
    t.rows.push_back({m.machines[g.machine].label, what, std::to_string(g.rows), Times(g.value)});
  }
  return t;
}

std::string Legend(const MachineComparison& m) {
  std::ostringstream out;
  out << "cell: median time per run; Nx " << m.baseline_variant << " = the " << m.baseline_variant
      << " variant's median on the same machine / this median; roof = fraction of this machine's "
         "measured roofline; then, where the machines ran different kernels, the kernel each "
         "backend chose. Reference machine: "
      << m.machines[m.reference].label << ".";
  // Architecture rows name their standard twin in the cell.
  std::set<std::string> twins;
  for (const Row& r : m.rows) {
    if (!r.speedup_over.empty()) twins.insert(r.speedup_over);
  }
  for (const std::string& twin : twins) {
    out << " Nx " << twin << " = the standard architecture " << twin
        << "'s median on the same machine and input / this median.";
  }
  return out.str();
}

std::string Console(const MachineComparison& m) {
  Footnotes notes;
  std::ostringstream out;
  for (const auto& machine : m.machines) {
    out << machine.label << ": "
        << (machine.cpu.empty() ? std::string("no inventory (imported)")
                                : machine.cpu + " (" + machine.isa + ")")
        << ", run " << machine.run_id.substr(0, 13) << ", commit " << machine.commit.substr(0, 12)
        << "\n";
  }
  out << "\n" << RenderConsole(MainTable(m, notes));
  for (size_t i = 0; i < notes.notes().size(); ++i) {
    out << "[" << i + 1 << "] " << notes.notes()[i] << "\n";
  }
  if (!m.summaries.empty()) out << "\n" << RenderConsole(SummaryTable(m));
  out << "\n" << Legend(m) << "\n";
  return out.str();
}

std::string Markdown(const MachineComparison& m) {
  Footnotes notes;
  std::ostringstream out;
  out << "| machine | CPU | ISA | run | commit |\n|---|---|---|---|---|\n";
  for (const auto& machine : m.machines) {
    out << "| " << Escape(machine.label, '|') << " | " << Escape(machine.cpu, '|') << " | "
        << Escape(machine.isa, '|') << " | `" << machine.run_id.substr(0, 13) << "` | `"
        << machine.commit.substr(0, 12) << "` |\n";
  }
  if (!m.summaries.empty()) out << "\n" << RenderMarkdown(SummaryTable(m));
  const TextTable main = MainTable(m, notes);
  const bool fold = main.rows.size() > 20;
  out << "\n";
  if (fold) out << "<details><summary>" << main.rows.size() << " rows</summary>\n\n";
  out << RenderMarkdown(main);
  if (fold) out << "\n</details>\n";
  if (!notes.notes().empty()) out << "\n";
  for (size_t i = 0; i < notes.notes().size(); ++i) {
    out << "\\[" << i + 1 << "\\] " << Escape(notes.notes()[i], '|') << "  \n";
  }
  out << "\n" << Legend(m) << "\n";
  return out.str();
}

std::string Opt(const std::optional<double>& v) { return v ? Exact(*v) : std::string(); }

const char* kCsvHeader =
    "name,workload,shape,variant,backend,technique,speedup_over,network,threads,machine,"
    "machine_label,state,reason,record_id,repetitions,median_ns,median_low_ns,median_high_ns,"
    "coverage,per_second,samples_per_second,speedup,speedup_low,speedup_high,vs_reference,"
    "gflops,roofline_fraction,roofline_note,implementation,joules_per_run,model_bytes,rel_l2,top1_"
    "agreement,"
    "fidelity_miss,top1,top1_delta,top1_delta_low,top1_delta_high\n";

std::string Csv(const MachineComparison& m) {
  std::ostringstream out;
  out << kCsvHeader;
  for (const Row& r : m.rows) {
    for (size_t i = 0; i < r.cells.size(); ++i) {
      const Cell& c = r.cells[i];
      const bool ok = c.state == Cell::State::kOk;
      out << Escape(r.name, ',') << ',' << Escape(r.workload, ',') << ',' << Escape(r.shape, ',')
          << ',' << Escape(r.variant, ',') << ',' << Escape(r.backend, ',') << ','
          << Escape(r.technique, ',') << ',' << Escape(r.speedup_over, ',') << ','
          << Escape(r.network, ',') << ',' << r.threads << ',' << m.machines[i].fingerprint << ','
          << Escape(m.machines[i].label, ',') << ',' << StateName(c.state) << ','
          << Escape(c.reason, ',') << ',' << c.record_id << ',' << c.repetitions << ','
          << (ok ? Exact(c.median_ns.value) : "") << ',' << (ok ? Exact(c.median_ns.low) : "")
          << ',' << (ok ? Exact(c.median_ns.high) : "") << ',' << (ok ? Exact(c.coverage) : "")
          << ',' << (ok ? Exact(c.per_second) : "") << ',' << Opt(c.samples_per_second) << ','
          << (c.speedup ? Exact(c.speedup->value) : "") << ','
          << (c.speedup ? Exact(c.speedup->low) : "") << ','
          << (c.speedup ? Exact(c.speedup->high) : "") << ',' << Opt(c.vs_reference) << ','
          << Opt(c.gflops) << ',' << Opt(c.roofline_fraction) << ','
          << Escape(c.roofline_note.value_or(""), ',') << ',' << Escape(c.implementation, ',')
          << ',' << Opt(c.joules_per_run) << ',' << Opt(c.model_bytes) << ',' << Opt(c.rel_l2)
          << ',' << Opt(c.top1_agreement) << ',' << Escape(c.fidelity_miss.value_or(""), ',') << ','
          << Opt(c.top1) << ',' << Opt(c.top1_delta) << ',' << Opt(c.top1_delta_low) << ','
          << Opt(c.top1_delta_high) << "\n";
    }
  }
  return out.str();
}

json EstimateJson(const Estimate& e) {
  return {{"value", e.value}, {"low", e.low}, {"high", e.high}};
}

template <typename T>
void PutOpt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

json ToJson(const MachineComparison& m) {
  json machines = json::array();
  for (const auto& x : m.machines) {
    machines.push_back({{"fingerprint", x.fingerprint},
                        {"label", x.label},
                        {"cpu", x.cpu},
                        {"isa", x.isa},
                        {"run_id", x.run_id},
                        {"commit", x.commit},
                        {"started_at", x.started_at}});
  }
  json rows = json::array();
  for (const Row& r : m.rows) {
    json cells = json::array();
    for (const Cell& c : r.cells) {
      json j = {{"state", StateName(c.state)}};
      if (!c.reason.empty()) j["reason"] = c.reason;
      if (c.state == Cell::State::kOk) {
        j["record_id"] = c.record_id;
        j["repetitions"] = c.repetitions;
        j["median_ns"] = EstimateJson(c.median_ns);
        j["coverage"] = c.coverage;
        j["per_second"] = c.per_second;
        PutOpt(j, "samples_per_second", c.samples_per_second);
        if (c.speedup) j["speedup"] = EstimateJson(*c.speedup);
        PutOpt(j, "vs_reference", c.vs_reference);
        PutOpt(j, "gflops", c.gflops);
        PutOpt(j, "roofline_fraction", c.roofline_fraction);
        PutOpt(j, "roofline_note", c.roofline_note);
        if (!c.implementation.empty()) j["implementation"] = c.implementation;
        PutOpt(j, "joules_per_run", c.joules_per_run);
        PutOpt(j, "model_bytes", c.model_bytes);
        PutOpt(j, "rel_l2", c.rel_l2);
        PutOpt(j, "top1_agreement", c.top1_agreement);
        PutOpt(j, "top1", c.top1);
        PutOpt(j, "top1_delta", c.top1_delta);
        PutOpt(j, "top1_delta_low", c.top1_delta_low);
        PutOpt(j, "top1_delta_high", c.top1_delta_high);
        PutOpt(j, "fidelity_miss", c.fidelity_miss);
      } else if (!c.record_id.empty()) {
        j["record_id"] = c.record_id;
      }
      cells.push_back(std::move(j));
    }
    rows.push_back({{"name", r.name},
                    {"workload", r.workload},
                    {"shape", r.shape},
                    {"variant", r.variant},
                    {"backend", r.backend},
                    {"technique", r.technique},
                    {"speedup_over", r.speedup_over},
                    {"network", r.network},
                    {"threads", r.threads},
                    {"cells", std::move(cells)}});
  }
  json summaries = json::array();
  for (const GeoMean& g : m.summaries) {
    summaries.push_back({{"machine", g.machine},
                         {"technique", g.technique},
                         {"metric", g.metric},
                         {"value", g.value},
                         {"rows", g.rows}});
  }
  return {{"kind", "effbench.machine_comparison/1"},
          {"baseline_variant", m.baseline_variant},
          {"reference", m.reference},
          {"confidence", m.confidence},
          {"machines", std::move(machines)},
          {"summaries", std::move(summaries)},
          {"rows", std::move(rows)}};
}

// ---- HTML ----

std::string Marker(size_t machine, double x, double y, bool front, bool hollow,
                   const std::string& title) {
  std::ostringstream out;
  const std::string fill = hollow ? "#fff" : Colour(machine);
  const std::string stroke = front ? "#000" : hollow ? Colour(machine) : "none";
  out << "<g class=\"point\"><title>" << Html(title) << "</title>";
  switch ((machine / 8) % 2) {
    case 0:
      out << "<circle cx=\"" << Fixed(x, 1) << "\" cy=\"" << Fixed(y, 1) << "\" r=\"5\" fill=\""
          << fill << "\" stroke=\"" << stroke << "\" stroke-width=\"2\"/>";
      break;
    default:
      out << "<rect x=\"" << Fixed(x - 5, 1) << "\" y=\"" << Fixed(y - 5, 1)
          << "\" width=\"10\" height=\"10\" fill=\"" << fill << "\" stroke=\"" << stroke
          << "\" stroke-width=\"2\"/>";
  }
  out << "</g>";
  return out.str();
}

// A log-scale axis over [lo, hi].
struct LogAxis {
  double lo, hi;
  double At(double v, double from, double to) const {
    const double t = (std::log10(std::max(v, lo)) - std::log10(lo)) /
                     std::max(1e-12, std::log10(hi) - std::log10(lo));
    return from + t * (to - from);
  }
};

LogAxis AxisOver(const std::vector<double>& values) {
  double lo = 1e300, hi = 0;
  for (double v : values) {
    if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (hi <= 0) return {1e-12, 1};
  if (lo == hi) return {lo / 2, hi * 2};
  return {lo / 1.5, hi * 1.5};
}

std::string ParetoSvg(const MachineComparison& m, const std::string& network,
                      const std::string& axis) {
  const auto points = ParetoFront(m, network, axis);
  if (points.size() < 2) return "";
  std::vector<double> xs, ys;
  for (const auto& p : points) xs.push_back(p.latency_ns), ys.push_back(p.quality);
  const LogAxis ax = AxisOver(xs), ay = AxisOver(ys);
  const double w = 480, h = 300, left = 70, right = 15, top = 15, bottom = 45;
  std::ostringstream out;
  const std::string y_name = axis == "rel_l2"       ? "relative L2 error vs reference (log)"
                             : axis == "top1_error" ? "top-1 error on the test set (log)"
                                                    : "model bytes (log)";
  out << "<figure class=\"chart\" data-network=\"" << Html(network) << "\" data-axis=\"" << axis
      << "\"><svg viewBox=\"0 0 " << w << " " << h
      << "\" role=\"img\" aria-label=\"Pareto front of " << Html(network) << ": latency against "
      << Html(y_name) << "\">";
  out << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << w - left - right
      << "\" height=\"" << h - top - bottom << "\" fill=\"none\" stroke=\"#888\"/>";
  out << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 8
      << "\" text-anchor=\"middle\" class=\"axis\">median latency (log)</text>";
  out << "<text transform=\"translate(14," << (top + h - bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\" class=\"axis\">" << Html(y_name) << "</text>";
  const auto tick_label = [&](double v, bool x) {
    return x                      ? Duration(v)
           : axis == "rel_l2"     ? Scientific(v)
           : axis == "top1_error" ? Accuracy(v)
                                  : Bytes(v);
  };
  for (int i = 0; i <= 1; ++i) {
    const double vx = i == 0 ? ax.lo * 1.5 : ax.hi / 1.5;
    const double vy = i == 0 ? ay.lo * 1.5 : ay.hi / 1.5;
    out << "<text x=\"" << Fixed(ax.At(vx, left, w - right), 1) << "\" y=\"" << h - bottom + 14
        << "\" text-anchor=\"middle\" class=\"tick\">" << Html(tick_label(vx, true)) << "</text>";
    out << "<text x=\"" << left - 4 << "\" y=\"" << Fixed(ay.At(vy, h - bottom, top), 1)
        << "\" text-anchor=\"end\" class=\"tick\">" << Html(tick_label(vy, false)) << "</text>";
  }
  // The front as a staircase line, then every point.
  std::vector<ParetoPoint> front;
  for (const auto& p : points) {
    if (p.on_front) front.push_back(p);
  }
  std::sort(front.begin(), front.end(),
            [](const ParetoPoint& a, const ParetoPoint& b) { return a.latency_ns < b.latency_ns; });
  if (front.size() >= 2) {
    out << "<polyline class=\"front\" fill=\"none\" stroke=\"#444\" stroke-dasharray=\"4 3\" "
           "points=\"";
    for (size_t i = 0; i < front.size(); ++i) {
      const double x = ax.At(front[i].latency_ns, left, w - right);
      const double y = ay.At(front[i].quality, h - bottom, top);
      if (i > 0)
        out << Fixed(x, 1) << "," << Fixed(ay.At(front[i - 1].quality, h - bottom, top), 1) << " ";
      out << Fixed(x, 1) << "," << Fixed(y, 1) << " ";
    }
    out << "\"/>";
  }
  for (const auto& p : points) {
    const Row& r = m.rows[p.row];
    const std::string title = r.variant + " " + r.backend + " on " + m.machines[p.machine].label +
                              ": " + Duration(p.latency_ns) + ", " + tick_label(p.quality, false) +
                              (p.on_front ? " (on the front)" : "") +
                              (p.misses_rule ? " (misses its fidelity rule)" : "");
    out << Marker(p.machine, ax.At(p.latency_ns, left, w - right),
                  ay.At(p.quality, h - bottom, top), p.on_front, p.misses_rule, title);
  }
  out << "</svg><figcaption><span class=\"legend\">";
  std::set<size_t> shown;
  for (const auto& p : points) shown.insert(p.machine);
  for (size_t i : shown) {
    out << "<span><svg width=\"12\" height=\"12\">"
        << ((i / 8) % 2 ? "<rect x=\"1\" y=\"1\" width=\"10\" height=\"10\" fill=\""
                        : "<circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"")
        << Colour(i) << "\"/></svg> " << Html(m.machines[i].label) << "</span>";
  }
  out << "<span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"4\" fill=\"#fff\" "
         "stroke=\"#000\" stroke-width=\"2\"/></svg> ringed: on the Pareto front (dashed)</span>"
         "<span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"4\" fill=\"#fff\" "
         "stroke=\"#666\" stroke-width=\"2\"/></svg> hollow: misses its fidelity rule</span>"
      << "</span> " << Html(network) << ": latency against " << Html(y_name)
      << "; lower left is better.</figcaption></figure>\n";
  return out.str();
}

std::string HtmlCell(const Cell& c, const Row& row, const MachineComparison& m, Footnotes& notes) {
  std::ostringstream out;
  switch (c.state) {
    case Cell::State::kMissing:
      return "<td class=\"missing\">-</td>";
    case Cell::State::kSkipped:
      return "<td class=\"na\">n/a <sup>" + Html(notes.Mark("skipped: " + c.reason)) +
             "</sup></td>";
    case Cell::State::kFailed:
      return "<td class=\"failed\">failed <sup>" + Html(notes.Mark("failed: " + c.reason)) +
             "</sup></td>";
    case Cell::State::kOk:
      break;
  }
  out << "<td class=\"ok" << (c.fidelity_miss ? " miss" : "") << "\" id=\"r-" << Html(c.record_id)
      << "\"><a class=\"median\" href=\"#rec-" << Html(c.record_id) << "\" title=\"record "
      << Html(c.record_id) << ", " << c.repetitions << " repetitions, "
      << Fixed(100 * c.coverage, 0) << " % interval " << Duration(c.median_ns.low) << " .. "
      << Duration(c.median_ns.high) << "\">" << Duration(c.median_ns.value) << "</a>";
  if (c.fidelity_miss) {
    out << " <span class=\"flag\" title=\"" << Html(*c.fidelity_miss) << "\">(!)<sup>"
        << Html(notes.Mark(kMissNote)) << "</sup></span>";
  }
  out << "<br><span class=\"sub\">";
  if (c.samples_per_second) {
    out << Quantity(*c.samples_per_second, "samples/s") << " (" << Quantity(c.per_second, "runs/s")
        << ")";
  } else {
    out << Quantity(c.per_second, "runs/s");
  }
  if (c.speedup) {
    out << " · " << Times(c.speedup->value) << " " << Html(SpeedupOver(row, m)) << " ["
        << Fixed(c.speedup->low, 2) << ", " << Fixed(c.speedup->high, 2) << "]";
  }
  if (c.vs_reference) out << " · " << Times(*c.vs_reference) << " ref";
  out << "</span><br><span class=\"sub\">";
  if (c.roofline_fraction) {
    out << Percent(*c.roofline_fraction) << " roof";
    if (c.roofline_note) out << " <sup>" << Html(notes.Mark(*c.roofline_note)) << "</sup>";
  }
  if (!c.implementation.empty()) out << " <code>" << Html(c.implementation) << "</code>";
  out << "</span>";
  if (c.joules_per_run || c.model_bytes || c.rel_l2 || c.top1_agreement) {
    out << "<br><span class=\"sub\">";
    if (c.joules_per_run) out << Scientific(*c.joules_per_run) << " J ";
    if (c.model_bytes) out << Bytes(*c.model_bytes) << " ";
    if (c.rel_l2) out << "rel_l2 " << Scientific(*c.rel_l2) << " ";
    if (c.top1_agreement) out << "top-1 agreement " << Percent(*c.top1_agreement);
    out << "</span>";
  }
  if (c.top1) {
    out << "<br><span class=\"sub accuracy\">top-1 " << Accuracy(*c.top1);
    if (c.top1_delta) out << " " << Html(PointsDelta(c));
    out << "</span>";
  }
  out << "</td>";
  return out.str();
}

std::string HtmlPage(const MachineComparison& m, const PageFilters* filters) {
  Footnotes notes;
  std::ostringstream out;
  out << PageHead("effbench: efficiency across machines") << "<h1>Efficiency across "
      << m.machines.size() << " machine(s)</h1>\n";
  if (filters) out << FilterForm(*filters, "/");
  out << "<h2>Machines</h2><div class=\"scroll\"><table id=\"machines\"><tr><th>machine</th>"
         "<th>CPU</th><th>ISA</th><th>run</th><th>commit</th><th>started</th></tr>";
  for (size_t i = 0; i < m.machines.size(); ++i) {
    const auto& x = m.machines[i];
    out << "<tr><td><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" fill=\""
        << Colour(i) << "\"/></svg> " << Html(x.label) << (i == m.reference ? " (reference)" : "")
        << "</td><td>" << Html(x.cpu) << "</td><td>" << Html(x.isa) << "</td><td><code>"
        << Html(x.run_id) << "</code></td><td><code>" << Html(x.commit.substr(0, 12))
        << "</code></td><td>" << Html(x.started_at) << "</td></tr>";
  }
  out << "</table></div>\n";
  if (!m.summaries.empty()) {
    out << "<h2>Geometric means</h2><div class=\"scroll\"><table id=\"summary\"><tr>"
           "<th>machine</th><th>geometric mean of</th><th>rows</th><th>value</th></tr>";
    // The rows of the console's summary table, so both say the same.
    for (const auto& row : SummaryTable(m).rows) {
      out << "<tr><td>" << Html(row[0]) << "</td><td>" << Html(row[1]) << "</td><td class=\"num\">"
          << Html(row[2]) << "</td><td class=\"num\">" << Html(row[3]) << "</td></tr>";
    }
    out << "</table></div>\n";
  }
  out << "<h2>Efficiency</h2><p class=\"sub\">" << Html(Legend(m))
      << " The interval under each median is distribution-free (order statistics); the "
         "speedup's is a percentile bootstrap.</p><div class=\"scroll\"><table id=\"efficiency\">"
         "<tr><th>workload</th><th>shape</th><th>variant</th><th>backend</th><th>threads</th>";
  for (const auto& x : m.machines) out << "<th>" << Html(x.label) << "</th>";
  out << "</tr>\n";
  for (const Row& r : m.rows) {
    out << "<tr><td>" << Html(r.workload) << "</td><td>" << Html(r.shape) << "</td><td>"
        << Html(r.variant) << "</td><td>" << Html(r.backend) << "</td><td class=\"num\">"
        << r.threads << "</td>";
    for (const Cell& c : r.cells) out << HtmlCell(c, r, m, notes);
    out << "</tr>\n";
  }
  out << "</table></div>\n";
  if (!notes.notes().empty()) {
    out << "<ol class=\"notes\">";
    for (const auto& n : notes.notes()) out << "<li>" << Html(n) << "</li>";
    out << "</ol>\n";
  }
  std::vector<std::string> networks;
  for (const Row& r : m.rows) {
    if (std::find(networks.begin(), networks.end(), r.network) == networks.end()) {
      networks.push_back(r.network);
    }
  }
  std::ostringstream charts;
  for (const auto& n : networks) {
    // Against accuracy where the network was judged on a real test set,
    // else against fidelity.
    const bool judged = std::any_of(m.rows.begin(), m.rows.end(), [&](const Row& r) {
      return r.network == n && std::any_of(r.cells.begin(), r.cells.end(),
                                           [](const Cell& c) { return c.top1.has_value(); });
    });
    charts << ParetoSvg(m, n, judged ? "top1_error" : "rel_l2") << ParetoSvg(m, n, "model_bytes");
  }
  if (!charts.str().empty()) {
    out << "<h2>Pareto fronts</h2><div class=\"charts\">" << charts.str() << "</div>\n";
  }
  out << "<h2>Records</h2><div class=\"scroll\"><table id=\"records\"><tr><th>record</th>"
         "<th>workload id</th><th>machine</th><th>repetitions</th><th>median</th>"
         "<th>interval</th></tr>";
  for (const Row& r : m.rows) {
    for (size_t i = 0; i < r.cells.size(); ++i) {
      const Cell& c = r.cells[i];
      if (c.state != Cell::State::kOk) continue;
      out << "<tr id=\"rec-" << Html(c.record_id) << "\"><td><code>" << Html(c.record_id)
          << "</code></td><td>" << Html(r.name) << "</td><td>" << Html(m.machines[i].label)
          << "</td><td class=\"num\">" << c.repetitions << "</td><td class=\"num\">"
          << Duration(c.median_ns.value) << "</td><td class=\"num\">" << Duration(c.median_ns.low)
          << " .. " << Duration(c.median_ns.high) << "</td></tr>";
    }
  }
  out << "</table></div>\n</body></html>\n";
  return out.str();
}

Estimate EstimateFrom(const json& j) {
  return {j.at("value").get<double>(), j.at("low").get<double>(), j.at("high").get<double>()};
}

template <typename T>
void GetOpt(const json& j, const char* key, std::optional<T>& out) {
  if (j.contains(key)) out = j.at(key).get<T>();
}

}  // namespace

std::vector<ParetoPoint> ParetoFront(const MachineComparison& m, const std::string& network,
                                     const std::string& axis) {
  std::vector<ParetoPoint> points;
  for (size_t r = 0; r < m.rows.size(); ++r) {
    const Row& row = m.rows[r];
    if (row.network != network) continue;
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const Cell& c = row.cells[i];
      if (c.state != Cell::State::kOk) continue;
      const std::optional<double> y =
          axis == "rel_l2"       ? c.rel_l2
          : axis == "top1_error" ? (c.top1 ? std::optional<double>(1 - *c.top1) : std::nullopt)
                                 : c.model_bytes;
      if (!y) continue;
      points.push_back({r, i, c.median_ns.value, *y, false, c.fidelity_miss.has_value()});
    }
  }
  for (auto& p : points) {
    if (p.misses_rule) continue;
    p.on_front = std::none_of(points.begin(), points.end(), [&](const ParetoPoint& q) {
      return !q.misses_rule && q.latency_ns <= p.latency_ns && q.quality <= p.quality &&
             (q.latency_ns < p.latency_ns || q.quality < p.quality);
    });
  }
  return points;
}

Result<ComparisonFormat> ParseComparisonFormat(const std::string& name) {
  if (name == "console") return ComparisonFormat::kConsole;
  if (name == "markdown") return ComparisonFormat::kMarkdown;
  if (name == "csv") return ComparisonFormat::kCsv;
  if (name == "json") return ComparisonFormat::kJson;
  if (name == "html") return ComparisonFormat::kHtml;
  return Status::InvalidArgument("unknown format '" + name +
                                 "' (known: console, markdown, csv, json, html)");
}

std::string RenderMachineComparison(const MachineComparison& m, ComparisonFormat format) {
  switch (format) {
    case ComparisonFormat::kConsole:
      return Console(m);
    case ComparisonFormat::kMarkdown:
      return Markdown(m);
    case ComparisonFormat::kCsv:
      return Csv(m);
    case ComparisonFormat::kJson:
      return ToJson(m).dump(2) + "\n";
    case ComparisonFormat::kHtml:
      return HtmlPage(m, nullptr);
  }
  return {};
}

std::string RenderMachineComparisonPage(const MachineComparison& comparison,
                                        const PageFilters& filters) {
  return HtmlPage(comparison, &filters);
}

std::string RenderEmptyPage(const std::string& problem, const PageFilters& filters, bool history) {
  return PageHead("effbench") +
         (history ? "<h1>History</h1>\n" : "<h1>Efficiency across machines</h1>\n") +
         FilterForm(filters, history ? "/history" : "/") + "<p id=\"problem\">" + Html(problem) +
         "</p>\n</body></html>\n";
}

Result<MachineComparison> MachineComparisonFromJson(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("not JSON");
  if (!j.is_object() || j.value("kind", "") != "effbench.machine_comparison/1") {
    return Status::InvalidArgument("not an effbench machine comparison (kind)");
  }
  try {
    MachineComparison m;
    m.baseline_variant = j.at("baseline_variant").get<std::string>();
    m.reference = j.at("reference").get<size_t>();
    m.confidence = j.at("confidence").get<double>();
    for (const auto& x : j.at("machines")) {
      m.machines.push_back({x.at("fingerprint"), x.at("label"), x.at("cpu"), x.at("isa"),
                            x.at("run_id"), x.at("commit"), x.at("started_at")});
    }
    for (const auto& g : j.at("summaries")) {
      m.summaries.push_back(
          {g.at("machine"), g.at("technique"), g.at("metric"), g.at("value"), g.at("rows")});
    }
    for (const auto& r : j.at("rows")) {
      Row row{r.at("name"),
              r.at("workload"),
              r.at("shape"),
              r.at("variant"),
              r.at("backend"),
              r.at("technique"),
              r.value("speedup_over", ""),
              r.at("network"),
              r.at("threads"),
              {}};
      for (const auto& c : r.at("cells")) {
        Cell cell;
        auto state = StateFromName(c.at("state").get<std::string>());
        if (!state.ok()) return state.status();
        cell.state = *state;
        cell.reason = c.value("reason", "");
        cell.record_id = c.value("record_id", "");
        if (cell.state == Cell::State::kOk) {
          cell.repetitions = c.at("repetitions");
          cell.median_ns = EstimateFrom(c.at("median_ns"));
          cell.coverage = c.at("coverage");
          cell.per_second = c.at("per_second");
          GetOpt(c, "samples_per_second", cell.samples_per_second);
          if (c.contains("speedup")) cell.speedup = EstimateFrom(c.at("speedup"));
          GetOpt(c, "vs_reference", cell.vs_reference);
          GetOpt(c, "gflops", cell.gflops);
          GetOpt(c, "roofline_fraction", cell.roofline_fraction);
          GetOpt(c, "roofline_note", cell.roofline_note);
          cell.implementation = c.value("implementation", "");
          GetOpt(c, "joules_per_run", cell.joules_per_run);
          GetOpt(c, "model_bytes", cell.model_bytes);
          GetOpt(c, "rel_l2", cell.rel_l2);
          GetOpt(c, "top1_agreement", cell.top1_agreement);
          GetOpt(c, "top1", cell.top1);
          GetOpt(c, "top1_delta", cell.top1_delta);
          GetOpt(c, "top1_delta_low", cell.top1_delta_low);
          GetOpt(c, "top1_delta_high", cell.top1_delta_high);
          GetOpt(c, "fidelity_miss", cell.fidelity_miss);
        }
        row.cells.push_back(std::move(cell));
      }
      if (row.cells.size() != m.machines.size()) {
        return Status::InvalidArgument("row " + row.name + " has " +
                                       std::to_string(row.cells.size()) + " cells for " +
                                       std::to_string(m.machines.size()) + " machines");
      }
      m.rows.push_back(std::move(row));
    }
    return m;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("machine comparison JSON: ") + e.what());
  }
}

}  // namespace effbench::reports
