// effbench changepoints: the change point detector on any series from a CSV
// file, no database needed.
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cli/command_specs.h"
#include "harness/cli/commands.h"
#include "harness/cli/flags.h"
#include "harness/stats/change_points.h"

namespace effbench::cli {
namespace {

using nlohmann::json;

struct Column {
  size_t filled = 0;  // missing values (empty, NaN) filled from their neighbours
  std::string name;   // empty when the file has no header
  std::vector<double> values;
  std::vector<size_t> lines;  // 1-based line of each value
};

std::vector<std::string> SplitFields(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, delimiter)) {
    while (!field.empty() && (field.back() == '\r' || field.back() == ' ')) field.pop_back();
    while (!field.empty() && field.front() == ' ') field.erase(0, 1);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
      field = field.substr(1, field.size() - 2);
    }
    fields.push_back(field);
  }
  if (!line.empty() && line.back() == delimiter) fields.push_back("");
  return fields;
}

bool ParseNumber(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

// Whether a field is written as a number, finite or not ("1e400", "inf",
// "NaN" are numbers, though not usable ones): such a field is never a header.
bool LooksNumeric(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

bool IsMissing(const std::string& f) { return f.empty() || f == "NaN" || f == "nan" || f == "NA"; }

// One value per line, or a header and a named (or the only numeric) column;
// ',' ';' or tab separated; '#' lines are comments.
Result<Column> ReadColumn(const std::string& path, const std::optional<std::string>& wanted) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("cannot read " + path);
  std::stringstream whole;
  whole << file.rdbuf();
  const std::string text = whole.str();
  if (text.empty()) return Status::InvalidArgument(path + " is empty: no values");
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", c);
      return Status::InvalidArgument(path + " is not a text CSV file (byte " + byte +
                                     " at offset " + std::to_string(i) + ")");
    }
  }
  std::istringstream in(text);
  std::vector<std::pair<size_t, std::string>> lines;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    lines.emplace_back(n, line);
  }
  if (lines.empty()) return Status::InvalidArgument(path + " holds no values");
  const std::string& first = lines[0].second;
  const char delimiter = first.find(';') != std::string::npos    ? ';'
                         : first.find('\t') != std::string::npos ? '\t'
                                                                 : ',';
  std::vector<std::string> header = SplitFields(first, delimiter);
  const bool has_header = std::any_of(header.begin(), header.end(), [&](const auto& f) {
    return !LooksNumeric(f) && !IsMissing(f);
  });
  Column col;
  size_t index = 0;
  if (has_header) {
    if (wanted) {
      const auto it = std::find(header.begin(), header.end(), *wanted);
      if (it == header.end()) {
        std::string known;
        for (const auto& h : header) known += (known.empty() ? "" : ", ") + h;
        return Status::InvalidArgument(path + " has no column \"" + *wanted +
                                       "\" (columns: " + known + ")");
      }
      index = static_cast<size_t>(it - header.begin());
    } else if (header.size() == 1) {
      index = 0;
    } else {
      std::string known;
      for (const auto& h : header) known += (known.empty() ? "" : ", ") + h;
      return Status::InvalidArgument(path + " has " + std::to_string(header.size()) + " columns (" +
                                     known + "): pick one with --column");
    }
    col.name = header[index];
  } else if (wanted) {
    return Status::InvalidArgument(path + " has no header line, so no column \"" + *wanted + "\"");
  } else if (header.size() != 1) {
    return Status::InvalidArgument(path + " has " + std::to_string(header.size()) +
                                   " columns and no header: give one value per line");
  }
  for (size_t i = has_header ? 1 : 0; i < lines.size(); ++i) {
    const auto fields = SplitFields(lines[i].second, delimiter);
    double v = 0;
    const bool missing = index < fields.size() && IsMissing(fields[index]);
    if (missing) {
      col.values.push_back(std::numeric_limits<double>::quiet_NaN());
      col.lines.push_back(lines[i].first);
      ++col.filled;
      continue;
    }
    if (index >= fields.size() || !ParseNumber(fields[index], &v)) {
      return Status::InvalidArgument(
          path + ":" + std::to_string(lines[i].first) + ": \"" +
          (index < fields.size() ? fields[index] : std::string("(missing)")) +
          (index < fields.size() && LooksNumeric(fields[index]) ? "\" is not a finite number"
                                                                : "\" is not a number") +
          (col.name.empty() ? "" : " (column " + col.name + ")"));
    }
    col.values.push_back(v);
    col.lines.push_back(lines[i].first);
  }
  // As Otava does: forward fill, then back fill what leads.
  for (size_t i = 1; i < col.values.size(); ++i) {
    if (std::isnan(col.values[i])) col.values[i] = col.values[i - 1];
  }
  for (size_t i = col.values.size(); i-- > 1;) {
    if (std::isnan(col.values[i - 1])) col.values[i - 1] = col.values[i];
  }
  if (!col.values.empty() && std::isnan(col.values[0])) {
    return Status::InvalidArgument(path + " has no numeric values" +
                                   (col.name.empty() ? "" : " in column " + col.name));
  }
  return col;
}

}  // namespace

int ChangepointsCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  auto flags = Flags::Parse(args, kChangepointsCommand, err);
  if (!flags.ok()) {
    return UsageError(err, flags.status().message(), kChangepointsCommand);
  }
  const auto csv = flags->Get("csv");
  auto detection = DetectionFromFlags(*flags);
  const auto json_format = ListFormatIsJson(*flags);
  if (!detection.ok()) return UsageError(err, detection.status().message(), kChangepointsCommand);
  if (flags->Has("log") && flags->Has("linear")) {
    return UsageError(err, "--log and --linear contradict each other", kChangepointsCommand);
  }
  if (!csv) {
    return UsageError(err, "--csv FILE is required", kChangepointsCommand);
  }
  if (!json_format.ok())
    return UsageError(err, json_format.status().message(), kChangepointsCommand);
  auto column = ReadColumn(*csv, flags->Get("column"));
  if (!column.ok()) {
    err << "effbench changepoints: " << column.status().message() << "\n";
    // A file that is not a column of numbers is bad input (2); one that
    // cannot be read at all is an error (1).
    return column.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
  }
  // The defaults of every detector (stats::kDetectionDefaults): on the
  // logarithms, so that a change is a ratio. A series with values <= 0 has
  // none: it is detected on its values, and the output says so.
  stats::ChangePointOptions o = *detection;
  const bool positive =
      std::all_of(column->values.begin(), column->values.end(), [](double v) { return v > 0; });
  if (o.log_scale && !positive) {
    if (flags->Has("log"))
      return UsageError(err, "--log needs positive values", kChangepointsCommand);
    o.log_scale = false;
    err << "effbench changepoints: " << *csv
        << " has values <= 0: detecting on the values, not their logarithms\n";
  }
  const auto cps = stats::DetectChangePoints(column->values, o);
  if (*json_format) {
    json list = json::array();
    for (const auto& c : cps) {
      list.push_back({{"index", c.index},
                      {"line", column->lines[c.index]},
                      {"mean_before", c.mean_before},
                      {"mean_after", c.mean_after},
                      {"std_before", c.std_before},
                      {"std_after", c.std_after},
                      {"change", c.change()},
                      {"magnitude", c.magnitude},
                      {"pvalue", c.pvalue}});
    }
    out << json{{"file", *csv},
                {"column", column->name},
                {"points", column->values.size()},
                {"missing_filled", column->filled},
                {"options",
                 {{"window", o.window},
                  {"pvalue", o.max_pvalue},
                  {"magnitude", o.min_magnitude},
                  {"log", o.log_scale},
                  {"outlier_guard", o.outlier_guard}}},
                {"change_points", list}}
               .dump(2)
        << "\n";
    return kExitOk;
  }
  out << *csv << (column->name.empty() ? "" : " column " + column->name) << ": "
      << column->values.size() << " points"
      << (column->filled ? " (" + std::to_string(column->filled) + " missing, filled)" : "") << ", "
      << cps.size() << " change point(s)\n";
  if (!cps.empty()) {
    out << std::setw(7) << "index" << std::setw(7) << "line" << std::setw(14) << "before"
        << std::setw(14) << "after" << std::setw(10) << "change" << std::setw(11) << "p"
        << "\n";
  }
  for (const auto& c : cps) {
    std::ostringstream change;
    change << std::showpos << std::fixed << std::setprecision(1) << 100 * c.change() << "%";
    std::ostringstream p;
    p << std::scientific << std::setprecision(1) << c.pvalue;
    out << std::setw(7) << c.index << std::setw(7) << column->lines[c.index] << std::setw(14)
        << c.mean_before << std::setw(14) << c.mean_after << std::setw(10) << change.str()
        << std::setw(11) << p.str() << "\n";
  }
  return kExitOk;
}

}  // namespace effbench::cli
