// The cases of auditlog-bench's write benchmarks and what they report: shared by the plan
// and case runners (cases.cc), the reports (report.cc, targets.cc, plot.cc) and main.cc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_util.h"

namespace bench {

// The command line (main.cc).
struct Options {
  bool quick = false;
  bool json = false;
  std::string dir;           // empty: a fresh directory under /tmp, removed afterwards
  std::uint64_t events = 0;  // max events per non-durable case
  std::uint64_t memory_events = 0;
  double seconds = 0;         // time budget per case
  std::string filter;         // run only cases whose name contains this
  std::string plot;           // PNG to render
  std::uint64_t read_mb = 0;  // size of the read case's generated log (bench/read_bench.h)
};

enum class Kind : int {
  kRawFsync,
  kRawFsyncBusy,
  kAuditlog,
  kSeed,
  kSpdlog,
  kDisabled,
  kMemory,
  kLatency
};
enum class Mode : int { kNone, kImmediate, kBatched, kHybrid };

const char* ModeName(Mode m);

struct CaseSpec {
  std::string name;
  Kind kind;
  Mode mode = Mode::kNone;
  int producers = 1;
  bool durable = false;          // EmitDurable (or wait for the own fsync) vs Emit
  std::uint64_t max_events = 0;  // total over all producers
  double budget_seconds = 0;     // producers stop after this (0: no budget)
  bool sealed = false;           // kAuditlog: the directory is sealed (auditlog seal init)
};

constexpr int kMaxRssSamples = 10;

// Sent from the case's child process to the parent through a pipe: trivially copyable.
struct CaseResult {
  int ok = 0;
  char error[240] = {};
  std::uint64_t events = 0;    // calls that succeeded
  std::uint64_t rejected = 0;  // calls that failed
  std::uint64_t fsyncs = 0;
  std::uint64_t bytes = 0;  // bytes written to the log
  double seconds = 0;       // first call .. everything durable (or flushed, for spdlog)
  double events_per_sec = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double allocs_per_call = -1;  // -1: not measured
  double peak_rss_mb = 0;
  std::uint64_t queue_high_water = 0;
  std::uint64_t queue_capacity = 0;
  double ns_per_op = 0;  // DisabledMode: ns per Emit
  int rss_samples = 0;
  double rss_mb[kMaxRssSamples] = {};
  std::uint64_t rss_at_events[kMaxRssSamples] = {};
};
static_assert(std::is_trivially_copyable_v<CaseResult>);

void SetError(CaseResult* r, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
double PeakRssMb();
double CurrentRssMb();
void FillLatency(const Histogram& h, CaseResult* r);

struct Row {
  CaseSpec spec;
  CaseResult r;
};

// The machine the benchmark ran on, for the reports.
struct Machine {
  unsigned cpus = 0;
  std::string cpu_model;
  std::string fs_type;
  std::string dir;
  std::string commit;
  double record_bytes = 0;
};

// The Logger's queue in the throughput cases: large enough that producers rarely wait.
constexpr std::size_t kEmitQueueEvents = 1 << 16;
constexpr std::size_t kEmitQueueBytes = 256u << 20;

// Every case the options select, in the order they run.
std::vector<CaseSpec> Plan(const Options& o);

// Runs `spec` in a child process (own peak RSS, own threads) and removes its files after.
CaseResult RunIsolated(const CaseSpec& spec, const std::filesystem::path& dir,
                       unsigned timeout_seconds);

}  // namespace bench
