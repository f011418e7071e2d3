// Issue 8, cases 11, 12, 13, 17, 19: hostile bytes in the log directory must not exhaust
// memory or time (overlong lines, decompression bombs, files of newlines), verify must not
// raise a false alarm while retention archives, dates past 2262 must not wrap, and thread
// limits must not abort. Memory is measured in a child process (its peak RSS growth).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/limits.h"
#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "child_process.h"
#include "cli_runner.h"
#include "format/record_format.h"
#include "log_builder.h"
#include "read/line_reader.h"
#include "storage/record_writer.h"
#include "storage/zstd_file.h"
#include "test_util.h"
#include "util/thread_start.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::LogBuilder;
using testing::ScratchDir;
using testing::TestTime;

constexpr bool kSanitized = testing::kSanitizedBuild;

// The bomb: 3 GB of one byte (1 GB under sanitizers, which are slower; the bound is the
// same property). A reader that buffers the line needs at least that much memory.
constexpr std::uint64_t kBombBytes = kSanitized ? (1ULL << 30) : (3ULL << 30);
// Peak RSS growth allowed for one reader run. ASan holds freed memory in a 256 MiB
// quarantine and pads allocations, so it gets more room.
constexpr std::int64_t kMaxRssGrowthKb = kSanitized ? (768 << 10) : (256 << 10);

std::string CliPath() { return AUDITLOG_CLI_PATH; }

// A zstd frame of `n` copies of `byte` made of RLE blocks (4 bytes per 128 KiB), with the
// content size in its header: about 90 KB for 3 GB, as an attacker would write it. Checked
// with libzstd's own frame-size function.
std::string RleBomb(std::uint64_t n, char byte) {
  std::string z;
  auto put_le = [&z](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) z.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put_le(0xFD2FB528u, 4);                // magic
  z.push_back(static_cast<char>(0xC0));  // 8-byte content size, not single-segment, no checksum
  z.push_back(static_cast<char>(0x38));  // window 128 KiB (exponent 7)
  put_le(n, 8);
  constexpr std::uint64_t kBlock = 128 << 10;
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t size = std::min(kBlock, n - done);
    done += size;
    const std::uint64_t last = done == n ? 1 : 0;
    put_le(last | (1u << 1) | (size << 3), 3);  // block header: RLE block of `size` bytes
    z.push_back(byte);
  }
  return z;
}

// A healthy one-segment log with `records` records.
void MakeLog(const fs::path& dir, int records) {
  auto b = LogBuilder::Open(dir);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  for (int i = 0; i < records; ++i) {
    ASSERT_OK(
        (*b)->Add(CustomEvent{.event_type = "tick", .fields = {{"i", i}}}, TestTime(i)).status());
  }
  ASSERT_OK((*b)->Close());
}

