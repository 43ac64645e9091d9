#include "reports/history.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/html.h"
#include "reports/text_table.h"

namespace effbench::reports {
namespace {

using nlohmann::json;

std::string ChangeText(const HistoryChange& c) {
  std::string text = "#";
  text += std::to_string(c.id);
  text.append(" ").append(c.direction).append(" ").append(SignedPercent(c.change));
  text.append(" (").append(c.state).append(") ").append(c.last_good_commit.substr(0, 10));
  text.append("..").append(c.first_bad_commit.substr(0, 10));
  return text;
}

// The changes whose first bad commit is `commit`.
std::string ChangesAt(const HistorySeries& s, const std::string& commit) {
  std::string text;
  for (const auto& c : s.changes) {
    if (c.first_bad_commit != commit) continue;
    if (!text.empty()) text += "; ";
    text += ChangeText(c);
  }
  return text;
}

std::string SeriesTitle(const HistorySeries& s) {
  return s.name + " on " + s.machine_label + ", " + std::to_string(s.threads) + " thread(s)";
}

TextTable SeriesTable(const HistorySeries& s) {
  TextTable t;
  t.header = {"commit", "commit time", "repetitions", "median", "IQR", "change"};
  t.left_columns = 2;
  for (const auto& p : s.points) {
    t.rows.push_back({p.commit.substr(0, 12), p.commit_time, std::to_string(p.repetitions),
                      Duration(p.median_ns),
                      Duration(p.q1_ns).append(" .. ").append(Duration(p.q3_ns)),
                      ChangesAt(s, p.commit)});
  }
  return t;
}

std::string Console(const History& h, bool markdown) {
  std::ostringstream out;
  for (const auto& s : h.series) {
    out << (markdown ? "### " : "") << SeriesTitle(s) << "\n";
    if (markdown) out << "\n";
    const TextTable t = SeriesTable(s);
    out << (markdown ? RenderMarkdown(t) : RenderConsole(t)) << "\n";
  }
  out << "median and interquartile range of each commit's repetitions (its runs pooled); "
         "a change is shown at its first bad commit: #id, direction, size, state, and its "
         "commit range (last good .. first bad)\n";
  return out.str();
}

std::string Csv(const History& h) {
  std::ostringstream out;
  out << "machine,machine_label,name,threads,commit,commit_time,run_id,repetitions,median_ns,"
         "q1_ns,q3_ns,changes\n";
  for (const auto& s : h.series) {
    for (const auto& p : s.points) {
      out << s.fingerprint << ',' << Escape(s.machine_label, ',') << ',' << Escape(s.name, ',')
          << ',' << s.threads << ',' << p.commit << ',' << p.commit_time << ',' << p.run_id << ','
          << p.repetitions << ',' << Exact(p.median_ns) << ',' << Exact(p.q1_ns) << ','
          << Exact(p.q3_ns) << ',' << Escape(ChangesAt(s, p.commit), ',') << "\n";
    }
  }
  return out.str();
}

json ToJson(const History& h) {
  json series = json::array();
  for (const auto& s : h.series) {
    json points = json::array();
    for (const auto& p : s.points) {
      points.push_back({{"commit", p.commit},
                        {"commit_time", p.commit_time},
                        {"run_id", p.run_id},
                        {"repetitions", p.repetitions},
                        {"median_ns", p.median_ns},
                        {"q1_ns", p.q1_ns},
                        {"q3_ns", p.q3_ns}});
    }
    json changes = json::array();
    for (const auto& c : s.changes) {
      changes.push_back({{"id", c.id},
                         {"direction", c.direction},
                         {"state", c.state},
                         {"last_good_commit", c.last_good_commit},
                         {"first_bad_commit", c.first_bad_commit},
                         {"change", c.change},
                         {"pvalue", c.pvalue}});
    }
    series.push_back({{"anchor", s.anchor},
                      {"machine", s.fingerprint},
                      {"machine_label", s.machine_label},
                      {"name", s.name},
                      {"threads", s.threads},
                      {"points", std::move(points)},
                      {"changes", std::move(changes)}});
  }
  return {{"kind", "effbench.history/1"}, {"series", std::move(series)}};
}

// One series as a chart: commits along x in order, the median with its IQR
// as a bar, each change a dashed line between its last good and first bad
// commit, labelled with its id.
std::string SeriesSvg(const HistorySeries& s) {
  const double w = 640, h = 260, left = 70, right = 15, top = 20, bottom = 40;
  double lo = 1e300, hi = 0;
  for (const auto& p : s.points) lo = std::min(lo, p.q1_ns), hi = std::max(hi, p.q3_ns);
  if (s.points.empty() || hi <= 0) return "";
  if (hi - lo < hi * 1e-3) lo -= hi * 0.01, hi += hi * 0.01;
  const double pad = (hi - lo) * 0.08;
  lo = std::max(0.0, lo - pad);
  hi += pad;
  const size_t n = s.points.size();
  const auto x = [&](size_t i) {
    return n == 1 ? (left + w - right) / 2
                  : left + static_cast<double>(i) * (w - left - right) / static_cast<double>(n - 1);
  };
  const auto y = [&](double v) { return h - bottom - (v - lo) / (hi - lo) * (h - top - bottom); };
  std::ostringstream out;
  out << "<figure class=\"chart history\" id=\"" << Html(s.anchor) << "\"><svg viewBox=\"0 0 " << w
      << " " << h << "\" role=\"img\" aria-label=\"" << Html(SeriesTitle(s)) << "\">";
  out << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << w - left - right
      << "\" height=\"" << h - top - bottom << "\" fill=\"none\" stroke=\"#888\"/>";
  for (double v : {lo, (lo + hi) / 2, hi}) {
    out << "<text x=\"" << left - 4 << "\" y=\"" << Fixed(y(v) + 3, 1)
        << "\" text-anchor=\"end\" class=\"tick\">" << Html(Duration(v)) << "</text>";
  }
  out << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 6
      << "\" text-anchor=\"middle\" class=\"axis\">commits, oldest first (" << n << ")</text>";
  for (const auto& c : s.changes) {
    const auto at = std::find_if(s.points.begin(), s.points.end(), [&](const HistoryPoint& p) {
      return p.commit == c.first_bad_commit;
    });
    if (at == s.points.end()) continue;
    const size_t i = static_cast<size_t>(at - s.points.begin());
    const double cx = i == 0 ? x(0) : (x(i - 1) + x(i)) / 2;
    const char* colour = c.direction == "regression" ? "#D55E00" : "#009E73";
    out << "<g class=\"change\"><title>" << Html(ChangeText(c))
        << "</title><line class=\"change\" x1=\"" << Fixed(cx, 1) << "\" x2=\"" << Fixed(cx, 1)
        << "\" y1=\"" << top << "\" y2=\"" << h - bottom << "\" stroke=\"" << colour
        << "\" stroke-dasharray=\"5 3\"/><text x=\"" << Fixed(cx + 3, 1) << "\" y=\"" << top + 12
        << "\" class=\"tick\" fill=\"" << colour << "\">#" << c.id << " "
        << Html(SignedPercent(c.change)) << "</text></g>";
  }
  out << "<polyline fill=\"none\" stroke=\"" << Colour(0) << "\" stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < n; ++i) {
    out << Fixed(x(i), 1) << "," << Fixed(y(s.points[i].median_ns), 1) << " ";
  }
  out << "\"/>";
  for (size_t i = 0; i < n; ++i) {
    const auto& p = s.points[i];
    out << "<g class=\"point\"><title>" << Html(p.commit.substr(0, 12)) << " "
        << Html(p.commit_time) << ": median " << Duration(p.median_ns) << ", IQR "
        << Duration(p.q1_ns) << " .. " << Duration(p.q3_ns) << ", " << p.repetitions
        << " repetitions</title><line x1=\"" << Fixed(x(i), 1) << "\" x2=\"" << Fixed(x(i), 1)
        << "\" y1=\"" << Fixed(y(p.q1_ns), 1) << "\" y2=\"" << Fixed(y(p.q3_ns), 1)
        << "\" stroke=\"" << Colour(0) << "\"/><circle cx=\"" << Fixed(x(i), 1) << "\" cy=\""
        << Fixed(y(p.median_ns), 1) << "\" r=\"3\" fill=\"" << Colour(0) << "\"/></g>";
  }
  out << "</svg><figcaption><span class=\"legend\"><span><svg width=\"12\" height=\"12\"><circle "
         "cx=\"6\" cy=\"6\" r=\"4\" fill=\""
      << Colour(0)
      << "\"/></svg> median, bar: interquartile range</span><span><svg width=\"12\" height=\"12\">"
         "<line x1=\"6\" x2=\"6\" y1=\"0\" y2=\"12\" stroke=\"#D55E00\" stroke-width=\"2\" "
         "stroke-dasharray=\"3 2\"/></svg> regression</span><span><svg width=\"12\" "
         "height=\"12\"><line x1=\"6\" x2=\"6\" y1=\"0\" y2=\"12\" stroke=\"#009E73\" "
         "stroke-width=\"2\" stroke-dasharray=\"3 2\"/></svg> improvement</span></span> "
      << Html(SeriesTitle(s)) << "; time per run, lower is better.</figcaption></figure>\n";
  return out.str();
}

std::string HtmlPage(const History& h, const PageFilters* filters) {
  std::ostringstream out;
  out << PageHead("effbench: history") << "<h1>History of " << h.series.size() << " series</h1>\n";
  if (filters) out << FilterForm(*filters, "/history");
  out << "<h2>Changes</h2><div class=\"scroll\"><table id=\"changes\"><tr><th>id</th>"
         "<th>series</th><th>direction</th><th>change</th><th>p</th><th>commits</th>"
         "<th>state</th></tr>";
  for (const auto& s : h.series) {
    for (const auto& c : s.changes) {
      out << "<tr><td class=\"num\">" << c.id << "</td><td><a href=\"#" << Html(s.anchor) << "\">"
          << Html(SeriesTitle(s)) << "</a></td><td>" << Html(c.direction)
          << "</td><td class=\"num\">" << Html(SignedPercent(c.change)) << "</td><td class=\"num\">"
          << Scientific(c.pvalue) << "</td><td><code>" << Html(c.last_good_commit.substr(0, 10))
          << "..</code><code>" << Html(c.first_bad_commit.substr(0, 10)) << "</code></td><td>"
          << Html(c.state) << "</td></tr>";
    }
  }
  out << "</table></div>\n<h2>Series</h2><div class=\"charts\">";
  for (const auto& s : h.series) out << SeriesSvg(s);
  out << "</div>\n</body></html>\n";
  return out.str();
}

}  // namespace

std::string RenderHistory(const History& history, ComparisonFormat format) {
  switch (format) {
    case ComparisonFormat::kConsole:
      return Console(history, false);
    case ComparisonFormat::kMarkdown:
      return Console(history, true);
    case ComparisonFormat::kCsv:
      return Csv(history);
    case ComparisonFormat::kJson:
      return ToJson(history).dump(2) + "\n";
    case ComparisonFormat::kHtml:
      return HtmlPage(history, nullptr);
  }
  return {};
}

std::string RenderHistoryPage(const History& history, const PageFilters& filters) {
  return HtmlPage(history, &filters);
}

}  // namespace effbench::reports
