// auditlog-bench: throughput, durability cost, latency, allocations and memory of the
// auditlog Logger, side by side with the physical fsync limit of the disk, a re-creation of
// the seed's writer design (seed_baseline.h) and spdlog's async file logger; and the read
// case (read_bench.h).
//
//   auditlog-bench [--quick] [--json] [--dir DIR] [--events N] [--memory-events N]
//                  [--seconds S] [--case SUBSTRING] [--plot FILE.png] [--read-gb N]
//
// Every case runs in a forked child process, so that its peak RSS (getrusage ru_maxrss) is
// its own and no state (threads, spdlog's registry, page cache of the heap) leaks into the
// next case. This file: the options, the machine description, running the plan and
// printing the report. The cases are in cases.cc, their events and producer threads in
// workload.cc, the reports in report.cc, targets.cc and plot.cc.
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_case.h"
#include "bench_util.h"
#include "read_bench.h"
#include "report.h"
#include "workload.h"

namespace bench {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "auditlog-bench: %s\n", error);
  std::fprintf(stderr,
               "usage: auditlog-bench [--quick] [--json] [--dir DIR] [--events N]\n"
               "                      [--memory-events N] [--seconds S] [--case SUBSTRING]\n"
               "                      [--plot FILE.png] [--read-gb N]\n"
               "  --quick            small counts (CI smoke test; < 30 s)\n"
               "  --json             print a JSON report instead of the table\n"
               "  --dir DIR          where logs are written (default: fresh dir under /tmp)\n"
               "  --events N         max events per non-durable case (default 2000000)\n"
               "  --memory-events N  events of the memory case (default 10000000)\n"
               "  --seconds S        time budget per case (default 2)\n"
               "  --case SUBSTRING   run only the cases whose name contains SUBSTRING\n"
               "                     (e.g. memory, Immediate, seed, spdlog)\n"
               "  --plot FILE.png    also render events/s vs producers with gnuplot\n"
               "  --read-gb N        GiB of log for the read case (verify, query; default 1,\n"
               "                     --quick: 16 MiB); --case verify runs only that case\n");
  std::exit(error != nullptr ? 2 : 0);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::optional<std::uint64_t> events, memory_events;
  std::optional<double> seconds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return argv[++i];
    };
    auto number = [&]() -> std::uint64_t {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n == 0) Usage((a + ": not a positive integer").c_str());
      return n;
    };
    if (a == "--quick")
      o.quick = true;
    else if (a == "--json")
      o.json = true;
    else if (a == "--dir")
      o.dir = value();
    else if (a == "--events")
      events = number();
    else if (a == "--memory-events")
      memory_events = number();
    else if (a == "--seconds") {
      const std::string v = value();
      char* end = nullptr;
      seconds = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(*seconds > 0)) Usage("--seconds: not a positive number");
    } else if (a == "--case")
      o.filter = value();
    else if (a == "--plot")
      o.plot = value();
    else if (a == "--read-gb")
      o.read_mb = number() << 10;
    else if (a == "--help" || a == "-h")
      Usage(nullptr);
    else
      Usage(("unknown option " + a).c_str());
  }
  o.events = events.value_or(o.quick ? 20'000 : 2'000'000);
  o.memory_events = memory_events.value_or(o.quick ? 100'000 : 10'000'000);
  o.seconds = seconds.value_or(o.quick ? 0.2 : 2.0);
  if (o.read_mb == 0) o.read_mb = o.quick ? 16 : 1024;
  return o;
}

std::string FsTypeName(const fs::path& dir) {
  struct statfs s {};
  if (statfs(dir.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs (fsync is a no-op!)";
    case 0x794c7630:
      return "overlayfs";
    case 0x2FC12FC1:
      return "zfs";
    case 0x6969:
      return "nfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

std::string CpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string Commit() {
  const std::string cmd = "git -C '" AUDITLOG_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "unknown";
  char buf[64] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  pclose(p);
  if (!got) return "unknown";
  std::string s = buf;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  const std::string dirty =
      "git -C '" AUDITLOG_SOURCE_DIR "' diff --quiet HEAD -- src include 2>/dev/null";
  if (std::system(dirty.c_str()) != 0) s += " (+ uncommitted changes in src/ or include/)";
  return s;
}

// The directory the logs go to: --dir (created if missing), else a fresh one under /tmp that
// `*remove` says to remove at the end. nullopt (after printing why) if it cannot be made.
std::optional<fs::path> MakeRoot(const Options& o, bool* remove) {
  *remove = false;
  if (o.dir.empty()) {
    char tmpl[] = "/tmp/auditlog-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "auditlog-bench: mkdtemp: %s\n", std::strerror(errno));
      return std::nullopt;
    }
    *remove = true;
    return fs::path(tmpl);
  }
  const fs::path root = o.dir;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    std::fprintf(stderr, "auditlog-bench: create %s: %s\n", root.c_str(), ec.message().c_str());
    return std::nullopt;
  }
  return root;
}

Machine DescribeMachine(const fs::path& root) {
  Machine m;
  m.cpus = std::thread::hardware_concurrency();
  m.cpu_model = CpuModel();
  m.fs_type = FsTypeName(root);
  m.dir = root.string();
  m.commit = Commit();
  m.record_bytes = AverageRecordBytes();
  return m;
}

// Runs every case of `plan`, each in its own subdirectory of `root`, with a progress line
// on stderr per case.
std::vector<Row> RunPlan(const std::vector<CaseSpec>& plan, const fs::path& root) {
  std::vector<Row> rows;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const CaseSpec& spec = plan[i];
    char sub[32];
    std::snprintf(sub, sizeof sub, "case-%02zu", i);
    const unsigned timeout =
        spec.kind == Kind::kMemory ? 1800u : static_cast<unsigned>(60 + 20 * spec.budget_seconds);
    const auto case_start = Clock::now();
    CaseResult r = RunIsolated(spec, root / sub, timeout);
    std::fprintf(stderr, "  [%2zu/%zu] %-66s %14s events/s %6.1f s%s%s\n", i + 1, plan.size(),
                 spec.name.c_str(), Group(r.events_per_sec).c_str(),
                 Seconds(Clock::now() - case_start), r.ok ? "" : "  ERROR: ", r.ok ? "" : r.error);
    rows.push_back({spec, r});
  }
  return rows;
}

// The read case (bench/read_bench.h): verify and query on a generated log, unless --case
// selects other cases.
std::optional<ReadBenchResult> RunReadCase(const Options& o, const fs::path& root) {
  if (!o.filter.empty() &&
      std::string_view(kReadCaseName).find(o.filter) == std::string_view::npos) {
    return std::nullopt;
  }
  ReadBenchOptions ro;
  ro.dir = root / "read";
  ro.log_bytes = o.read_mb << 20;
  ro.segment_bytes = o.quick ? 4 << 20 : 256 << 20;
  const auto case_start = Clock::now();
  ReadBenchResult read = RunReadBench(ro);
  std::fprintf(stderr, "  [read] %-66s %9.0f MB/s verify %6.1f s%s%s\n", kReadCaseName,
               read.verify2_mb_per_sec, Seconds(Clock::now() - case_start),
               read.ok ? "" : "  ERROR: ", read.error.c_str());
  return read;
}

// The text report on stdout: the header, the table, the verdicts and the read case.
void PrintTextReport(const Machine& m, const Options& o, const std::vector<Row>& rows,
                     const std::vector<Target>& targets, const ReadBenchResult* read,
                     double total_seconds) {
  std::printf("auditlog-bench%s at commit %s: %u CPUs (%s), logs on %s (%s), %.0f s\n",
              o.quick ? " --quick" : "", m.commit.c_str(), m.cpus, m.cpu_model.c_str(),
              m.dir.c_str(), m.fs_type.c_str(), total_seconds);
  std::printf(
      "records: ~%.0f bytes each (AuthSuccess / TaskCompleted; Hybrid: every 100th a critical "
      "AuthFailure); events/s: first call until everything is durable (spdlog: flushed, no "
      "fsync)\n\n",
      m.record_bytes);
  PrintTable(rows, stdout);
  std::printf("\n");
  for (const auto& t : targets) std::printf("%s  %s\n", t.verdict.c_str(), t.text.c_str());
  if (read) PrintReadBenchTable(*read, stdout);
}

}  // namespace

