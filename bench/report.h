// The reports of auditlog-bench: the table and JSON (report.cc), the PASS/MISS verdicts
// against the targets and baselines (targets.cc) and the plot (plot.cc).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "bench_case.h"
#include "read_bench.h"

namespace bench {

// `v` with `decimals` fraction digits and thousands separators: 1,234,567.
std::string Group(double v, int decimals = 0);
// `v` with `decimals` fraction digits.
std::string Num(double v, int decimals);

// The first successful row of that kind, mode, producer count and call; nullptr if none.
const Row* Find(const std::vector<Row>& rows, Kind kind, Mode mode, int producers, bool durable);

struct Target {
  std::string verdict;  // PASS, MISS, SKIP
  std::string text;
};

// The verdicts on the README's performance targets, in their order.
std::vector<Target> EvaluateTargets(const std::vector<Row>& rows);

// The Markdown table of the cases, then errors, DisabledMode and memory results.
void PrintTable(const std::vector<Row>& rows, std::FILE* out);

// The whole report as one JSON object (`read`: the read case, when it ran).
void PrintJson(const Machine& m, const Options& o, const std::vector<Row>& rows,
               const std::vector<Target>& targets, std::FILE* out,
               const ReadBenchResult* read = nullptr);

// events/s vs producers as `png` (with gnuplot) and its data file beside it.
void WritePlot(const std::vector<Row>& rows, const std::string& png);

}  // namespace bench
