// The write benchmarks' cases: the plan (which cases run, in which order), one runner per
// kind of case (the auditlog Logger, the seed design, spdlog, raw fsync, DisabledMode), and
// the forked child process each case runs in. Only the public Logger API is used for the
// auditlog cases.
#include <fcntl.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "auditlog/auditlog.h"
#include "auditlog/seal.h"
#include "bench_case.h"
#include "bench_util.h"
#include "seed_baseline.h"
#include "workload.h"

namespace bench {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kImmediate:
      return "Immediate";
    case Mode::kBatched:
      return "Batched(1000,1s)";
    case Mode::kHybrid:
      return "Hybrid(100,1s,crit) 1% critical";
    case Mode::kNone:
      return "-";
  }
  return "-";
}

void SetError(CaseResult* r, const char* fmt, ...) {
  r->ok = 0;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double CurrentRssMb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void FillLatency(const Histogram& h, CaseResult* r) {
  r->p50_us = static_cast<double>(h.Percentile(0.50)) / 1000.0;
  r->p99_us = static_cast<double>(h.Percentile(0.99)) / 1000.0;
  r->p999_us = static_cast<double>(h.Percentile(0.999)) / 1000.0;
  r->max_us = static_cast<double>(h.max()) / 1000.0;
}

// ---------------------------------------------------------------------------------------
// The cases.

namespace {

auditlog::FlushMode ToFlushMode(Mode m) {
  switch (m) {
    case Mode::kBatched:
      return auditlog::Batched{.size = 1000, .interval = 1s};
    case Mode::kHybrid:
      return auditlog::Hybrid{.batch_size = 100, .batch_interval = 1s, .critical_immediate = true};
    default:
      return auditlog::Immediate{};
  }
}

CaseResult RunAuditlog(const CaseSpec& spec, const fs::path& dir) {
  CaseResult r;
  auditlog::Config config;
  config.service_id = "bench";
  config.mode = auditlog::LocalMode{dir};
  config.flush_mode = ToFlushMode(spec.mode);
  config.overflow = auditlog::OverflowPolicy::kBlock;
  config.block_timeout = 120s;
  if (spec.kind != Kind::kMemory) {
    // Large enough that producers rarely wait; the block policy guarantees no event is lost.
    config.queue_capacity_events = kEmitQueueEvents;
    config.queue_capacity_bytes = kEmitQueueBytes;
  }
  r.queue_capacity = config.queue_capacity_events;
  if (spec.sealed) {
    auto init = auditlog::InitSealing(dir);
    if (!init.ok()) {
      SetError(&r, "InitSealing: %s", init.status().ToString().c_str());
      return r;
    }
  }
  auto opened = auditlog::Logger::Open(config);
  if (!opened.ok()) {
    SetError(&r, "Logger::Open: %s", opened.status().ToString().c_str());
    return r;
  }
  auditlog::Logger& logger = **opened;
  std::vector<std::vector<auditlog::Event>> templates;
  for (int p = 0; p < spec.producers; ++p)
    templates.push_back(Templates(p, spec.mode == Mode::kHybrid));
  const auditlog::Stats before = logger.GetStats();

  std::vector<std::unique_ptr<ProducerStats>> stats;
  const RunShape shape{spec.producers, spec.max_events, spec.budget_seconds,
                       spec.kind == Kind::kMemory};
  auto prepare = [&](int p, std::uint64_t i) -> auditlog::Event {
    return templates[static_cast<std::size_t>(p)][i % kTemplates];  // a copy; SSO strings
  };
  Clock::time_point t0;
  if (spec.durable) {
    t0 = RunProducers(
        shape, prepare,
        [&](int, auditlog::Event e) -> std::string {
          auditlog::Status s = logger.EmitDurable(std::move(e));
          return s.ok() ? std::string() : s.ToString();
        },
        &stats);
  } else {
    t0 = RunProducers(
        shape, prepare,
        [&](int, auditlog::Event e) -> std::string {
          auto s = logger.Emit(std::move(e));
          return s.ok() ? std::string() : s.status().ToString();
        },
        &stats);
  }
  // Everything emitted is durable when Flush returns (EmitDurable callers already waited).
  auditlog::Status flushed = spec.durable ? auditlog::Status::Ok() : logger.Flush();
  const auto t1 = Clock::now();
  const auditlog::Stats after = logger.GetStats();
  auditlog::Status shut = logger.Shutdown();

  r.ok = 1;
  Summarize(stats, &r);
  r.seconds = Seconds(t1 - t0);
  r.events_per_sec = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  r.fsyncs = after.fsyncs - before.fsyncs;
  r.bytes = after.bytes_written - before.bytes_written;
  r.queue_high_water = after.queue_high_water_events;
  if (!flushed.ok()) SetError(&r, "Flush: %s", flushed.ToString().c_str());
  if (!shut.ok()) SetError(&r, "Shutdown: %s", shut.ToString().c_str());
  if (r.rejected > 0 && r.ok) r.ok = 0;  // the first rejection's message is in r.error
  r.peak_rss_mb = PeakRssMb();
  return r;
}

SeedPolicy ToSeedPolicy(Mode m) {
  switch (m) {
    case Mode::kBatched:
      return {SeedPolicy::kBatched, 1000, 1s, false};
    case Mode::kHybrid:
      return {SeedPolicy::kHybrid, 100, 1s, true};
    default:
      return {SeedPolicy::kImmediate, 1, 1s, false};
  }
}

CaseResult RunSeed(const CaseSpec& spec, const fs::path& dir) {
  CaseResult r;
  std::string error;
  auto writer = SeedWriter::Open(dir, ToSeedPolicy(spec.mode), "bench", &error);
  if (!writer) {
    SetError(&r, "%s", error.c_str());
    return r;
  }
  r.queue_capacity = SeedWriter::kQueueSlots;
  std::vector<std::vector<auditlog::Event>> templates;
  for (int p = 0; p < spec.producers; ++p)
    templates.push_back(Templates(p, spec.mode == Mode::kHybrid));
  std::vector<std::unique_ptr<ProducerStats>> stats;
  const RunShape shape{spec.producers, spec.max_events, spec.budget_seconds, false};
  auto prepare = [&](int p, std::uint64_t i) -> auditlog::Event {
    return templates[static_cast<std::size_t>(p)][i % kTemplates];
  };
  const Clock::time_point t0 = RunProducers(
      shape, prepare,
      [&](int, auditlog::Event e) -> std::string {
        const std::uint64_t seq = writer->Send(std::move(e));
        if (spec.durable) writer->WaitDurable(seq);
        return {};
      },
      &stats);
  if (!spec.durable) writer->Close();  // drains the queue and fsyncs: everything durable
  const auto t1 = Clock::now();
  writer->Close();
  r.ok = 1;
  Summarize(stats, &r);
  r.seconds = Seconds(t1 - t0);
  r.events_per_sec = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  r.fsyncs = writer->fsyncs();
  r.bytes = writer->bytes_written();
  if (!writer->io_error().empty()) SetError(&r, "%s", writer->io_error().c_str());
  if (writer->encode_errors() > 0)
    SetError(&r, "%" PRIu64 " events failed to encode", writer->encode_errors());
  r.peak_rss_mb = PeakRssMb();
  return r;
}

CaseResult RunSpdlog(const CaseSpec& spec, const fs::path& dir) {
  CaseResult r;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::vector<std::vector<std::string>> lines;
  for (int p = 0; p < spec.producers; ++p) lines.push_back(RenderLines(Templates(p, false)));
  std::shared_ptr<spdlog::logger> logger;
  try {
    spdlog::init_thread_pool(8192, 1);  // spdlog's defaults: 8192 slots, one worker thread
    logger = spdlog::create_async<spdlog::sinks::basic_file_sink_mt>("bench",
                                                                     (dir / "spdlog.log").string());
    logger->set_pattern("%v");  // the pre-rendered record line, nothing else
    logger->set_level(spdlog::level::info);
  } catch (const std::exception& e) {
    SetError(&r, "spdlog: %s", e.what());
    return r;
  }
  r.queue_capacity = 8192;
  std::vector<std::unique_ptr<ProducerStats>> stats;
  const RunShape shape{spec.producers, spec.max_events, spec.budget_seconds, false};
  auto prepare = [&](int p, std::uint64_t i) -> const std::string* {
    return &lines[static_cast<std::size_t>(p)][i % lines[static_cast<std::size_t>(p)].size()];
  };
  const Clock::time_point t0 = RunProducers(
      shape, prepare,
      [&](int, const std::string* line) -> std::string {
        logger->log(spdlog::level::info, spdlog::string_view_t(line->data(), line->size()));
        return {};
      },
      &stats);
  // flush() only queues a flush request on an async logger; shutdown() joins the worker
  // after it has written (and flushed) everything queued before.
  logger->flush();
  logger.reset();
  spdlog::shutdown();
  const auto t1 = Clock::now();
  r.ok = 1;
  Summarize(stats, &r);
  r.seconds = Seconds(t1 - t0);
  r.events_per_sec = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  r.bytes = fs::file_size(dir / "spdlog.log", ec);
  r.peak_rss_mb = PeakRssMb();
  return r;
}

// The physical limit for one waiting producer: append a ~300-byte line, fsync, repeat.
// With `busy_cpus`, one spinning thread per CPU keeps the CPUs from idling meanwhile: on
// some virtual machines an fsync completes much later when the waiting CPU has gone idle.
CaseResult RunRawFsync(const CaseSpec& spec, const fs::path& dir, bool busy_cpus) {
  CaseResult r;
  std::atomic<bool> stop_spinning{false};
  std::vector<std::thread> spinners;
  if (busy_cpus) {
    const unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      spinners.emplace_back([&] {
        while (!stop_spinning.load(std::memory_order_relaxed)) {
        }
      });
    }
  }
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop.store(true);
      for (auto& t : threads) t.join();
    }
  } joiner{stop_spinning, spinners};
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = dir / "raw.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    SetError(&r, "open %s: %s", path.c_str(), std::strerror(errno));
    return r;
  }
  std::string line(299, 'x');
  line.push_back('\n');
  Histogram h;
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(spec.budget_seconds));
  r.ok = 1;
  for (;;) {
    const auto t1 = Clock::now();
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(fd) != 0) {
      SetError(&r, "write/fsync: %s", std::strerror(errno));
      break;
    }
    const auto t2 = Clock::now();
    h.Add(Nanos(t2 - t1));
    ++r.events;
    ++r.fsyncs;
    r.bytes += line.size();
    if (t2 >= deadline) break;
  }
  r.seconds = Seconds(Clock::now() - t0);
  ::close(fd);
  r.events_per_sec = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  FillLatency(h, &r);
  r.peak_rss_mb = PeakRssMb();
  return r;
}

