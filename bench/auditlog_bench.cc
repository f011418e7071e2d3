// auditlog-bench: throughput, durability cost, latency, allocations and memory of the
// auditlog Logger, side by side with the physical fsync limit of the disk, a re-creation of
// the seed's writer design (seed_baseline.h) and spdlog's async file logger.
//
//   auditlog-bench [--quick] [--json] [--dir DIR] [--events N] [--memory-events N]
//                  [--seconds S] [--case SUBSTRING] [--plot FILE.png]
//
// Every case runs in a forked child process, so that its peak RSS (getrusage ru_maxrss) is
// its own and no state (threads, spdlog's registry, page cache of the heap) leaks into the
// next case. Only the public Logger API is used for the auditlog cases.
#include <fcntl.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/statfs.h>
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
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "alloc_counter.h"
#include "auditlog/auditlog.h"
#include "bench_util.h"
#include "format/event_codec.h"
#include "read_bench.h"
#include "format/record_format.h"
#include "seed_baseline.h"

namespace bench {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------
// Options.

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

// ---------------------------------------------------------------------------------------
// Cases and results.

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

struct CaseSpec {
  std::string name;
  Kind kind;
  Mode mode = Mode::kNone;
  int producers = 1;
  bool durable = false;          // EmitDurable (or wait for the own fsync) vs Emit
  std::uint64_t max_events = 0;  // total over all producers
  double budget_seconds = 0;     // producers stop after this (0: no budget)
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
// Realistic events: what an inference service logs per request. Routine events alternate
// AuthSuccess and TaskCompleted (records of ~350-400 bytes); in the Hybrid cases every 100th
// event is a critical AuthFailure.

auditlog::Event RoutineEvent(std::uint64_t i) {
  char buf[32];
  if (i % 2 == 0) {
    std::snprintf(buf, sizeof buf, "token:%06" PRIx64, (i * 2654435761u) & 0xffffff);
    std::string user = buf;
    std::snprintf(buf, sizeof buf, "10.0.%u.%u", static_cast<unsigned>(i % 7),
                  static_cast<unsigned>(1 + i % 250));
    std::string ip = buf;
    std::snprintf(buf, sizeof buf, "sess-%06" PRIu64, i % 1000000);
    return auditlog::AuthSuccess{.actor = {.user_id = user,
                                           .ip = auditlog::IpAddr(ip),
                                           .auth_method = auditlog::AuthMethod::kBearerToken,
                                           .session_id = std::string(buf)},
                                 .method = auditlog::AuthMethod::kBearerToken,
                                 .path = "/v2/tasks",
                                 .service_id = "queen"};
  }
  std::snprintf(buf, sizeof buf, "task-%010" PRIu64, i);
  std::string task = buf;
  std::snprintf(buf, sizeof buf, "gpu-worker-%02u", static_cast<unsigned>(i % 16));
  return auditlog::TaskCompleted{.task_id = task,
                                 .worker_id = buf,
                                 .tokens_generated = 100 + (i * 37) % 4000,
                                 .duration_ms = 20 + (i * 13) % 5000,
                                 .result = auditlog::AuditResult::Success()};
}

auditlog::Event CriticalEvent(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "203.0.113.%u", static_cast<unsigned>(1 + i % 250));
  return auditlog::AuthFailure{.attempted_user = std::string("mallory"),
                               .reason = "bad_password",
                               .ip = auditlog::IpAddr(buf),
                               .path = "/v2/tasks",
                               .service_id = "queen"};
}

constexpr std::size_t kTemplates = 100;

// 100 events; with `critical`, the last one (1%) is critical.
std::vector<auditlog::Event> Templates(int producer, bool critical) {
  std::vector<auditlog::Event> v;
  v.reserve(kTemplates);
  for (std::size_t i = 0; i < kTemplates; ++i) {
    const std::uint64_t n = static_cast<std::uint64_t>(producer) * 1000 + i;
    v.push_back(critical && i == kTemplates - 1 ? CriticalEvent(n) : RoutineEvent(n));
  }
  return v;
}

// The record lines the library would write for the templates (without the '\n').
std::vector<std::string> RenderLines(const std::vector<auditlog::Event>& events) {
  std::vector<std::string> lines;
  std::string prev(auditlog::internal::kGenesisHash);
  auditlog::internal::EncodedEvent enc;
  char hash[64];
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::uint64_t seq = 1000000;
  for (const auto& e : events) {
    if (!auditlog::internal::EncodeEvent(e, {}, &enc).ok()) continue;
    std::string line;
    auditlog::internal::FrameRecord(seq++, now, "bench", enc.critical, enc.body, prev, &line, hash);
    prev.assign(hash, 64);
    line.pop_back();  // '\n'
    lines.push_back(std::move(line));
  }
  return lines;
}

double AverageRecordBytes() {
  const auto lines = RenderLines(Templates(0, false));
  double total = 0;
  for (const auto& l : lines) total += static_cast<double>(l.size() + 1);
  return lines.empty() ? 0 : total / static_cast<double>(lines.size());
}

// ---------------------------------------------------------------------------------------
// The producer harness shared by the auditlog, seed and spdlog cases: `producers` threads
// start together; each calls `call(producer, i)` until its share of max_events is done or
// the time budget is spent; each call is timed and its allocations counted. `prepare` runs
// before each call, outside the timing and the allocation count (it builds the event).

struct ProducerStats {
  Histogram hist;
  std::uint64_t ok = 0, failed = 0, allocs = 0;
  std::string first_error;
  std::vector<std::pair<std::uint64_t, double>> rss;  // memory case: (events, RSS MB)
};

struct RunShape {
  int producers = 1;
  std::uint64_t max_events = 0;
  double budget_seconds = 0;
  bool sample_rss = false;
};

// `call` returns an empty string on success, else an error.
template <typename Prepare, typename Call>
Clock::time_point RunProducers(const RunShape& shape, Prepare&& prepare, Call&& call,
                               std::vector<std::unique_ptr<ProducerStats>>* out) {
  const int p = shape.producers;
  out->clear();
  for (int i = 0; i < p; ++i) out->push_back(std::make_unique<ProducerStats>());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point deadline = Clock::time_point::max();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(p));
  for (int t = 0; t < p; ++t) {
    threads.emplace_back([&, t] {
      ProducerStats& st = *(*out)[static_cast<std::size_t>(t)];
      const std::uint64_t quota = shape.max_events / static_cast<std::uint64_t>(p) +
                                  (static_cast<std::uint64_t>(t) < shape.max_events % p ? 1 : 0);
      const std::uint64_t sample_every = std::max<std::uint64_t>(1, quota / kMaxRssSamples);
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::uint64_t i = 0; i < quota; ++i) {
        auto arg = prepare(t, i);
        const auto t1 = Clock::now();
        std::string err;
        {
          AllocScope count(&st.allocs);
          err = call(t, std::move(arg));
        }
        const auto t2 = Clock::now();
        st.hist.Add(Nanos(t2 - t1));
        if (err.empty()) {
          ++st.ok;
        } else {
          ++st.failed;
          if (st.first_error.empty()) st.first_error = err;
        }
        if (shape.sample_rss && (i + 1) % sample_every == 0)
          st.rss.emplace_back(i + 1, CurrentRssMb());
        if (t2 >= deadline) break;
      }
    });
  }
  while (ready.load() < p) std::this_thread::yield();
  const auto t0 = Clock::now();
  if (shape.budget_seconds > 0) {
    deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(shape.budget_seconds));
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  return t0;
}

