// Many producers at once (run under ThreadSanitizer by `make test-tsan`): the log verifies
// and holds exactly the emitted events, each at the seq its Emit returned, in seq order.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "engine_util.h"
#include "test_util.h"

namespace auditlog {
namespace {

using std::chrono::milliseconds;
using testing::NumberedEvent;
using testing::ReadRecords;
using testing::ScratchDir;

struct ModeCase {
  const char* name;
  FlushMode mode;
};

class ConcurrencyTest : public ::testing::TestWithParam<ModeCase> {
 protected:
  Config MakeConfig() {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.flush_mode = GetParam().mode;
    return config;
  }

  // Checks that the log holds exactly `expected` (seq -> (producer, n)), in seq order.
  void ExpectLogHoldsExactly(
      const std::map<std::uint64_t, std::pair<int, std::int64_t>>& expected) {
    ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
    EXPECT_TRUE(report.intact()) << report.findings[0].reason;
    const auto records = ReadRecords(dir_.path());
    ASSERT_EQ(records.size(), expected.size());
    auto it = expected.begin();
    for (const auto& r : records) {
      ASSERT_EQ(r.seq, it->first);
      EXPECT_EQ(r.producer, it->second.first) << "seq " << r.seq;
      EXPECT_EQ(r.n, it->second.second) << "seq " << r.seq;
      ++it;
    }
  }

  ScratchDir dir_;
};

TEST_P(ConcurrencyTest, ManyProducersLogExactlyTheirEventsInSeqOrder) {
  constexpr int kProducers = 8;
  constexpr int kPerProducer = 1500;
  Config config = MakeConfig();
  config.queue_capacity_events = 256;  // small: producers really contend for room
  config.overflow = OverflowPolicy::kBlock;
  config.block_timeout = std::chrono::minutes(5);
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));

  std::vector<std::vector<std::uint64_t>> seqs(kProducers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      while (!go.load()) std::this_thread::yield();
      for (int n = 0; n < kPerProducer; ++n) {
        // 1% critical events, as in the seed's recommended Hybrid setup.
        auto seq = logger->Emit(NumberedEvent(p, n, n % 100 == 7));
        ASSERT_OK(seq.status());
        seqs[p].push_back(*seq);
      }
    });
  }
  // Readers of the stats and metrics run alongside.
  std::atomic<bool> done{false};
  std::thread observer([&] {
    while (!done.load()) {
      const Stats s = logger->GetStats();
      EXPECT_LE(s.durable_seq, s.events_emitted);
      EXPECT_LE(s.events_written, s.events_emitted);
      EXPECT_LE(s.queue_depth_events, 256u);
      EXPECT_FALSE(logger->MetricsText().empty());
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  go = true;
  for (auto& t : threads) t.join();
  done = true;
  observer.join();
  ASSERT_OK(logger->Shutdown());

  std::map<std::uint64_t, std::pair<int, std::int64_t>> expected;
  for (int p = 0; p < kProducers; ++p) {
    ASSERT_EQ(seqs[p].size(), static_cast<std::size_t>(kPerProducer));
    for (int n = 0; n < kPerProducer; ++n) {
      if (n > 0) {
        EXPECT_GT(seqs[p][n], seqs[p][n - 1]);  // each producer's order is kept
      }
      EXPECT_TRUE(expected.emplace(seqs[p][n], std::make_pair(p, n)).second) << "duplicate seq";
    }
  }
  // Seqs are exactly 1..N: no gaps, no duplicates.
  EXPECT_EQ(expected.begin()->first, 1u);
  EXPECT_EQ(expected.rbegin()->first, static_cast<std::uint64_t>(kProducers * kPerProducer));
  ExpectLogHoldsExactly(expected);
  const Stats stats = logger->GetStats();
  EXPECT_EQ(stats.events_emitted, static_cast<std::uint64_t>(kProducers * kPerProducer));
  EXPECT_EQ(stats.durable_seq, stats.events_emitted);
  EXPECT_EQ(stats.critical_events, static_cast<std::uint64_t>(kProducers * kPerProducer / 100));
}

// Concurrent EmitDurable callers share fsyncs (group commit) and each returns only once its
// event is durable.
TEST_P(ConcurrencyTest, ConcurrentDurableEmitsAreAllDurableWhenTheyReturn) {
  constexpr int kProducers = 8;
  constexpr int kPerProducer = 12;
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int n = 0; n < kPerProducer; ++n) {
        ASSERT_OK_AND_ASSIGN(std::uint64_t seq, logger->Emit(NumberedEvent(p, n)));
        ASSERT_OK(logger->Flush());
        // Durable means durable now: the watermark already covers it.
        EXPECT_OK(logger->WaitDurable(seq, milliseconds(0)));
        EXPECT_GE(logger->GetStats().durable_seq, seq);
        ASSERT_OK(logger->EmitDurable(NumberedEvent(p, 1000 + n)));
        ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kProducers * kPerProducer);
  const Stats stats = logger->GetStats();
  EXPECT_EQ(stats.durable_seq, stats.events_emitted);
  EXPECT_LE(stats.fsyncs, stats.events_emitted);
  std::printf("[%s] %llu durable events, %llu fsyncs\n", GetParam().name,
              static_cast<unsigned long long>(stats.events_emitted),
              static_cast<unsigned long long>(stats.fsyncs));
  ASSERT_OK(logger->Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.records, static_cast<std::uint64_t>(2 * kProducers * kPerProducer));
}

// Shutdown while producers are still emitting: every Emit that returned a seq is in the log,
// and nothing else.
TEST_P(ConcurrencyTest, ShutdownRacingWithProducersKeepsEveryAcceptedEvent) {
  constexpr int kProducers = 4;
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  std::vector<std::vector<std::uint64_t>> seqs(kProducers);
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int n = 0;; ++n) {
        auto seq = logger->Emit(NumberedEvent(p, n));
        if (!seq.ok()) {
          if (seq.status().code() == StatusCode::kBufferFull) {
            std::this_thread::yield();
            --n;  // retry the same number
            continue;
          }
          EXPECT_EQ(seq.status().code(), StatusCode::kFailedPrecondition);
          ++refused;
          return;
        }
        seqs[p].push_back(*seq);
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(30));
  ASSERT_OK(logger->Shutdown());
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), kProducers);
  std::map<std::uint64_t, std::pair<int, std::int64_t>> expected;
  for (int p = 0; p < kProducers; ++p) {
    for (std::size_t n = 0; n < seqs[p].size(); ++n) {
      expected.emplace(seqs[p][n], std::make_pair(p, static_cast<std::int64_t>(n)));
    }
  }
  ASSERT_FALSE(expected.empty());
  ExpectLogHoldsExactly(expected);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ConcurrencyTest,
    ::testing::Values(ModeCase{"immediate", Immediate{}},
                      ModeCase{"batched",
                               Batched{.size = 1000, .interval = std::chrono::seconds(1)}},
                      ModeCase{"hybrid", Hybrid{.batch_size = 100,
                                                .batch_interval = std::chrono::seconds(1),
                                                .critical_immediate = true}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace auditlog
