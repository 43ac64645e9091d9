// The evaluation of change point detection (issue 5): series built from real
// noise (MongoDB's real_series.json, a real performance test, rescaled to the
// wanted CV and block-resampled to 365 nightly points) with injected steps of
// 1, 2, 3, 5 and 10 %, single-point spikes, slow drifts and nothing at all.
// Prints precision, recall and F1 (one-to-one matching within 2 points),
// false alarms per 1000 points, spikes reported, and the median detection
// delay when the series is replayed point by point, for effbench's detector
// and for a Perfherder-style t-test (12/12 windows, t > 7, >= 2 %) on the same
// series; then the time to analyse 10,000 series of 365 points on 2 threads.
//
//   build/tests/bench/effbench_regression_eval [--series 200] [--cv 0.01] [--seed 1]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness/analysis/regressions.h"
#include "harness/stats/change_points.h"
#include "harness/stats/tests.h"

namespace effbench {
namespace {

constexpr size_t kLength = 365;
constexpr size_t kMargin = 2;

struct Labeled {
  std::vector<double> values;
  std::vector<size_t> changes;  // true change indices
};

// Real noise: the residuals of a real series around its mean, as fractions.
std::vector<double> RealNoise() {
  std::ifstream in(std::string(EFFBENCH_TEST_DATA) + "/mongodb_spa/real_series.json");
  const auto series = nlohmann::json::parse(in).get<std::vector<double>>();
  double mean = 0;
  for (double v : series) mean += v;
  mean /= static_cast<double>(series.size());
  std::vector<double> r;
  for (double v : series) r.push_back(v / mean - 1);
  return r;
}

// 365 points of that noise (blocks of 8 at random offsets), scaled to `cv`.
std::vector<double> NoiseSeries(const std::vector<double>& noise, double cv, std::mt19937_64& rng) {
  double ss = 0;
  for (double v : noise) ss += v * v;
  const double scale = cv / std::sqrt(ss / static_cast<double>(noise.size()));
  std::uniform_int_distribution<size_t> start(0, noise.size() - 8);
  std::vector<double> s;
  while (s.size() < kLength) {
    const size_t at = start(rng);
    for (size_t k = 0; k < 8 && s.size() < kLength; ++k)
      s.push_back(1000 * (1 + scale * noise[at + k]));
  }
  return s;
}

Labeled Step(const std::vector<double>& noise, double cv, double size, std::mt19937_64& rng) {
  Labeled l{NoiseSeries(noise, cv, rng), {}};
  std::uniform_int_distribution<size_t> where(60, kLength - 60);  // two windows from the ends
  const size_t at = where(rng);
  const double factor = (rng() % 2 ? 1 + size : 1 / (1 + size));
  for (size_t i = at; i < kLength; ++i) l.values[i] *= factor;
  l.changes = {at};
  return l;
}

Labeled Spikes(const std::vector<double>& noise, double cv, std::mt19937_64& rng) {
  Labeled l{NoiseSeries(noise, cv, rng), {}};
  std::uniform_int_distribution<size_t> where(5, kLength - 5);
  std::uniform_real_distribution<double> size(0.2, 0.5);
  for (int k = 0; k < 3; ++k) l.values[where(rng)] *= 1 + size(rng);
  return l;
}

Labeled Drift(const std::vector<double>& noise, double cv, std::mt19937_64& rng) {
  Labeled l{NoiseSeries(noise, cv, rng), {}};
  std::uniform_int_distribution<size_t> where(60, kLength - 160);
  const size_t at = where(rng);
  for (size_t i = at; i < kLength; ++i) {
    l.values[i] *= 1 + 0.05 * std::min<double>(1, static_cast<double>(i - at) / 100);
  }
  return l;
}

using Detector = std::vector<size_t> (*)(const std::vector<double>&);

std::vector<size_t> Ours(const std::vector<double>& s) {
  const analysis::DetectionOptions o;
  std::vector<size_t> out;
  for (const auto& c : stats::DetectChangePoints(s, o.change_points)) {
    if (s.size() - c.index >= o.min_points_after) out.push_back(c.index);
  }
  return out;
}

// Perfherder (treeherder/perfalert): back window of 12, fore window of 12,
// linearly weighted back average, Welch-form t; a change where t > 7 is a
// local maximum and the change is at least 2 %.
std::vector<size_t> TTest(const std::vector<double>& s) {
  const size_t w = 12;
  std::vector<double> t(s.size(), 0);
  for (size_t i = w; i + w <= s.size(); ++i) {
    double wsum = 0, back = 0;
    for (size_t k = 0; k < w; ++k) {
      const double weight = static_cast<double>(w - k) / static_cast<double>(w);
      back += weight * s[i - 1 - k];
      wsum += weight;
    }
    back /= wsum;
    double fore = 0;
    for (size_t k = 0; k < w; ++k) fore += s[i + k];
    fore /= static_cast<double>(w);
    double v1 = 0, v2 = 0, m1 = 0, m2 = 0;
    for (size_t k = 0; k < w; ++k) {
      m1 += s[i - 1 - k];
      m2 += s[i + k];
    }
    m1 /= w;
    m2 /= w;
    for (size_t k = 0; k < w; ++k) {
      v1 += (s[i - 1 - k] - m1) * (s[i - 1 - k] - m1);
      v2 += (s[i + k] - m2) * (s[i + k] - m2);
    }
    v1 /= w - 1;
    v2 /= w - 1;
    const double se = std::sqrt(v1 / w + v2 / w);
    t[i] = se > 0 ? std::fabs(fore - back) / se : 0;
    if (std::fabs(fore - back) / back < 0.02) t[i] = 0;
  }
  std::vector<size_t> out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (t[i] > 7 && t[i] >= t[i - 1] && t[i] >= t[i + 1]) out.push_back(i);
  }
  return out;
}

struct Score {
  size_t tp = 0, fp = 0, fn = 0, points = 0, series_with_alarm = 0;
  std::vector<double> delays;
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 1; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 1; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

bool g_debug = std::getenv("EVAL_DEBUG") != nullptr;

void Match(const std::vector<size_t>& truth, const std::vector<size_t>& found, Score& s) {
  if (g_debug && truth.empty() && !found.empty()) {
    std::fprintf(stderr, "no truth, found");
    for (size_t f : found) std::fprintf(stderr, " %zu", f);
    std::fprintf(stderr, "\n");
  }
  if (g_debug && !truth.empty()) {
    bool ok = found.size() == 1 &&
              (found[0] > truth[0] ? found[0] - truth[0] : truth[0] - found[0]) <= kMargin;
    if (!ok) {
      std::fprintf(stderr, "truth %zu found", truth[0]);
      for (size_t f : found) std::fprintf(stderr, " %zu", f);
      std::fprintf(stderr, "\n");
    }
  }
  std::vector<bool> used(found.size(), false);
  for (size_t t : truth) {
    bool hit = false;
    for (size_t k = 0; k < found.size() && !hit; ++k) {
      if (!used[k] && (found[k] > t ? found[k] - t : t - found[k]) <= kMargin) {
        used[k] = hit = true;
      }
    }
    hit ? ++s.tp : ++s.fn;
  }
  for (bool u : used) s.fp += !u;
}

// Replays the series point by point from the change on: how many points after
// it the detector first reports it (within the margin).
double Delay(const Labeled& l, Detector detect) {
  const size_t at = l.changes.front();
  for (size_t n = at + 1; n <= l.values.size(); ++n) {
    const std::vector<double> prefix(l.values.begin(),
                                     l.values.begin() + static_cast<ptrdiff_t>(n));
    for (size_t f : detect(prefix)) {
      if ((f > at ? f - at : at - f) <= kMargin) return static_cast<double>(n - at);
    }
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace
}  // namespace effbench

int main(int argc, char** argv) {
  using namespace effbench;
  size_t per_stratum = 200;
  double cv = 0.01;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--series")
      per_stratum = std::stoul(argv[i + 1]);
    else if (flag == "--cv")
      cv = std::stod(argv[i + 1]);
    else if (flag == "--seed")
      seed = std::stoull(argv[i + 1]);
    else {
      std::cerr << "usage: effbench_regression_eval [--series N] [--cv F] [--seed N]\n";
      return 2;
    }
  }
  const auto noise = RealNoise();
  std::mt19937_64 rng(seed);
  const Detector detectors[2] = {Ours, TTest};
  std::printf(
      "%zu series of %zu points per stratum, noise CV %.1f%% (real MongoDB residuals), "
      "matching within %zu points\n\n",
      per_stratum, kLength, 100 * cv, kMargin);
  std::printf("%-10s | %-40s | %-40s\n", "", "effbench (E-Divisive, log, p 0.001, >= 1.5%)",
              "Perfherder t-test (12/12, t > 7, >= 2%)");
  std::printf("%-10s | %6s %6s %6s %7s %9s | %6s %6s %6s %7s %9s\n", "stratum", "prec", "recall",
              "F1", "delay", "alarms", "prec", "recall", "F1", "delay", "alarms");
  // A set without true changes prints its alarms: false alarms for null and
  // spike series; for drifts, which are real but gradual changes, detections.
  const auto row = [&](const char* name, const std::vector<Labeled>& set, bool delays) {
    Score score[2];
    for (int d = 0; d < 2; ++d) {
      for (size_t i = 0; i < set.size(); ++i) {
        const auto found = detectors[d](set[i].values);
        Match(set[i].changes, found, score[d]);
        score[d].points += set[i].values.size();
        score[d].series_with_alarm += !found.empty();
        if (delays && i < 40) score[d].delays.push_back(Delay(set[i], detectors[d]));
      }
    }
    std::printf("%-10s |", name);
    for (int d = 0; d < 2; ++d) {
      const Score& s = score[d];
      const bool null = set.front().changes.empty();
      if (null) {
        std::printf(" %6s %6s %6s %7s %9zu |", "-", "-", "-", "-", s.fp);
      } else {
        char delay[16];
        std::snprintf(delay, sizeof delay, "%.0f", stats::Median(s.delays));
        std::printf(" %6.3f %6.3f %6.3f %7s %9zu |", s.precision(), s.recall(), s.f1(),
                    delays ? delay : "-", s.fp);
      }
    }
    std::printf("\n");
    return std::pair<Score, Score>(score[0], score[1]);
  };
  for (double size : {0.01, 0.02, 0.03, 0.05, 0.10}) {
    std::vector<Labeled> set;
    for (size_t i = 0; i < per_stratum; ++i) set.push_back(Step(noise, cv, size, rng));
    char name[32];
    std::snprintf(name, sizeof name, "step %g%%", 100 * size);
    row(name, set, true);
  }
  std::vector<Labeled> null, spikes, drift;
  for (size_t i = 0; i < per_stratum; ++i) {
    null.push_back({NoiseSeries(noise, cv, rng), {}});
    spikes.push_back(Spikes(noise, cv, rng));
    drift.push_back(Drift(noise, cv, rng));
  }
  const auto [n_ours, n_t] = row("null", null, false);
  if (g_debug) std::fprintf(stderr, "spikes:\n");
  const auto [s_ours, s_t] = row("spikes", spikes, false);
  if (g_debug) {
    for (const auto& l : spikes) {
      if (Ours(l.values).empty()) continue;
      for (size_t i = 0; i < l.values.size(); ++i) {
        if (std::fabs(l.values[i] / 1000 - 1) > 0.1)
          std::fprintf(stderr, "  spike at %zu: %.0f\n", i, l.values[i]);
      }
    }
  }
  const auto [d_ours, d_t] = row("drift 5%", drift, false);
  std::printf("\nfalse alarms per 1000 points on null series: effbench %.2f, t-test %.2f\n",
              1000.0 * double(n_ours.fp) / double(n_ours.points),
              1000.0 * double(n_t.fp) / double(n_t.points));
  std::printf(
      "spike series (3 single-point spikes of 20-50%%) with any alarm: effbench %zu, "
      "t-test %zu of %zu\n",
      s_ours.series_with_alarm, s_t.series_with_alarm, spikes.size());
  std::printf("drift series (5%% over 100 points) with an alarm: effbench %zu, t-test %zu of %zu\n",
              d_ours.series_with_alarm, d_t.series_with_alarm, drift.size());
  std::printf(
      "delay = median points after the change until it is reported, replaying 40 series "
      "point by point\n");

  // Throughput: 10,000 series of 365 points on 2 threads.
  std::vector<std::vector<double>> bulk;
  for (int i = 0; i < 10000; ++i) bulk.push_back(Step(noise, cv, 0.03, rng).values);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<size_t> found(2, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < bulk.size(); i += 2) found[t] += Ours(bulk[i]).size();
    });
  }
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n10000 series of %zu points analysed in %.2f s on 2 threads (%zu change points)\n",
              kLength, secs, found[0] + found[1]);
  return 0;
}
