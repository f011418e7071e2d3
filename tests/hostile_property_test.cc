// Issue 8 property: a random valid log, one random mutation of one random file of its
// directory (segment, manifest, checksum, quarantine, archive), then Verify. Verify either
// reports something, or the mutation provably did not matter: a full and a ranged Query
// return exactly the original records (seq, hash, line), and no chained byte (segment
// contents, archives decompressed) changed. Never "intact" on a changed chained byte, never
// a crash, a hang or unbounded memory: each round runs in a forked child, which the parent
// kills at a deadline, and whose peak RSS it checks.
//
// Reproduce one round: AUDITLOG_HOSTILE_SEED=<seed> ./hostile_property_test
// More rounds: AUDITLOG_HOSTILE_ROUNDS=<n>.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "auditlog/auditlog.h"
#include "child_process.h"
#include "hostile_log.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::LogSnapshot;

constexpr int kDefaultRounds = testing::kSanitizedBuild ? 60 : 300;

constexpr int kBaseLogs = 6;
// A hang is a round still running after this long (a round takes milliseconds).
constexpr auto kRoundDeadline = std::chrono::seconds(60);
// Peak RSS a round may reach (the forked child starts with the parent's pages).
constexpr long kMaxRssKiB = 1L << 20;  // 1 GiB

const char* Env(const char* name) { return std::getenv(name); }

// Runs `body` in a forked child (testing::RunInChild). Returns "" when it returned "" in time
// within the memory bound; otherwise what went wrong (its message, the crash, the hang, the
// RSS). `*max_rss_kib` keeps the highest peak seen.
std::string RunRoundInChild(const std::function<std::string()>& body, long* max_rss_kib) {
  const testing::ChildRun run = testing::RunInChild(body, kRoundDeadline);
  *max_rss_kib = std::max(*max_rss_kib, run.max_rss_kb);
  if (!run.returned()) return run.Failure();
  if (run.max_rss_kb > kMaxRssKiB) return "peak RSS " + std::to_string(run.max_rss_kb) + " KiB";
  return run.text;
}

std::string FirstDifference(const std::vector<LogSnapshot::Rec>& got,
                            const std::vector<LogSnapshot::Rec>& want) {
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    if (!(got[i] == want[i])) {
      return "record " + std::to_string(i) + " differs: seq " + std::to_string(got[i].seq) +
             " vs " + std::to_string(want[i].seq) + "\n got: " + got[i].line.substr(0, 300) +
             "\nwant: " + want[i].line.substr(0, 300);
    }
  }
  return std::to_string(got.size()) + " records instead of " + std::to_string(want.size());
}

// The check of one mutated directory (runs in the child).
std::string CheckRound(const fs::path& dir, const LogSnapshot& original) {
  VerifyOptions options;
  options.threads = 1;
  auto report = Verify(dir, options);
  if (!report.ok()) {
    return report.status().message().empty() ? "verify error without a message" : "";
  }
  if (!report->intact()) return "";  // detected
  auto snap = testing::TakeSnapshot(dir);
  if (!snap.ok()) return "verify intact, but query fails: " + snap.status().ToString();
  if (snap->records != original.records) {
    return "verify intact, but the records differ: " +
           FirstDifference(snap->records, original.records);
  }
  for (const auto& [name, bytes] : original.segments) {
    auto it = snap->segments.find(name);
    if (it == snap->segments.end()) return "verify intact, but segment " + name + " is gone";
    if (it->second != bytes) return "verify intact, but the bytes of " + name + " changed";
  }
  if (snap->segments.size() != original.segments.size()) {
    return "verify intact, but a segment was added";
  }
  // A ranged query (which may skip segments by the manifest) finds the same records.
  const auto& all = original.records;
  const std::int64_t since = all[all.size() / 3].ts_micros;
  const std::int64_t until = all[2 * all.size() / 3].ts_micros;
  Query q{.start_time = MicrosToTime(since), .end_time = MicrosToTime(until)};
  auto cursor = QueryCursor::Open(dir, q);
  if (!cursor.ok()) return "verify intact, but a ranged query fails";
  std::vector<LogSnapshot::Rec> ranged;
  Record r;
  for (;;) {
    auto more = (*cursor)->Next(&r);
    if (!more.ok()) return "verify intact, but a ranged query fails: " + more.status().ToString();
    if (!*more) break;
    ranged.push_back({r.seq, r.hash, r.line, r.ts_micros});
  }
  const auto want = testing::RecordsBetween(all, since, until);
  if (ranged != want) {
    return "verify intact, but a ranged query differs: " + FirstDifference(ranged, want);
  }
  return "";
}

class HostilePropertyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new testing::ScratchDir();
    for (int k = 0; k < kBaseLogs; ++k) {
      const fs::path dir = scratch_->path() / ("base-" + std::to_string(k));
      fs::create_directory(dir);
      const Status s = testing::BuildRandomLog(dir, 1000 + k);
      ASSERT_TRUE(s.ok()) << s.ToString();
      fs::remove(dir / "LOCK");  // a copy must not look locked; the readers ignore it
      auto snap = testing::TakeSnapshot(dir);
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      ASSERT_GE(snap->records.size(), 10u);
      snapshots_[k] = *snap;
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
  }
  static fs::path Base(int k) { return scratch_->path() / ("base-" + std::to_string(k)); }

  static testing::ScratchDir* scratch_;
  static LogSnapshot snapshots_[kBaseLogs];
};

testing::ScratchDir* HostilePropertyTest::scratch_ = nullptr;
LogSnapshot HostilePropertyTest::snapshots_[kBaseLogs];

TEST_F(HostilePropertyTest, BaseLogsAreIntactAndHaveEveryKindOfFile) {
  for (int k = 0; k < kBaseLogs; ++k) {
    ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(Base(k)));
    EXPECT_TRUE(r.intact()) << "base log " << k;
    int archives = 0, checksums = 0, quarantine = 0, segments = 0;
    for (const auto& e : fs::directory_iterator(Base(k))) {
      const std::string name = e.path().filename().string();
      archives += name.ends_with(".zst");
      checksums += name.ends_with(".sha256");
      quarantine += name.find(".torn-") != std::string::npos;
      segments += name.ends_with(".audit");
    }
    EXPECT_GE(archives, 1) << "base log " << k;
    EXPECT_GE(checksums, 1) << "base log " << k;
    EXPECT_EQ(quarantine, 1) << "base log " << k;
    EXPECT_GE(segments, 2) << "base log " << k;
  }
}

TEST_F(HostilePropertyTest, NoMutationGoesUnnoticed) {
  const int kinds = static_cast<int>(testing::MutationKind::kCount);
  std::uint64_t first = 0, count = kDefaultRounds;
  if (const char* s = Env("AUDITLOG_HOSTILE_ROUNDS")) count = std::strtoull(s, nullptr, 10);
  if (const char* s = Env("AUDITLOG_HOSTILE_SEED"))
    first = std::strtoull(s, nullptr, 10), count = 1;
  int applied = 0;
  long max_rss_kib = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const int k = static_cast<int>(seed % kBaseLogs);
    const fs::path work = scratch_->path() / ("round-" + std::to_string(seed));
    fs::copy(Base(k), work);
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + 1);
    const std::string what = testing::MutateDirectory(work, rng, kinds);
    if (!what.empty()) {
      ++applied;
      const std::string failure =
          RunRoundInChild([&] { return CheckRound(work, snapshots_[k]); }, &max_rss_kib);
      EXPECT_EQ(failure, "") << "seed " << seed << " (rerun: AUDITLOG_HOSTILE_SEED=" << seed
                             << "): " << what;
    }
    fs::remove_all(work);
  }
  std::printf("[hostile] %d of %llu rounds mutated something; peak child RSS %ld KiB\n", applied,
              static_cast<unsigned long long>(count), max_rss_kib);
}

// Writes base log K (AUDITLOG_FUZZ_SEED_K, default 0) in the input format of
// tests/fuzz/verify_fuzz.cc to $AUDITLOG_FUZZ_SEED_OUT: how tests/fuzz/corpus/verify/ was
// made. Archives are stored decompressed; the target compresses them again.
TEST_F(HostilePropertyTest, DISABLED_WriteVerifyFuzzSeed) {
  const char* out = Env("AUDITLOG_FUZZ_SEED_OUT");
  ASSERT_NE(out, nullptr);
  const int k = Env("AUDITLOG_FUZZ_SEED_K") ? std::atoi(Env("AUDITLOG_FUZZ_SEED_K")) : 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(Base(k))) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string seed;
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    std::string contents = testing::ReadFile(f);
    if (name.ends_with(".zst")) contents = snapshots_[k].segments[name.substr(0, name.size() - 4)];
    seed += "@@ " + name + "\n" + contents + "\n";
  }
  testing::WriteFile(out, seed);
}

}  // namespace
}  // namespace auditlog