// The cost of Emit on a DisabledMode logger: (copy + Emit) minus (copy + destroy), per call.
CaseResult RunDisabled(const CaseSpec& spec, const fs::path&) {
  CaseResult r;
  auditlog::Config config;
  config.service_id = "bench";
  config.mode = auditlog::DisabledMode{};
  auto opened = auditlog::Logger::Open(config);
  if (!opened.ok()) {
    SetError(&r, "Logger::Open: %s", opened.status().ToString().c_str());
    return r;
  }
  auditlog::Logger& logger = **opened;
  const auto templates = Templates(0, false);
  const std::uint64_t n = spec.max_events;
  std::uint64_t allocs = 0, failed = 0, sink = 0;
  double best_emit = 1e30, best_base = 1e30;
  for (int round = 0; round < 3; ++round) {
    auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
      auditlog::Event e = templates[i % kTemplates];
      AllocScope count(&allocs);
      auto s = logger.Emit(std::move(e));
      if (!s.ok()) ++failed;
    }
    best_emit = std::min(best_emit, static_cast<double>(Nanos(Clock::now() - t0)));
    t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
      auditlog::Event e = templates[i % kTemplates];
      sink += e.index();
      asm volatile("" : : "r"(&e) : "memory");  // keep the copy
    }
    best_base = std::min(best_base, static_cast<double>(Nanos(Clock::now() - t0)));
  }
  r.ok = failed == 0 ? 1 : 0;
  if (failed) SetError(&r, "%" PRIu64 " Emit calls failed on a DisabledMode logger", failed);
  r.events = n;
  r.seconds = best_emit / 1e9;
  r.ns_per_op = std::max(0.0, (best_emit - best_base) / static_cast<double>(n));
  r.events_per_sec = r.ns_per_op > 0 ? 1e9 / r.ns_per_op : 0;
  r.allocs_per_call = static_cast<double>(allocs) / static_cast<double>(3 * n);
  r.peak_rss_mb = PeakRssMb();
  if (sink == 42) std::fprintf(stderr, " ");
  return r;
}