void Summarize(const std::vector<std::unique_ptr<ProducerStats>>& stats, CaseResult* r) {
  Histogram h;
  std::uint64_t allocs = 0, calls = 0;
  for (const auto& s : stats) {
    h.Merge(s->hist);
    r->events += s->ok;
    r->rejected += s->failed;
    allocs += s->allocs;
    calls += s->ok + s->failed;
    if (r->error[0] == '\0' && !s->first_error.empty()) {
      std::snprintf(r->error, sizeof r->error, "%s", s->first_error.c_str());
    }
  }
  FillLatency(h, r);
  r->allocs_per_call = calls ? static_cast<double>(allocs) / static_cast<double>(calls) : 0;
  if (!stats.empty()) {
    const auto& rss = stats.front()->rss;
    for (std::size_t i = 0; i < rss.size() && i < kMaxRssSamples; ++i) {
      r->rss_at_events[i] = rss[i].first;
      r->rss_mb[i] = rss[i].second;
      r->rss_samples = static_cast<int>(i + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The cases.

constexpr std::size_t kEmitQueueEvents = 1 << 16;
constexpr std::size_t kEmitQueueBytes = 256u << 20;

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

// ---------------------------------------------------------------------------------------
// Reporting.

struct Row {
  CaseSpec spec;
  CaseResult r;
};

std::string Group(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  const std::size_t dot = s.find('.');
  std::size_t end = dot == std::string::npos ? s.size() : dot;
  const std::size_t begin = (s[0] == '-') ? 1 : 0;
  for (std::size_t i = end; i > begin + 3; i -= 3) s.insert(i - 3, ",");
  return s;
}

std::string Num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Latency(double us) { return us >= 100 ? Group(us) : Num(us, us >= 10 ? 1 : 2); }

const Row* Find(const std::vector<Row>& rows, Kind kind, Mode mode, int producers, bool durable) {
  for (const auto& row : rows) {
    if (row.spec.kind == kind && row.spec.mode == mode && row.spec.producers == producers &&
        row.spec.durable == durable && row.r.ok) {
      return &row;
    }
  }
  return nullptr;
}

struct Target {
  std::string verdict;  // PASS, MISS, SKIP
  std::string text;
};

std::vector<Target> EvaluateTargets(const std::vector<Row>& rows) {
  std::vector<Target> t;
  auto add = [&](bool have, bool pass, std::string text) {
    t.push_back({!have ? "SKIP" : pass ? "PASS" : "MISS", std::move(text)});
  };
  const Row* imm32 = Find(rows, Kind::kAuditlog, Mode::kImmediate, 32, true);
  const Row* seed32 = Find(rows, Kind::kSeed, Mode::kImmediate, 32, true);
  const Row* imm1 = Find(rows, Kind::kAuditlog, Mode::kImmediate, 1, true);
  const Row* raw = Find(rows, Kind::kRawFsync, Mode::kNone, 1, true);
  const Row* spd1 = Find(rows, Kind::kSpdlog, Mode::kNone, 1, false);
  {
    const double v = imm32 ? imm32->r.events_per_sec : 0;
    add(imm32, v >= 100'000,
        "Immediate, 32 producers EmitDurable: " + Group(v) +
            " durable events/s (target >= 100,000)");
  }
  {
    const double ratio = imm32 && seed32 && seed32->r.events_per_sec > 0
                             ? imm32->r.events_per_sec / seed32->r.events_per_sec
                             : 0;
    add(imm32 && seed32, ratio >= 20,
        "Immediate, 32 producers EmitDurable vs seed design (fsync per event): " + Num(ratio, 1) +
            "x (target >= 20x; seed " + Group(seed32 ? seed32->r.events_per_sec : 0) + "/s)");
  }
  {
    const double ratio = imm1 && raw && raw->r.events_per_sec > 0
                             ? imm1->r.events_per_sec / raw->r.events_per_sec
                             : 0;
    add(imm1 && raw, ratio >= 0.9,
        "Immediate, 1 producer EmitDurable: " + Num(100 * ratio, 0) + "% of the raw fsync rate (" +
            Group(imm1 ? imm1->r.events_per_sec : 0) + " vs " +
            Group(raw ? raw->r.events_per_sec : 0) + "/s; target >= 90%)");
  }
  for (Mode m : {Mode::kHybrid, Mode::kBatched}) {
    const Row* row = Find(rows, Kind::kAuditlog, m, 1, false);
    const double v = row ? row->r.events_per_sec : 0;
    add(row, v >= 1'000'000,
        std::string(ModeName(m)) + ", 1 producer Emit: " + Group(v) +
            " events/s until durable, hashed and chained (target >= 1,000,000)");
    const double ratio = row && spd1 && spd1->r.events_per_sec > 0 ? v / spd1->r.events_per_sec : 0;
    add(row && spd1, ratio >= 1.0,
        std::string(ModeName(m)) +
            ", 1 producer Emit vs spdlog async (1 producer, no fsync): " + Num(ratio, 2) +
            "x (target >= 1.00x; spdlog " + Group(spd1 ? spd1->r.events_per_sec : 0) + "/s)");
  }
  {
    // p99 of Emit while the queue is not full: single-producer Emit cases whose queue never
    // reached capacity (with more producers than cores, p99 measures preemption).
    double worst = -1;
    std::string where;
    for (const auto& row : rows) {
      if (!row.r.ok || row.spec.durable || row.spec.producers != 1) continue;
      if (row.spec.kind != Kind::kAuditlog && row.spec.kind != Kind::kLatency) continue;
      if (row.r.queue_high_water >= row.r.queue_capacity) continue;
      if (row.r.p99_us > worst) {
        worst = row.r.p99_us;
        where = row.spec.name;
      }
    }
    add(worst >= 0, worst >= 0 && worst <= 2.0,
        "Emit p99 while the queue is not full: " + Num(worst < 0 ? 0 : worst, 2) +
            " us (worst 1-producer case: " + (where.empty() ? "-" : where) + "; target <= 2 us)");
  }
  {
    double worst = -1;
    std::string where;
    for (const auto& row : rows) {
      if (!row.r.ok || row.spec.durable) continue;
      if (row.spec.kind != Kind::kAuditlog && row.spec.kind != Kind::kLatency &&
          row.spec.kind != Kind::kMemory) {
        continue;
      }
      if (row.r.allocs_per_call > worst) {
        worst = row.r.allocs_per_call;
        where = row.spec.name;
      }
    }
    add(worst >= 0, worst >= 0 && worst <= 1.0,
        "Heap allocations per Emit beyond constructing the event: " +
            Num(worst < 0 ? 0 : worst, 2) + " (worst: " + (where.empty() ? "-" : where) +
            "; target <= 1)");
  }
  return t;
}

std::string CaseLabel(const Row& row) { return row.spec.name; }

void PrintTable(const std::vector<Row>& rows, std::FILE* out) {
  std::fprintf(out,
               "| case | events | events/s | fsyncs | events/fsync | p50 us | p99 us | p99.9 us | "
               "allocs/call | peak RSS MB |\n");
  std::fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& row : rows) {
    const CaseResult& r = row.r;
    if (row.spec.kind == Kind::kDisabled || row.spec.kind == Kind::kMemory) continue;
    if (!r.ok && r.events == 0) {
      std::fprintf(out, "| %s | FAILED: %s | | | | | | | | |\n", CaseLabel(row).c_str(), r.error);
      continue;
    }
    const bool has_fsync = row.spec.kind != Kind::kSpdlog;
    std::fprintf(out, "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f |\n",
                 CaseLabel(row).c_str(), r.ok ? "" : " (ERROR, see below)",
                 Group(double(r.events)).c_str(), Group(r.events_per_sec).c_str(),
                 has_fsync ? Group(double(r.fsyncs)).c_str() : "-",
                 has_fsync && r.fsyncs ? Num(double(r.events) / double(r.fsyncs), 1).c_str() : "-",
                 Latency(r.p50_us).c_str(), Latency(r.p99_us).c_str(), Latency(r.p999_us).c_str(),
                 r.allocs_per_call < 0 ? "-" : Num(r.allocs_per_call, 2).c_str(), r.peak_rss_mb);
  }
  for (const auto& row : rows) {
    if (!row.r.ok) std::fprintf(out, "\nERROR in %s: %s\n", CaseLabel(row).c_str(), row.r.error);
  }
  for (const auto& row : rows) {
    const CaseResult& r = row.r;
    if (row.spec.kind == Kind::kDisabled && r.ok) {
      std::fprintf(out,
                   "\nDisabledMode: %.1f ns per Emit (beyond copying the event), %.2f allocations "
                   "per Emit\n",
                   r.ns_per_op, r.allocs_per_call);
    }
    if (row.spec.kind == Kind::kMemory && r.events > 0) {
      std::fprintf(out, "\nMemory (%s): %s events at %s events/s, peak RSS %.1f MB; RSS as it ran:",
                   row.spec.name.c_str(), Group(double(r.events)).c_str(),
                   Group(r.events_per_sec).c_str(), r.peak_rss_mb);
      for (int i = 0; i < r.rss_samples; ++i) {
        std::fprintf(out, "%s %s: %.1f MB", i ? "," : "", Group(double(r.rss_at_events[i])).c_str(),
                     r.rss_mb[i]);
      }
      std::fprintf(out, "\n");
    }
  }
}

std::string JsonString(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o + "\"";
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kRawFsync:
      return "raw_fsync";
    case Kind::kRawFsyncBusy:
      return "raw_fsync_busy_cpus";
    case Kind::kAuditlog:
      return "auditlog";
    case Kind::kSeed:
      return "seed";
    case Kind::kSpdlog:
      return "spdlog";
    case Kind::kDisabled:
      return "disabled";
    case Kind::kMemory:
      return "memory";
    case Kind::kLatency:
      return "latency";
  }
  return "?";
}

struct Machine {
  unsigned cpus = 0;
  std::string cpu_model;
  std::string fs_type;
  std::string dir;
  std::string commit;
  double record_bytes = 0;
};

std::string JsonNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void PrintJson(const Machine& m, const Options& o, const std::vector<Row>& rows,
               const std::vector<Target>& targets, std::FILE* out,
               const ReadBenchResult* read = nullptr) {
  std::fprintf(
      out, "{\n  \"machine\": {\"cpus\": %u, \"cpu_model\": %s, \"fs_type\": %s, \"dir\": %s},\n",
      m.cpus, JsonString(m.cpu_model).c_str(), JsonString(m.fs_type).c_str(),
      JsonString(m.dir).c_str());
  std::fprintf(out, "  \"commit\": %s,\n  \"quick\": %s,\n  \"record_bytes_avg\": %s,\n",
               JsonString(m.commit).c_str(), o.quick ? "true" : "false",
               JsonNumber(m.record_bytes).c_str());
  std::fprintf(out, "  \"cases\": [\n");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& s = rows[i].spec;
    const auto& r = rows[i].r;
    std::fprintf(
        out,
        "    {\"name\": %s, \"system\": \"%s\", \"mode\": %s, \"producers\": %d, \"durable\": %s, "
        "\"ok\": %s, \"error\": %s, \"events\": %" PRIu64 ", \"rejected\": %" PRIu64
        ", \"seconds\": %s, \"events_per_sec\": %s, \"fsyncs\": %" PRIu64
        ", \"events_per_fsync\": %s, \"bytes\": %" PRIu64
        ", \"latency_us\": {\"p50\": %s, \"p99\": %s, \"p999\": %s, \"max\": %s}, "
        "\"allocs_per_call\": %s, \"peak_rss_mb\": %s, \"queue_high_water\": %" PRIu64
        ", \"queue_capacity\": %" PRIu64,
        JsonString(s.name).c_str(), KindName(s.kind), JsonString(ModeName(s.mode)).c_str(),
        s.producers, s.durable ? "true" : "false", r.ok ? "true" : "false",
        JsonString(r.error).c_str(), r.events, r.rejected, JsonNumber(r.seconds).c_str(),
        JsonNumber(r.events_per_sec).c_str(), r.fsyncs,
        JsonNumber(r.fsyncs ? double(r.events) / double(r.fsyncs) : 0).c_str(), r.bytes,
        JsonNumber(r.p50_us).c_str(), JsonNumber(r.p99_us).c_str(), JsonNumber(r.p999_us).c_str(),
        JsonNumber(r.max_us).c_str(), JsonNumber(r.allocs_per_call).c_str(),
        JsonNumber(r.peak_rss_mb).c_str(), r.queue_high_water, r.queue_capacity);
    if (s.kind == Kind::kDisabled)
      std::fprintf(out, ", \"ns_per_emit\": %s", JsonNumber(r.ns_per_op).c_str());
    if (s.kind == Kind::kMemory) {
      std::fprintf(out, ", \"rss_samples\": [");
      for (int k = 0; k < r.rss_samples; ++k) {
        std::fprintf(out, "%s{\"events\": %" PRIu64 ", \"rss_mb\": %s}", k ? ", " : "",
                     r.rss_at_events[k], JsonNumber(r.rss_mb[k]).c_str());
      }
      std::fprintf(out, "]");
    }
    std::fprintf(out, "}%s\n", i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(out, "  ],\n  \"targets\": [\n");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::fprintf(out, "    {\"verdict\": \"%s\", \"text\": %s}%s\n", targets[i].verdict.c_str(),
                 JsonString(targets[i].text).c_str(), i + 1 < targets.size() ? "," : "");
  }
  std::fprintf(out, "  ]%s\n}\n", ReadBenchJsonMember(read).c_str());
}

// ---------------------------------------------------------------------------------------
// Plot: two panels (EmitDurable, Emit), events/s vs producers, one line per system and mode.

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void WritePlot(const std::vector<Row>& rows, const std::string& png) {
  const fs::path png_path(png);
  fs::path dat = png_path;
  dat.replace_extension(".dat");
  std::ofstream f(dat);
  if (!f) {
    std::fprintf(stderr, "warning: cannot write %s; no plot\n", dat.c_str());
    return;
  }
  struct Series {
    std::string title;
    Kind kind;
    Mode mode;
  };
  const int kProducers[] = {1, 4, 32};
  int values[2] = {0, 0};  // per panel: auditlog/seed/spdlog points present
  const Row* raw = Find(rows, Kind::kRawFsync, Mode::kNone, 1, true);
  const Row* raw_busy = Find(rows, Kind::kRawFsyncBusy, Mode::kNone, 1, true);
  for (bool durable : {true, false}) {
    std::vector<Series> series;
    for (Mode m : {Mode::kImmediate, Mode::kBatched, Mode::kHybrid}) {
      series.push_back({std::string("auditlog ") + ModeName(m), Kind::kAuditlog, m});
    }
    for (Mode m : {Mode::kImmediate, Mode::kBatched, Mode::kHybrid}) {
      if (durable && m != Mode::kImmediate) continue;
      series.push_back({std::string("seed design ") + ModeName(m), Kind::kSeed, m});
    }
    if (!durable) series.push_back({"spdlog async (no fsync)", Kind::kSpdlog, Mode::kNone});
    f << "producers";
    for (const auto& s : series) f << " \"" << s.title << "\"";
    if (durable) f << " \"raw fsync rate (1 thread)\" \"raw fsync rate, CPUs kept busy\"";
    f << "\n";
    for (int p : kProducers) {
      f << p;
      for (const auto& s : series) {
        const Row* row = Find(rows, s.kind, s.mode, p, s.kind == Kind::kSpdlog ? false : durable);
        if (row && row->r.events_per_sec > 0) {
          f << " " << row->r.events_per_sec;
          ++values[durable ? 0 : 1];
        } else {
          f << " ?";
        }
      }
      if (durable) {
        for (const Row* ref : {raw, raw_busy}) {
          if (ref)
            f << " " << ref->r.events_per_sec;
          else
            f << " ?";
        }
      }
      f << "\n";
    }
    f << "\n\n";
  }
  f.close();
  if (values[0] == 0 || values[1] == 0) {
    std::fprintf(stderr, "warning: too few cases ran for a plot (wrote %s)\n", dat.c_str());
    return;
  }
  if (!HaveGnuplot()) {
    std::fprintf(stderr,
                 "warning: gnuplot not found (apt-get install gnuplot-nox); wrote %s, no plot\n",
                 dat.c_str());
    return;
  }
  const std::string script = AUDITLOG_BENCH_SOURCE_DIR "/plot.gnuplot";
  const std::string cmd =
      "gnuplot -e \"datafile='" + dat.string() + "'; outfile='" + png + "'\" '" + script + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "warning: gnuplot failed: %s\n", cmd.c_str());
  } else {
    std::fprintf(stderr, "plot: %s (data: %s)\n", png.c_str(), dat.c_str());
  }
}