int Main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  bool remove_root = false;
  const std::optional<fs::path> made = MakeRoot(o, &remove_root);
  if (!made) return 2;
  const fs::path& root = *made;
  const Machine m = DescribeMachine(root);

  const std::vector<CaseSpec> plan = Plan(o);
  std::fprintf(stderr, "auditlog-bench%s: %zu cases, logs in %s (%s), %u CPUs (%s), commit %s\n",
               o.quick ? " --quick" : "", plan.size(), root.c_str(), m.fs_type.c_str(), m.cpus,
               m.cpu_model.c_str(), m.commit.c_str());
  const auto start = Clock::now();
  const std::vector<Row> rows = RunPlan(plan, root);
  const std::optional<ReadBenchResult> read = RunReadCase(o, root);
  const double total = Seconds(Clock::now() - start);
  if (remove_root) {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  const auto targets = EvaluateTargets(rows);
  if (o.json) {
    PrintJson(m, o, rows, targets, stdout, read ? &*read : nullptr);
  } else {
    PrintTextReport(m, o, rows, targets, read ? &*read : nullptr, total);
  }
  if (!o.plot.empty()) WritePlot(rows, o.plot);
  bool all_ok = true;
  for (const auto& row : rows) all_ok = all_ok && row.r.ok;
  if (read) all_ok = all_ok && read->ok;
  return all_ok ? 0 : 1;
}

}  // namespace bench

int main(int argc, char** argv) { return bench::Main(argc, argv); }
