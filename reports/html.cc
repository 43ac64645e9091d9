#include "reports/html.h"

#include <sstream>

namespace effbench::reports {
namespace {

const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                "#56B4E9", "#D55E00", "#F0E442", "#000000"};
constexpr char kCss[] = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:8px;max-width:1400px;color:#111}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:4px 0}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f2f2f2;text-align:left}
td.num,td.ok{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.na,td.missing{color:#666;text-align:center}
td.failed{color:#a00;text-align:center;font-weight:bold}
td.miss{background:repeating-linear-gradient(45deg,#fff,#fff 6px,#f3e3e3 6px,#f3e3e3 12px)}
.flag{color:#a00;font-weight:bold}
.sub{color:#444;font-size:.85em}
code{font-size:.85em}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;flex:1 1 420px;max-width:520px}
figure.chart>svg{width:100%;height:auto}
.legend svg,#machines svg{width:12px;height:12px;vertical-align:middle}
.axis{font-size:12px}.tick{font-size:10px;fill:#333}
.legend span{margin-right:10px;white-space:nowrap}
ol.notes{font-size:.9em;color:#333}
form#filters{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:6px 0}
form#filters input{width:11em}
.history line.change{stroke-width:2}
@media (max-width:700px){body{font-size:13px}th,td{padding:2px 3px}}
)";

}  // namespace

std::string Html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* Colour(size_t i) { return kPalette[i % 8]; }

std::string PageHead(const std::string& title) {
  std::string head =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>";
  head += Html(title);
  head += "</title><style>";
  head += kCss;
  head += "</style></head><body>\n";
  return head;
}

std::string FilterForm(const PageFilters& f, const std::string& action) {
  std::ostringstream out;
  const auto field = [&out](const char* name, const char* label, const std::string& value,
                            const char* hint) {
    out << "<label>" << label << " <input name=\"" << name << "\" value=\"" << Html(value)
        << "\" placeholder=\"" << hint << "\"></label> ";
  };
  out << "<form id=\"filters\" method=\"get\" action=\"" << Html(action) << "\">";
  field("machines", "machines", f.machines, "host,agent,fingerprint");
  field("workloads", "workloads", f.workloads, "conv.*@onednn");
  field("variants", "variants", f.variants, "fp32,int8");
  field("since", "runs since", f.since, "2026-11-01");
  field("until", "until", f.until, "2026-11-30");
  field("baseline", "baseline", f.baseline_variant, "fp32");
  field("reference", "reference", f.reference, "machine");
  out << "<button type=\"submit\">Show</button> <a href=\"" << Html(action)
      << "\">all</a> <a href=\"/\">machines</a> <a href=\"/history\">history</a></form>\n";
  return out.str();
}

}  // namespace effbench::reports