bool HasFinding(const VerifyReport& r, FindingKind kind, std::string_view reason_part) {
  for (const Finding& f : r.findings) {
    if (f.kind == kind && f.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

std::string Describe(const VerifyReport& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    s += std::string(FindingKindName(f.kind)) + " " + f.file + ":" + std::to_string(f.line) + " " +
         f.reason + "\n";
  }
  return s;
}

class HostileBoundsTest : public ::testing::Test {
 protected:
  void PlaceBomb() {
    MakeLog(dir_.path(), 3);
    testing::WriteFile(dir_.path() / "0000000099-2026-11-27.audit.zst", RleBomb(kBombBytes, 'A'));
  }
  ScratchDir dir_;
};

// ---- case 11: a line with no newline --------------------------------------------------------

TEST_F(HostileBoundsTest, BombIsSmallAndDecodesToItsClaimedSize) {
  const std::string z = RleBomb(1 << 20, 'A');
  testing::WriteFile(dir_.path() / "b.zst", z);
  auto file = internal::OpenCompressedFile(Env::Default(), dir_.path() / "b.zst");
  ASSERT_OK(file.status());
  std::string data;
  ASSERT_OK((*file)->Read(0, 2 << 20, &data));
  EXPECT_EQ(data, std::string(1 << 20, 'A'));
  EXPECT_LT(RleBomb(3ULL << 30, 'A').size(), 100u << 10);  // 3 GB in under 100 KB
}

TEST_F(HostileBoundsTest, VerifyOfADecompressionBombRunsInBoundedMemory) {
  PlaceBomb();
  const fs::path dir = dir_.path();
  const testing::ChildRun run = testing::RunInChild([dir] {
    auto report = Verify(dir);
    if (!report.ok()) return "error " + report.status().ToString();
    return std::string(HasFinding(*report, FindingKind::kMalformedRecord, "line longer than")
                           ? "found"
                           : "missed:\n" + Describe(*report)) +
           (report->records == 3 ? "" : " records=" + std::to_string(report->records));
  });
  ASSERT_TRUE(run.returned()) << run.Failure();
  EXPECT_EQ(run.text, "found");
  EXPECT_LT(run.rss_growth_kb, kMaxRssGrowthKb) << "peak RSS growth in KiB";
}

TEST_F(HostileBoundsTest, QueryOfADecompressionBombRunsInBoundedMemory) {
  PlaceBomb();
  const fs::path dir = dir_.path();
  const testing::ChildRun run = testing::RunInChild([dir] {
    auto cursor = QueryCursor::Open(dir, Query{});
    if (!cursor.ok()) return "error " + cursor.status().ToString();
    Record r;
    std::uint64_t n = 0;
    for (;;) {
      auto more = (*cursor)->Next(&r);
      if (!more.ok()) return "error " + more.status().ToString();
      if (!*more) break;
      ++n;
    }
    return std::to_string(n) + " " + std::to_string((*cursor)->malformed_lines());
  });
  ASSERT_TRUE(run.returned()) << run.Failure();
  EXPECT_EQ(run.text, "3 1");  // the three records, the bomb as one malformed line
  EXPECT_LT(run.rss_growth_kb, kMaxRssGrowthKb) << "peak RSS growth in KiB";
}

TEST_F(HostileBoundsTest, CliTailAndStatsOfADecompressionBombRunInBoundedMemory) {
  if (CliPath().empty()) GTEST_SKIP() << "CLI not built";
  // Both commands read on one thread: ThreadSanitizer has nothing to find, and decompressing
  // 1 GiB under it took 45 s. Release and ASan+UBSan check the bound.
  if (testing::kThreadSanitizedBuild) GTEST_SKIP() << "single-threaded; checked without TSan";
  PlaceBomb();
  // The point is the memory bound, not the speed: a generous timeout for a loaded machine.
  constexpr auto kTimeout = std::chrono::minutes(5);
  const testing::CliResult tail =
      testing::RunCli(CliPath(), {"tail", "-n", "2", dir_.path().string()}, kTimeout);
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_NE(tail.err.find("malformed"), std::string::npos) << tail.err;
  EXPECT_LT(tail.max_rss_kb, kMaxRssGrowthKb);
  const testing::CliResult stats =
      testing::RunCli(CliPath(), {"stats", "--json", dir_.path().string()}, kTimeout);
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["records"], 3);
  EXPECT_EQ(j["malformed_lines"], 1);
  EXPECT_LT(stats.max_rss_kb, kMaxRssGrowthKb);
}

// A long line in a plain segment, and in an archive: found, located, and the lines after
// it are still read (resynchronised at its '\n').
TEST_F(HostileBoundsTest, OverlongLinesAreFindingsAndReadingResynchronises) {
  for (const std::size_t len : {kMaxRecordBytes + 1, std::size_t{3} << 20, std::size_t{9} << 20}) {
    for (const bool archived : {false, true}) {
      SCOPED_TRACE(std::to_string(len) + (archived ? " archived" : " plain"));
      ScratchDir dir;
      MakeLog(dir.path(), 3);
      const fs::path seg = testing::SegmentFiles(dir.path()).at(0);
      std::vector<std::string> lines = testing::ReadLines(seg);
      lines.insert(lines.begin() + 1, std::string(len, 'x'));
      testing::WriteLines(seg, lines);
      if (archived) {
        ASSERT_OK(internal::CompressFile(Env::Default(), seg, seg.string() + ".zst").status());
        fs::remove(seg);
      }
      auto report = Verify(dir.path());
      ASSERT_OK(report.status());
      EXPECT_EQ(report->records, 3u) << Describe(*report);
      bool located = false;
      for (const Finding& f : report->findings) {
        located |= f.kind == FindingKind::kMalformedRecord && f.line == 2 &&
                   f.reason.find("line longer than 1048576 bytes") != std::string::npos;
      }
      EXPECT_TRUE(located) << Describe(*report);
      EXPECT_FALSE(HasFinding(*report, FindingKind::kChainBroken, ""));

      auto cursor = QueryCursor::Open(dir.path(), Query{});
      ASSERT_OK(cursor.status());
      Record r;
      std::vector<std::uint64_t> seqs;
      for (;;) {
        auto more = (*cursor)->Next(&r);
        ASSERT_OK(more.status());
        if (!*more) break;
        seqs.push_back(r.seq);
      }
      EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3}));
      EXPECT_EQ((*cursor)->malformed_lines(), 1u);
    }
  }
}