CaseResult RunCase(const CaseSpec& spec, const fs::path& dir) {
  switch (spec.kind) {
    case Kind::kRawFsync:
      return RunRawFsync(spec, dir, false);
    case Kind::kRawFsyncBusy:
      return RunRawFsync(spec, dir, true);
    case Kind::kAuditlog:
    case Kind::kMemory:
    case Kind::kLatency:
      return RunAuditlog(spec, dir);
    case Kind::kSeed:
      return RunSeed(spec, dir);
    case Kind::kSpdlog:
      return RunSpdlog(spec, dir);
    case Kind::kDisabled:
      return RunDisabled(spec, dir);
  }
  return {};
}

}  // namespace

// Runs `spec` in a child process (own peak RSS, own threads) and removes its files after.
CaseResult RunIsolated(const CaseSpec& spec, const fs::path& dir, unsigned timeout_seconds) {
  CaseResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    SetError(&r, "pipe: %s", std::strerror(errno));
    return r;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    SetError(&r, "fork: %s", std::strerror(errno));
    return r;
  }
  if (pid == 0) {
    ::close(fds[0]);
    alarm(timeout_seconds);  // a hung case must not hang the benchmark
    const CaseResult out = RunCase(spec, dir);
    const char* p = reinterpret_cast<const char*>(&out);
    std::size_t left = sizeof out;
    while (left > 0) {
      const ssize_t n = ::write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  ::close(fds[1]);
  char* p = reinterpret_cast<char*>(&r);
  std::size_t got = 0;
  while (got < sizeof r) {
    const ssize_t n = ::read(fds[0], p + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof r) {
    r = CaseResult{};
    if (WIFSIGNALED(status)) {
      SetError(&r, "case process died: %s%s", strsignal(WTERMSIG(status)),
               WTERMSIG(status) == SIGALRM ? " (timed out)" : "");
    } else {
      SetError(&r, "case process exited with status %d without a result", WEXITSTATUS(status));
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

// ---------------------------------------------------------------------------------------
// The plan.

std::vector<CaseSpec> Plan(const Options& o) {
  std::vector<CaseSpec> cases;
  const int kProducers[] = {1, 4, 32};
  const Mode kModes[] = {Mode::kImmediate, Mode::kBatched, Mode::kHybrid};
  auto name = [](const char* system, Mode m, int p, const char* call) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s %s %dp %s", system, ModeName(m), p, call);
    return std::string(buf);
  };
  cases.push_back({"raw fsync (write 300 B + fsync, 1 thread)", Kind::kRawFsync, Mode::kNone, 1,
                   true, 0, o.seconds});
  cases.push_back({"raw fsync, CPUs kept busy by spinning threads (info)", Kind::kRawFsyncBusy,
                   Mode::kNone, 1, true, 0, o.seconds});
  for (Mode m : kModes) {
    for (bool durable : {true, false}) {
      const char* call = durable ? "EmitDurable" : "Emit";
      for (int p : kProducers) {
        // Durable cases are bounded by the fsync rate: the time budget ends them.
        cases.push_back({name("auditlog", m, p, call), Kind::kAuditlog, m, p, durable,
                         durable ? std::uint64_t{1} << 40 : o.events, o.seconds});
      }
      // The seed had no durable wait in Batched/Hybrid: a batch is fsync'ed only after a
      // later write, so a producer waiting for its own event would wait forever.
      if (durable && m != Mode::kImmediate) continue;
      // Seed Immediate without waiting: its 1000-slot queue drains at one fsync per event
      // after the budget; --quick keeps that drain short.
      const std::uint64_t seed_events = durable ? std::uint64_t{1} << 40
                                        : (o.quick && m == Mode::kImmediate) ? std::uint64_t{100}
                                                                             : o.events;
      for (int p : kProducers) {
        cases.push_back({name("seed", m, p, durable ? "send+wait-fsync" : "send"), Kind::kSeed, m,
                         p, durable, seed_events, o.seconds});
      }
    }
  }
  // Sealing's cost (issue 10: Emit >= 95% of the unsealed case in the same run; durable
  // cases unchanged within noise). Listed after the unsealed cases, which targets.cc finds
  // first.
  for (Mode m : {Mode::kBatched, Mode::kHybrid}) {
    for (int p : {1, 4}) {
      cases.push_back({name("auditlog sealed", m, p, "Emit"), Kind::kAuditlog, m, p, false,
                       o.events, o.seconds, /*sealed=*/true});
    }
  }
  cases.push_back({name("auditlog sealed", Mode::kImmediate, 1, "EmitDurable"), Kind::kAuditlog,
                   Mode::kImmediate, 1, true, std::uint64_t{1} << 40, o.seconds,
                   /*sealed=*/true});
  for (int p : kProducers) {
    cases.push_back({name("spdlog-async", Mode::kNone, p, "log (no fsync)"), Kind::kSpdlog,
                     Mode::kNone, p, false, o.events, o.seconds});
  }
  // Emit latency while the queue cannot fill: fewer events than the queue holds.
  cases.push_back({"auditlog Batched(1000,1s) 1p Emit, queue never full (latency)", Kind::kLatency,
                   Mode::kBatched, 1, false,
                   std::min<std::uint64_t>(o.quick ? 5'000 : 50'000, kEmitQueueEvents / 2), 0});
  cases.push_back({"auditlog DisabledMode 1p Emit", Kind::kDisabled, Mode::kNone, 1, false,
                   o.quick ? std::uint64_t{200'000} : std::uint64_t{2'000'000}, 0});
  cases.push_back({"memory: auditlog Batched(1000,1s) 1p Emit, default queue (1000 events)",
                   Kind::kMemory, Mode::kBatched, 1, false, o.memory_events, 0});
  if (!o.filter.empty()) {
    std::erase_if(cases,
                  [&](const CaseSpec& c) { return c.name.find(o.filter) == std::string::npos; });
  }
  return cases;
}

}  // namespace bench