// ---------------------------------------------------------------------------------------

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

int Main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  fs::path root;
  bool remove_root = false;
  if (o.dir.empty()) {
    char tmpl[] = "/tmp/auditlog-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "auditlog-bench: mkdtemp: %s\n", std::strerror(errno));
      return 2;
    }
    root = tmpl;
    remove_root = true;
  } else {
    root = o.dir;
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) {
      std::fprintf(stderr, "auditlog-bench: create %s: %s\n", root.c_str(), ec.message().c_str());
      return 2;
    }
  }

  Machine m;
  m.cpus = std::thread::hardware_concurrency();
  m.cpu_model = CpuModel();
  m.fs_type = FsTypeName(root);
  m.dir = root.string();
  m.commit = Commit();
  m.record_bytes = AverageRecordBytes();

  const std::vector<CaseSpec> plan = Plan(o);
  std::fprintf(stderr, "auditlog-bench%s: %zu cases, logs in %s (%s), %u CPUs (%s), commit %s\n",
               o.quick ? " --quick" : "", plan.size(), root.c_str(), m.fs_type.c_str(), m.cpus,
               m.cpu_model.c_str(), m.commit.c_str());
  std::vector<Row> rows;
  const auto start = Clock::now();
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
  // The read case (bench/read_bench.h): verify and query on a generated log.
  std::optional<ReadBenchResult> read;
  if (o.filter.empty() ||
      std::string_view(kReadCaseName).find(o.filter) != std::string_view::npos) {
    ReadBenchOptions ro;
    ro.dir = root / "read";
    ro.log_bytes = o.read_mb << 20;
    ro.segment_bytes = o.quick ? 4 << 20 : 256 << 20;
    const auto case_start = Clock::now();
    read = RunReadBench(ro);
    std::fprintf(stderr, "  [read] %-66s %9.0f MB/s verify %6.1f s%s%s\n", kReadCaseName,
                 read->verify2_mb_per_sec, Seconds(Clock::now() - case_start),
                 read->ok ? "" : "  ERROR: ", read->error.c_str());
  }
  const double total = Seconds(Clock::now() - start);
  if (remove_root) {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  const auto targets = EvaluateTargets(rows);
  if (o.json) {
    PrintJson(m, o, rows, targets, stdout, read ? &*read : nullptr);
  } else {
    std::printf("auditlog-bench%s at commit %s: %u CPUs (%s), logs on %s (%s), %.0f s\n",
                o.quick ? " --quick" : "", m.commit.c_str(), m.cpus, m.cpu_model.c_str(),
                m.dir.c_str(), m.fs_type.c_str(), total);
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
  if (!o.plot.empty()) WritePlot(rows, o.plot);
  bool all_ok = true;
  for (const auto& row : rows) all_ok = all_ok && row.r.ok;
  if (read) all_ok = all_ok && read->ok;
  return all_ok ? 0 : 1;
}

}  // namespace bench

int main(int argc, char** argv) { return bench::Main(argc, argv); }