TEST_F(HostileBoundsTest, LineReaderFlagsOverlongLinesAndKeepsItsOffsets) {
  const fs::path file = dir_.path() / "0000000001-2026-11-27.audit";
  const std::string big(5 << 20, 'x');
  testing::WriteFile(file, "a\n" + big + "\nb\n" + big);
  internal::SegmentFile seg;
  seg.index = 1;
  seg.name = file.filename().string();
  seg.path = file;
  auto reader = internal::LineReader::Open(Env::Default(), seg);
  ASSERT_OK(reader.status());
  std::string_view line;
  std::uint64_t offset = 0;
  std::vector<std::pair<std::string, std::uint64_t>> got;
  std::vector<bool> overlong;
  for (;;) {
    auto more = (*reader)->Next(&line, &offset);
    ASSERT_OK(more.status());
    if (!*more) break;
    got.emplace_back(std::string(line), offset);
    overlong.push_back((*reader)->overlong());
  }
  const std::uint64_t b_at = 2 + big.size() + 1;
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::uint64_t>>{
                     {"a", 0}, {"", 2}, {"b", b_at}, {"", b_at + 2}}));
  EXPECT_EQ(overlong, (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ((*reader)->trailing_bytes(), 0u);
}

// ---- case 12: findings in bounded memory ------------------------------------------------------

TEST_F(HostileBoundsTest, AFileOfNewlinesIsOneCoalescedFindingInBoundedMemory) {
  MakeLog(dir_.path(), 3);
  // Sanitizer builds read a fifth of it (a million lines through ASan and the fuzzer's
  // coverage hooks take a minute); the Release build checks the full size's memory bound.
  constexpr std::size_t kLines = kSanitized ? (1 << 20) : (5 << 20);
  testing::WriteFile(dir_.path() / "0000000099-2026-11-27.audit", std::string(kLines, '\n'));
  const fs::path dir = dir_.path();
  const testing::ChildRun run = testing::RunInChild([dir] {
    auto report = Verify(dir);
    if (!report.ok()) return "error " + report.status().ToString();
    std::string s =
        std::to_string(report->findings.size()) + " " + std::to_string(report->findings_dropped);
    for (const Finding& f : report->findings) {
      if (f.kind == FindingKind::kMalformedRecord) {
        s += " " + std::to_string(f.line) + "-" + std::to_string(f.last_line) + " " +
             f.reason.substr(0, 6);
      }
    }
    return s;
  });
  ASSERT_TRUE(run.returned()) << run.Failure();
  // One malformed run over every line, plus the segment the manifest does not list.
  EXPECT_EQ(run.text, "2 0 1-" + std::to_string(kLines) + " lines ");
  EXPECT_LT(run.rss_growth_kb, kMaxRssGrowthKb) << "peak RSS growth in KiB";

  if (CliPath().empty()) return;
  const testing::CliResult cli =
      testing::RunCli(CliPath(), {"verify", "--json", dir_.path().string()});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["findings"].size(), 2u);
  EXPECT_EQ(j["findings_dropped"], 0);
  EXPECT_EQ(j["findings"][0]["last_line"], kLines);
  EXPECT_LT(cli.max_rss_kb, kMaxRssGrowthKb);
}

