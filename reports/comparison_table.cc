#include "reports/comparison_table.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/result/record.h"
#include "reports/text_table.h"

namespace effbench::reports {
namespace {

// A ratio of medians as the change it means: 1.12 -> "+12.0%".
std::string Percent(double ratio) { return SignedPercent(ratio - 1); }

std::string Significance(double p) { return p < 0.001 ? Scientific(p) : Fixed(p, 3); }

int Rank(const ComparisonRow& r) {
  if (r.verdict == "regression") return 0;
  if (r.verdict == "improvement") return 1;
  if (r.verdict == "changed") return 2;
  if (r.verdict == "inconclusive") return 3;
  return 4;
}

size_t Count(const Comparison& c, const char* verdict) {
  return static_cast<size_t>(std::count_if(c.rows.begin(), c.rows.end(),
                                           [&](const auto& r) { return r.verdict == verdict; }));
}

std::string Series(const ComparisonRow& r) {
  std::string s = result::DisplayName(r.name);
  if (r.metric != "time") s.append(" [").append(r.metric).append("]");
  return s;
}

TextTable Build(const Comparison& c) {
  std::vector<const ComparisonRow*> rows;
  for (const auto& r : c.rows) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (Rank(*a) != Rank(*b)) return Rank(*a) < Rank(*b);
    return std::fabs(a->ratio - 1) > std::fabs(b->ratio - 1);
  });
  TextTable t;
  t.left_columns = 4;
  t.header = {"verdict",   "machine", "workload",
              "measure",   "threads", "baseline",
              "candidate", "change",  Fixed(100 * c.confidence, 0) + "% CI",
              "p",         "q",       "reps"};
  const std::string star = " *";
  for (const auto* r : rows) {
    t.rows.push_back({VerdictWord(*r) + (r->warning.empty() ? std::string() : star), r->host,
                      result::DisplayName(r->name), r->metric, std::to_string(r->threads),
                      Quantity(r->baseline_median, r->unit), Quantity(r->candidate_median, r->unit),
                      Percent(r->ratio), Percent(r->ratio_low) + " .. " + Percent(r->ratio_high),
                      Significance(r->pvalue), Significance(r->qvalue),
                      std::to_string(r->baseline_n) + " vs " + std::to_string(r->candidate_n)});
  }
  return t;
}

std::string GeomeanLine(const Comparison& c) {
  if (c.geomeans.empty()) return {};
  std::string line = "geometric mean of the changes:";
  for (const auto& g : c.geomeans) {
    line.append(" ").append(g.metric).append(" ").append(Percent(g.ratio));
    line.append(" (").append(std::to_string(g.series)).append(" series)");
    if (&g != &c.geomeans.back()) line += ',';
  }
  return line;
}

std::string Footer(const Comparison& c) {
  std::ostringstream out;
  out << "\n"
      << c.rows.size() << " measures compared: " << c.regressions() << " regression(s), "
      << c.improvements() << " improvement(s), " << Count(c, "inconclusive") << " inconclusive";
  if (const size_t changed = Count(c, "changed")) out << ", " << changed << " changed";
  if (c.only_in_baseline || c.only_in_candidate) {
    out << "; " << c.only_in_baseline << " series only in the baseline, " << c.only_in_candidate
        << " only in the candidate";
  }
  out << ".\n";
  if (const std::string g = GeomeanLine(c); !g.empty()) out << g << "\n";
  if (!c.missing.empty()) {
    out << "Missing from the candidate (" << c.missing.size() << "):\n";
    for (size_t i = 0; i < c.missing.size() && i < 20; ++i) {
      const auto& m = c.missing[i];
      out << "  " << result::DisplayName(m.name) << " on " << m.host << " (" << m.threads
          << " thread" << (m.threads == 1 ? "" : "s") << "): " << m.reason << "\n";
    }
    if (c.missing.size() > 20) out << "  ... and " << c.missing.size() - 20 << " more\n";
  }
  out << "A change counts when Benjamini-Hochberg q <= " << c.alpha
      << " (Mann-Whitney U on the repetitions) and |change| >= " << Fixed(100 * c.threshold, 1)
      << "%; unchanged: the CI lies within +-" << Fixed(100 * c.threshold, 1)
      << "%; inconclusive: it does not, and nothing is confirmed. change = candidate median / "
         "baseline median - 1, CI by bootstrap.\n";
  std::vector<std::string> warnings;
  for (const auto& r : c.rows) {
    if (!r.warning.empty()) {
      std::string w = "  ";
      w += Series(r);
      w += " on ";
      w += r.host;
      w += ": ";
      w += r.warning;
      warnings.push_back(w);
    }
  }
  if (!warnings.empty()) {
    out << "* " << warnings.size() << " measures warned:\n";
    for (size_t i = 0; i < warnings.size() && i < 10; ++i) out << warnings[i] << "\n";
    if (warnings.size() > 10) out << "  ... and " << warnings.size() - 10 << " more\n";
  }
  return out.str();
}

