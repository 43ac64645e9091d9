#include "reports/comparison_table.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/text_table.h"

namespace effbench::reports {
namespace {

// A ratio of medians as the change it means: 1.12 -> "+12.0%".
std::string Percent(double ratio) { return SignedPercent(ratio - 1); }

std::string Significance(double p) { return p < 0.001 ? Scientific(p) : Fixed(p, 3); }

int Rank(const ComparisonRow& r) {
  return r.verdict == "regression" ? 0 : r.verdict == "improvement" ? 1 : 2;
}

TextTable Build(const Comparison& c) {
  std::vector<const ComparisonRow*> rows;
  for (const auto& r : c.rows) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (Rank(*a) != Rank(*b)) return Rank(*a) < Rank(*b);
    return std::fabs(a->ratio - 1) > std::fabs(b->ratio - 1);
  });
  TextTable t;
  t.left_columns = 3;
  t.header = {"verdict",  "machine",   "workload", "threads",
              "baseline", "candidate", "change",   Fixed(100 * c.confidence, 0) + "% CI",
              "p",        "q",         "reps"};
  const std::string star = " *";
  for (const auto* r : rows) {
    t.rows.push_back({r->verdict + (r->warning.empty() ? std::string() : star), r->host, r->name,
                      std::to_string(r->threads), Duration(r->baseline_median_ns),
                      Duration(r->candidate_median_ns), Percent(r->ratio),
                      Percent(r->ratio_low) + " .. " + Percent(r->ratio_high),
                      Significance(r->pvalue), Significance(r->qvalue),
                      std::to_string(r->baseline_n) + " vs " + std::to_string(r->candidate_n)});
  }
  return t;
}

std::string Footer(const Comparison& c) {
  std::ostringstream out;
  out << "\n"
      << c.rows.size() << " series compared: " << c.regressions() << " regression(s), "
      << c.improvements() << " improvement(s)";
  if (c.only_in_baseline || c.only_in_candidate) {
    out << "; " << c.only_in_baseline << " only in the baseline, " << c.only_in_candidate
        << " only in the candidate";
  }
  out << ".\nA change counts when Benjamini-Hochberg q <= " << c.alpha
      << " (Mann-Whitney U on the repetitions) and |change| >= " << Fixed(100 * c.threshold, 1)
      << "%; change = candidate median / baseline median - 1, CI by bootstrap.\n";
  std::vector<std::string> warnings;
  for (const auto& r : c.rows) {
    if (!r.warning.empty()) {
      std::string w = "  ";
      w += r.name;
      w += " on ";
      w += r.host;
      w += ": ";
      w += r.warning;
      warnings.push_back(w);
    }
  }
  if (!warnings.empty()) {
    out << "* " << warnings.size() << " series warned:\n";
    for (size_t i = 0; i < warnings.size() && i < 10; ++i) out << warnings[i] << "\n";
    if (warnings.size() > 10) out << "  ... and " << warnings.size() - 10 << " more\n";
  }
  return out.str();
}

// For a pull-request comment: first what got slower or faster beyond the
// threshold, each with its interval and q, then the whole table (folded
// under <details> when long), then how the verdicts were reached.
std::string MarkdownComment(const Comparison& c) {
  std::ostringstream out;
  out << "### effbench: " << c.regressions() << " slower, " << c.improvements() << " faster, of "
      << c.rows.size() << " series (`" << c.baseline << "` → `" << c.candidate << "`)\n\n";
  const auto list = [&](const char* verdict, const char* title) {
    std::vector<const ComparisonRow*> rows;
    for (const auto& r : c.rows) {
      if (r.verdict == verdict) rows.push_back(&r);
    }
    if (rows.empty()) return;
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
      return std::fabs(a->ratio - 1) > std::fabs(b->ratio - 1);
    });
    out << "**" << title << "** (beyond " << Fixed(100 * c.threshold, 1) << " %, q <= " << c.alpha
        << "):\n";
    for (size_t i = 0; i < rows.size() && i < 10; ++i) {
      const auto& r = *rows[i];
      out << "- `" << Escape(r.name, '|') << "` on " << Escape(r.host, '|') << ": "
          << Percent(r.ratio) << " (" << Fixed(100 * c.confidence, 0) << " % CI "
          << Percent(r.ratio_low) << " .. " << Percent(r.ratio_high) << ", q "
          << Significance(r.qvalue) << ")\n";
    }
    if (rows.size() > 10) out << "- and " << rows.size() - 10 << " more (in the table)\n";
    out << "\n";
  };
  list("regression", "Slower");
  list("improvement", "Faster");
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

size_t Comparison::regressions() const {
  return static_cast<size_t>(std::count_if(
      rows.begin(), rows.end(), [](const auto& r) { return r.verdict == "regression"; }));
}

size_t Comparison::improvements() const {
  return static_cast<size_t>(std::count_if(
      rows.begin(), rows.end(), [](const auto& r) { return r.verdict == "improvement"; }));
}

std::string RenderComparison(const Comparison& c, Format format) {
  switch (format) {
    case Format::kConsole:
      return std::string("baseline ") + c.baseline + "  vs  candidate " + c.candidate + "\n\n" +
             RenderConsole(Build(c)) + Footer(c);
    case Format::kMarkdown:
      return MarkdownComment(c);
    case Format::kCsv: {
      std::ostringstream out;
      out << "machine,host,name,threads,baseline_n,candidate_n,baseline_median_ns,"
             "candidate_median_ns,ratio,ratio_low,ratio_high,pvalue,qvalue,verdict,warning\n";
      for (const auto& r : c.rows) {
        out << r.machine << ',' << Escape(r.host, ',') << ',' << Escape(r.name, ',') << ','
            << r.threads << ',' << r.baseline_n << ',' << r.candidate_n << ','
            << Fixed(r.baseline_median_ns, 1) << ',' << Fixed(r.candidate_median_ns, 1) << ','
            << Fixed(r.ratio, 6) << ',' << Fixed(r.ratio_low, 6) << ',' << Fixed(r.ratio_high, 6)
            << ',' << r.pvalue << ',' << r.qvalue << ',' << r.verdict << ','
            << Escape(r.warning, ',') << "\n";
      }
      return out.str();
    }
    case Format::kJson: {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : c.rows) {
        rows.push_back(
            {{"machine", r.machine},
             {"host", r.host},
             {"name", r.name},
             {"threads", r.threads},
             {"baseline", {{"repetitions", r.baseline_n}, {"median_ns", r.baseline_median_ns}}},
             {"candidate", {{"repetitions", r.candidate_n}, {"median_ns", r.candidate_median_ns}}},
             {"ratio", r.ratio},
             {"ratio_ci", {r.ratio_low, r.ratio_high}},
             {"pvalue", r.pvalue},
             {"qvalue", r.qvalue},
             {"verdict", r.verdict},
             {"warning", r.warning}});
      }
      return nlohmann::json{{"baseline", c.baseline},
                            {"candidate", c.candidate},
                            {"threshold", c.threshold},
                            {"alpha", c.alpha},
                            {"confidence", c.confidence},
                            {"regressions", c.regressions()},
                            {"improvements", c.improvements()},
                            {"only_in_baseline", c.only_in_baseline},
                            {"only_in_candidate", c.only_in_candidate},
                            {"series", rows}}
                 .dump(2) +
             "\n";
    }
  }
  return {};
}

}  // namespace effbench::reports