TEST_F(HostileBoundsTest, FindingsBeyondTheCapAreCountedNotKept) {
  MakeLog(dir_.path(), 3);
  for (int i = 0; i < 20; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "%010d-2026-11-27.audit", 100 + i);
    testing::WriteFile(dir_.path() / name, "garbage\n");
  }
  VerifyOptions options;
  options.max_findings = 5;
  auto report = Verify(dir_.path(), options);
  ASSERT_OK(report.status());
  EXPECT_EQ(report->findings.size(), 5u);
  EXPECT_GE(report->findings_dropped, 35u);  // 20 malformed lines, 20 unexpected files
  EXPECT_TRUE(report->tampered());
  EXPECT_FALSE(report->intact());

  options.max_findings = 0;
  EXPECT_EQ(Verify(dir_.path(), options).status().code(), StatusCode::kInvalidArgument);

  if (CliPath().empty()) return;
  const auto text = testing::RunCli(CliPath(), {"verify", dir_.path().string()});
  EXPECT_EQ(text.exit_code, 1);
  const auto json = testing::RunCli(CliPath(), {"verify", "--json", dir_.path().string()});
  EXPECT_EQ(json.exit_code, 1);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_FALSE(j["intact"]);
  EXPECT_EQ(j["findings"].size() + j["findings_dropped"].get<std::size_t>(),
            report->findings.size() + report->findings_dropped);
}

TEST_F(HostileBoundsTest, ALongReasonIsCut) {
  // A duplicate audit_id is quoted in its finding; the attacker chooses its length.
  auto b = LogBuilder::Open(dir_.path());
  ASSERT_OK(b.status());
  ASSERT_OK((*b)->Add(CustomEvent{.event_type = "tick"}, TestTime(0)).status());
  ASSERT_OK((*b)->Close());
  const fs::path seg = testing::SegmentFiles(dir_.path()).at(0);
  std::vector<std::string> lines = testing::ReadLines(seg);
  const std::string id = "queen-1";
  const std::size_t at = lines[0].find(id);
  ASSERT_NE(at, std::string::npos);
  lines[0].replace(at, id.size(), std::string(4000, 'q') + "-1");
  lines.push_back(lines[0]);
  testing::WriteLines(seg, lines);
  auto report = Verify(dir_.path());
  ASSERT_OK(report.status());
  ASSERT_FALSE(report->findings.empty());
  for (const Finding& f : report->findings) EXPECT_LE(f.reason.size(), kMaxFindingReasonBytes);
}

// ---- case 13: verify while retention archives ------------------------------------------------

TEST_F(HostileBoundsTest, VerifyDuringArchivalIsNeverAFalseAlarm) {
  constexpr int kRounds = 4, kSegments = 10;
  std::uint64_t verified = 0;
  for (int round = 0; round < kRounds; ++round) {
    ScratchDir dir;
    {
      auto b = LogBuilder::Open(dir.path());
      ASSERT_OK(b.status());
      for (int s = 0; s < kSegments; ++s) {
        for (int i = 0; i < 200; ++i) {
          ASSERT_OK((*b)->Add(CustomEvent{.event_type = "tick", .fields = {{"i", i}}},
                              TestTime(s * 200 + i))
                        .status());
        }
        ASSERT_OK((*b)->Rotate());
      }
      ASSERT_OK((*b)->Close());
    }
    auto before = Verify(dir.path());
    ASSERT_OK(before.status());
    ASSERT_TRUE(before->intact()) << Describe(*before);

    std::atomic<bool> done{false};
    Status retention;
    std::thread archiver([&] {
      internal::RecordWriter::Options o;
      o.env = Env::Default();
      o.dir = dir.path();
      o.service_id = "queen";
      auto w = internal::RecordWriter::Open(o);
      if (!w.ok()) {
        retention = w.status();
      } else {
        RetentionPolicy policy;
        policy.archive_after_days = 0;
        std::vector<internal::LibraryEvent> records;
        retention = (*w)->ApplyRetention(policy, TestTime(86400), &records);
        Status closed = (*w)->Close();
        if (retention.ok()) retention = closed;
      }
      done = true;
    });
    // Verify until the archiver is done, and once more after (bounded: the archiver ends).
    for (bool last = false; !last;) {
      last = done.load();
      auto report = Verify(dir.path());
      ASSERT_OK(report.status());
      EXPECT_TRUE(report->intact())
          << "round " << round << " last " << last << ":\n"
          << Describe(*report) << testing::ReadFile(dir.path() / "manifest.json");
      ++verified;
    }
    archiver.join();
    ASSERT_OK(retention);
    std::size_t archives = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) {
      archives += e.path().extension() == ".zst";
    }
    EXPECT_GE(archives, static_cast<std::size_t>(kSegments));
  }
  EXPECT_GE(verified, static_cast<std::uint64_t>(2 * kRounds));
}