// For a pull-request comment: first what got slower or faster beyond the
// threshold, each with its interval and q, then what went missing, then the
// whole table (folded under <details> when long), then how the verdicts were
// reached.
std::string MarkdownComment(const Comparison& c) {
  std::ostringstream out;
  const bool all_times =
      std::all_of(c.rows.begin(), c.rows.end(), [](const auto& r) { return r.unit == "ns"; });
  out << "### effbench: " << c.regressions() << (all_times ? " slower, " : " worse, ")
      << c.improvements() << (all_times ? " faster" : " better");
  if (const size_t open = Count(c, "inconclusive")) out << ", " << open << " inconclusive";
  if (!c.missing.empty()) out << ", " << c.missing.size() << " missing";
  out << ", of " << c.rows.size() << " series (`" << c.baseline << "` → `" << c.candidate
      << "`)\n\n";
  const auto list = [&](const char* verdict, const char* title, const char* other_title) {
    std::vector<const ComparisonRow*> rows;
    for (const auto& r : c.rows) {
      if (r.verdict == verdict) rows.push_back(&r);
    }
    if (rows.empty()) return;
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
      return std::fabs(a->ratio - 1) > std::fabs(b->ratio - 1);
    });
    // "Slower" of times; "Worse" once a rate or a counter is among them.
    const bool times =
        std::all_of(rows.begin(), rows.end(), [](const auto* r) { return r->unit == "ns"; });
    out << "**" << (times ? title : other_title) << "** (beyond " << Fixed(100 * c.threshold, 1)
        << " %, q <= " << c.alpha << "):\n";
    for (size_t i = 0; i < rows.size() && i < 10; ++i) {
      const auto& r = *rows[i];
      out << "- `" << Escape(Series(r), '|') << "` on " << Escape(r.host, '|') << ": "
          << Percent(r.ratio) << " (" << Fixed(100 * c.confidence, 0) << " % CI "
          << Percent(r.ratio_low) << " .. " << Percent(r.ratio_high) << ", q "
          << Significance(r.qvalue) << ")\n";
    }
    if (rows.size() > 10) out << "- and " << rows.size() - 10 << " more (in the table)\n";
    out << "\n";
  };
  list("regression", "Slower", "Worse");
  list("improvement", "Faster", "Better");
  if (!c.missing.empty()) {
    out << "**Missing from the candidate:**\n";
    for (size_t i = 0; i < c.missing.size() && i < 10; ++i) {
      out << "- `" << Escape(result::DisplayName(c.missing[i].name), '|') << "` on "
          << Escape(c.missing[i].host, '|') << ": " << Escape(c.missing[i].reason, '|') << "\n";
    }
    if (c.missing.size() > 10) out << "- and " << c.missing.size() - 10 << " more\n";
    out << "\n";
  }
  if (c.regressions() + c.improvements() == 0) {
    out << "No series changed by " << Fixed(100 * c.threshold, 1)
        << " % or more with q <= " << c.alpha << ".\n\n";
  }
  const TextTable table = Build(c);
  const bool fold = table.rows.size() > 20;
  if (fold) out << "<details><summary>All " << table.rows.size() << " series</summary>\n\n";
  out << RenderMarkdown(table);
  if (fold) out << "\n</details>\n";
  out << Footer(c);
  return out.str();
}

}  // namespace

