// What the write benchmarks' producers do: the events they emit (what an inference service
// logs per request) and the harness that runs them on `producers` threads, timing each call.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alloc_counter.h"
#include "auditlog/auditlog.h"
#include "bench_case.h"
#include "bench_util.h"

namespace bench {

// Each producer cycles through this many event templates.
constexpr std::size_t kTemplates = 100;

// 100 events of producer `producer`: routine ones (AuthSuccess and TaskCompleted
// alternating); with `critical`, the last one (1%) is a critical AuthFailure.
std::vector<auditlog::Event> Templates(int producer, bool critical);

// The record lines the library would write for `events` (without the '\n').
std::vector<std::string> RenderLines(const std::vector<auditlog::Event>& events);

// The average size of a record line of the templates, '\n' included.
double AverageRecordBytes();

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

// Adds up the producers' counts, latencies, allocations and RSS samples into `r`.
void Summarize(const std::vector<std::unique_ptr<ProducerStats>>& stats, CaseResult* r);

}  // namespace bench
