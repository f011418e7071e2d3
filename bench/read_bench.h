// The reading side of auditlog-bench: `auditlog verify` MB/s and query records/s on a large
// generated log (see bench/read_bench.cc and docs/PERFORMANCE.md, "Reading: verify and query").
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "auditlog/status.h"

namespace bench {

struct ReadBenchOptions {
  std::filesystem::path dir;                   // the log is written here and removed afterwards
  std::uint64_t log_bytes = 1ull << 30;        // size of the generated log
  std::uint64_t segment_bytes = 256ull << 20;  // rotation size
};

struct ReadBenchResult {
  bool ok = false;
  std::string error;
  std::uint64_t bytes = 0, records = 0, segments = 0;
  double record_bytes = 0;  // average line length, '\n' included
  double generate_seconds = 0;
  // Verify (full, with the manifest checks), warm page cache; wall-clock.
  double verify2_seconds = 0, verify2_mb_per_sec = 0;  // threads = 2
  double verify1_seconds = 0, verify1_mb_per_sec = 0;  // threads = 1
  // Query: an actor filter that matches few records, and a full scan (no filter).
  std::uint64_t rare_matched = 0;
  double rare_seconds = 0, rare_records_per_sec = 0;
  std::uint64_t full_matched = 0;
  double full_seconds = 0, full_records_per_sec = 0;
};

// Generates the log (with internal::RecordWriter), measures, removes the log.
ReadBenchResult RunReadBench(const ReadBenchOptions& options);

// Only the generation step (into options.dir, which must not hold a log yet); fills bytes,
// records, segments and record_bytes of `*result`.
auditlog::Status GenerateReadBenchLog(const ReadBenchOptions& options, ReadBenchResult* result);

// The name of the read case, for --case filtering.
inline constexpr const char* kReadCaseName = "read: verify MB/s, query records/s";

void PrintReadBenchTable(const ReadBenchResult& r, std::FILE* out);
// `,\n  "read": {...}` to splice into the JSON report, or "" when the case did not run.
std::string ReadBenchJsonMember(const ReadBenchResult* r);

}  // namespace bench