// ---- case 17: dates Time cannot hold --------------------------------------------------------

TEST_F(HostileBoundsTest, DatesTimeCannotHoldAreRefusedNotWrapped) {
  for (const char* text : {"9999-12-31", "2262-04-10", "2262-04-11T23:47:17Z", "1677-09-22",
                           "0000-01-01", "9999-12-31T23:59:59.999999Z"}) {
    SCOPED_TRACE(text);
    auto t = ParseTime(text, TimeBound::kEnd);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("out of range"), std::string::npos);
  }
  auto last = ParseTime("2262-04-09", TimeBound::kEnd);
  ASSERT_OK(last.status());
  EXPECT_EQ(FormatTime(*last), "2262-04-09T23:59:59.999999Z");
  auto first = ParseTime("1677-09-23T00:00:00+01:00");
  ASSERT_OK(first.status());
  EXPECT_EQ(FormatTime(*first), "1677-09-22T23:00:00.000000Z");

  if (CliPath().empty()) return;
  MakeLog(dir_.path(), 3);
  for (const std::string cmd : {"verify", "query", "export"}) {
    std::vector<std::string> args = {cmd, dir_.path().string(), "--until", "9999-12-31"};
    if (cmd == "export") args.insert(args.end(), {"--customer", "c"});
    const auto r = testing::RunCli(CliPath(), args);
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err << r.out;
    EXPECT_NE(r.err.find("--until"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("out of range"), std::string::npos) << r.err;
  }
  const auto ok = testing::RunCli(CliPath(), {"verify", dir_.path().string(), "--since",
                                              "2000-01-01", "--until", "2262-04-09"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err << ok.out;
}

// ---- case 19: threads ---------------------------------------------------------------------

TEST_F(HostileBoundsTest, ThreadsFlagIsBounded) {
  if (CliPath().empty()) GTEST_SKIP() << "CLI not built";
  MakeLog(dir_.path(), 3);
  const auto r =
      testing::RunCli(CliPath(), {"verify", dir_.path().string(), "--threads", "4294967295"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
  EXPECT_EQ(
      testing::RunCli(CliPath(), {"verify", dir_.path().string(), "--threads", "64"}).exit_code, 0);
}

TEST_F(HostileBoundsTest, ThreadsThatCannotStartDegradeToFewer) {
  // Over kParallelMinBytes (8 MiB) in two segments, the first archived: the pool and the
  // archive-checksum thread are both wanted.
  {
    auto b = LogBuilder::Open(dir_.path());
    ASSERT_OK(b.status());
    const std::string pad(1000, 'p');
    for (int i = 0; i < 9000; ++i) {
      ASSERT_OK((*b)->Add(CustomEvent{.event_type = "tick", .fields = {{"pad", pad}}}, TestTime(i))
                    .status());
      if (i == 3000) {
        ASSERT_OK((*b)->Rotate());
      }
    }
    ASSERT_OK((*b)->Close());
  }
  {
    internal::RecordWriter::Options o;
    o.env = Env::Default();
    o.dir = dir_.path();
    o.service_id = "queen";
    auto w = internal::RecordWriter::Open(o);
    ASSERT_OK(w.status());
    RetentionPolicy policy;
    policy.archive_after_days = 0;
    std::vector<internal::LibraryEvent> records;
    ASSERT_OK((*w)->ApplyRetention(policy, TestTime(86400), &records));
    ASSERT_OK((*w)->Close());
  }
  auto baseline = Verify(dir_.path());
  ASSERT_OK(baseline.status());
  ASSERT_TRUE(baseline->intact()) << Describe(*baseline);
  ASSERT_GT(baseline->bytes, 8u << 20);

  for (const int failing : {1, 3, 1000}) {
    SCOPED_TRACE(failing);
    internal::FailThreadStartsForTest(failing);
    VerifyOptions options;
    options.threads = 4294967295u;  // clamped to kMaxVerifyThreads
    auto report = Verify(dir_.path(), options);
    internal::FailThreadStartsForTest(0);
    ASSERT_OK(report.status());
    EXPECT_TRUE(report->intact()) << Describe(*report);
    EXPECT_EQ(report->records, baseline->records);
    EXPECT_EQ(report->last_hash, baseline->last_hash);
  }
}

}  // namespace
}  // namespace auditlog