std::string VerdictWord(const ComparisonRow& r) {
  const bool time = r.unit == "ns";
  if (r.verdict == "regression") return time ? "slower" : "worse";
  if (r.verdict == "improvement") return time ? "faster" : "better";
  return r.verdict;
}

size_t Comparison::regressions() const { return Count(*this, "regression"); }

size_t Comparison::improvements() const { return Count(*this, "improvement"); }

std::string RenderComparison(const Comparison& c, Format format) {
  switch (format) {
    case Format::kConsole:
      return std::string("baseline ") + c.baseline + "  vs  candidate " + c.candidate + "\n\n" +
             RenderConsole(Build(c)) + Footer(c);
    case Format::kMarkdown:
      return MarkdownComment(c);
    case Format::kCsv: {
      std::ostringstream out;
      out << "machine,host,name,display_name,threads,metric,unit,better,baseline_n,candidate_n,"
             "baseline_median,candidate_median,ratio,ratio_low,ratio_high,pvalue,qvalue,verdict,"
             "warning\n";
      for (const auto& r : c.rows) {
        out << r.machine << ',' << Escape(r.host, ',') << ',' << Escape(r.name, ',') << ','
            << Escape(result::DisplayName(r.name), ',') << ',' << r.threads << ','
            << Escape(r.metric, ',') << ',' << Escape(r.unit, ',') << ',' << r.better << ','
            << r.baseline_n << ',' << r.candidate_n << ',' << Exact(r.baseline_median) << ','
            << Exact(r.candidate_median) << ',' << Fixed(r.ratio, 6) << ',' << Fixed(r.ratio_low, 6)
            << ',' << Fixed(r.ratio_high, 6) << ',' << r.pvalue << ',' << r.qvalue << ','
            << r.verdict << ',' << Escape(r.warning, ',') << "\n";
      }
      return out.str();
    }
    case Format::kJson: {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : c.rows) {
        nlohmann::json base = {{"repetitions", r.baseline_n}, {"median", r.baseline_median}};
        nlohmann::json cand = {{"repetitions", r.candidate_n}, {"median", r.candidate_median}};
        if (r.unit == "ns") {
          base["median_ns"] = r.baseline_median;
          cand["median_ns"] = r.candidate_median;
        }
        rows.push_back({{"machine", r.machine},
                        {"host", r.host},
                        {"name", r.name},
                        {"display_name", result::DisplayName(r.name)},
                        {"threads", r.threads},
                        {"metric", r.metric},
                        {"unit", r.unit},
                        {"better", r.better},
                        {"baseline", base},
                        {"candidate", cand},
                        {"ratio", r.ratio},
                        {"ratio_ci", {r.ratio_low, r.ratio_high}},
                        {"pvalue", r.pvalue},
                        {"qvalue", r.qvalue},
                        {"verdict", r.verdict},
                        {"warning", r.warning}});
      }
      nlohmann::json missing = nlohmann::json::array();
      for (const auto& m : c.missing) {
        missing.push_back({{"host", m.host},
                           {"name", m.name},
                           {"display_name", result::DisplayName(m.name)},
                           {"threads", m.threads},
                           {"reason", m.reason}});
      }
      nlohmann::json geomeans = nlohmann::json::array();
      for (const auto& g : c.geomeans) {
        geomeans.push_back({{"metric", g.metric}, {"series", g.series}, {"ratio", g.ratio}});
      }
      return nlohmann::json{{"baseline", c.baseline},
                            {"candidate", c.candidate},
                            {"threshold", c.threshold},
                            {"alpha", c.alpha},
                            {"confidence", c.confidence},
                            {"regressions", c.regressions()},
                            {"improvements", c.improvements()},
                            {"inconclusive", Count(c, "inconclusive")},
                            {"only_in_baseline", c.only_in_baseline},
                            {"only_in_candidate", c.only_in_candidate},
                            {"missing", missing},
                            {"geomean", geomeans},
                            {"series", rows}}
                 .dump(2) +
             "\n";
    }
  }
  return {};
}

}  // namespace effbench::reports
