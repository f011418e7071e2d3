// Tests of Verify (src/verify.cc): every tamper class of the Foundation issue is detected
// and located (file, line, seq), and a torn tail is reported apart from tampering. Logs are
// built with internal::RecordWriter directly; the fixture's damage helpers edit the files.
#include "auditlog/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "auditlog/query.h"
#include "format/event_codec.h"
#include "format/record_format.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::int64_t kTs = 1795741062123456;

class VerifyTest : public ::testing::Test {
 protected:
  // Writes `n` records (every 4th critical), rotating every `rotate_every` records.
  void WriteLog(int n, std::size_t rotate_every = 0, bool clean_close = true) {
    std::vector<Event> events;
    for (int i = 1; i <= n; ++i) {
      if (i % 4 == 0) {
        events.push_back(AuthFailure{.attempted_user = "user" + std::to_string(i),
                                     .reason = "bad_password",
                                     .ip = "203.0.113.7"});
      } else {
        events.push_back(SealVerified{.shard_id = "shard-" + std::to_string(i), .worker_id = "w"});
      }
    }
    ASSERT_OK(testing::WriteTestLog(dir_.path(), events, "queen", kTs, rotate_every, clean_close));
  }

  fs::path Segment(std::size_t i) const { return testing::SegmentFiles(dir_.path()).at(i); }
  std::string SegmentName(std::size_t i) const { return Segment(i).filename().string(); }
  std::vector<std::string> Lines(std::size_t seg = 0) const {
    return testing::ReadLines(Segment(seg));
  }

  // ---- damage helpers (line indexes are 0-based) ----
  void FlipByte(std::size_t seg, std::size_t offset, unsigned char mask = 0x01) {
    std::string data = testing::ReadFile(Segment(seg));
    ASSERT_LT(offset, data.size());
    data[offset] = static_cast<char>(data[offset] ^ mask);
    testing::WriteFile(Segment(seg), data);
  }
  void DeleteLine(std::size_t seg, std::size_t index) {
    std::vector<std::string> lines = Lines(seg);
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(index));
    testing::WriteLines(Segment(seg), lines);
  }
  void InsertLine(std::size_t seg, std::size_t index, const std::string& line) {
    std::vector<std::string> lines = Lines(seg);
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(index), line);
    testing::WriteLines(Segment(seg), lines);
  }
  void SwapLines(std::size_t seg, std::size_t a, std::size_t b) {
    std::vector<std::string> lines = Lines(seg);
    std::swap(lines.at(a), lines.at(b));
    testing::WriteLines(Segment(seg), lines);
  }
  void DuplicateLine(std::size_t seg, std::size_t index) {
    InsertLine(seg, index + 1, Lines(seg).at(index));
  }
  // Replaces `from` by `to` in a line and gives it the correct hash for its new bytes.
  void RewriteLineAndRehash(std::size_t seg, std::size_t index, const std::string& from,
                            const std::string& to) {
    std::vector<std::string> lines = Lines(seg);
    std::string& line = lines.at(index);
    const std::size_t at = line.find(from);
    ASSERT_NE(at, std::string::npos);
    line.replace(at, from.size(), to);
    line.replace(line.size() - 66, 64, testing::OpenSslSha256Hex(line.substr(0, line.size() - 75)));
    testing::WriteLines(Segment(seg), lines);
  }
  // Cuts the last `bytes` bytes of a segment, as a crash in the middle of a write would.
  void TruncateTail(std::size_t seg, std::size_t bytes) {
    std::string data = testing::ReadFile(Segment(seg));
    ASSERT_LE(bytes, data.size());
    data.resize(data.size() - bytes);
    testing::WriteFile(Segment(seg), data);
  }

  VerifyReport Run() {
    auto report = Verify(dir_.path());
    EXPECT_OK(report.status());
    return report.ok() ? *report : VerifyReport{};
  }

  // True when the report has a finding of `kind` at `file`:`line` with `seq`.
  static bool Has(const VerifyReport& r, FindingKind kind, const std::string& file,
                  std::uint64_t line, std::optional<std::uint64_t> seq) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
      return f.kind == kind && f.file == file && f.line == line && f.seq == seq;
    });
  }
  // Findings about record lines (the manifest's findings are about whole files: line 0).
  static std::vector<Finding> LineFindings(const VerifyReport& r) {
    std::vector<Finding> out;
    for (const Finding& f : r.findings) {
      if (f.line != 0) out.push_back(f);
    }
    return out;
  }
  static std::string Describe(const VerifyReport& r) {
    std::string s;
    for (const Finding& f : r.findings) {
      s += std::string(FindingKindName(f.kind)) + " " + f.file + ":" + std::to_string(f.line) +
           " seq=" + (f.seq ? std::to_string(*f.seq) : "-") + " " + f.reason + "\n";
    }
    return s;
  }

  void ExpectEveryChangedByteDetected(unsigned char (*change)(unsigned char));

  testing::ScratchDir dir_;
};

TEST_F(VerifyTest, IntactLogHasNoFindingsAndAFullSummary) {
  WriteLog(8, /*rotate_every=*/3);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_FALSE(r.tampered());
  EXPECT_FALSE(r.torn_tail());
  EXPECT_EQ(r.segments, 3u);
  EXPECT_EQ(r.records, 8u);
  EXPECT_EQ(r.critical_records, 2u);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.last_seq, 8u);
  EXPECT_EQ(r.first_timestamp, "2026-11-27T00:57:42.123456Z");
  EXPECT_EQ(r.last_timestamp, "2026-11-27T00:57:49.123456Z");
  std::uint64_t bytes = 0;
  for (const fs::path& seg : testing::SegmentFiles(dir_.path())) bytes += fs::file_size(seg);
  EXPECT_EQ(r.bytes, bytes);
  const std::string last = Lines(2).back();
  EXPECT_EQ(r.last_hash, last.substr(last.size() - 66, 64));
}

// Every kind a Value can hold (large unsigned integers, doubles, null) is written as JSON
// that verify accepts and query reads back.
TEST_F(VerifyTest, RecordsWithEveryValueKindVerifyAndReadBack) {
  const std::vector<Event> events = {
      CustomEvent{.event_type = "kinds",
                  .fields = {{"u64_max", std::numeric_limits<std::uint64_t>::max()},
                             {"ratio", 0.1},
                             {"nothing", nullptr},
                             {"nested", Object{{"tiny", -1e-300}, {"n", std::size_t{7}}}}}}};
  ASSERT_OK(testing::WriteTestLog(dir_.path(), events, "queen", kTs, 0, true));
  const VerifyReport r = Run();
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_EQ(r.records, 1u);
  auto cursor = QueryCursor::Open(dir_.path(), Query{});
  ASSERT_OK(cursor.status());
  Record record;
  auto next = (*cursor)->Next(&record);
  ASSERT_OK(next.status());
  ASSERT_TRUE(*next);
  EXPECT_EQ(record.event_json, R"({"event_type":"kinds","u64_max":18446744073709551615,)"
                               R"("ratio":0.1,"nothing":null,"nested":{"tiny":-1e-300,"n":7}})");
  EXPECT_EQ((*cursor)->malformed_lines(), 0u);
}

TEST_F(VerifyTest, EmptyDirectoryIsIntact) {
  const VerifyReport r = Run();
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.records, 0u);
  EXPECT_EQ(r.segments, 0u);
}

TEST_F(VerifyTest, MissingDirectoryIsAnError) {
  auto r = Verify(dir_.path() / "does-not-exist");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
}

TEST_F(VerifyTest, FilesThatAreNotSegmentsAreIgnored) {
  WriteLog(2);
  testing::WriteFile(dir_.path() / "notes.txt", "not a record\n");
  testing::WriteFile(dir_.path() / "old.audit", "garbage\n");
  const VerifyReport r = Run();
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_EQ(r.records, 2u);
}

// ---- any single changed byte -------------------------------------------------------------

// Applies `change` to every byte of every segment of a 3-record, 2-segment log, one byte at
// a time, and expects each result to be reported.
void VerifyTest::ExpectEveryChangedByteDetected(unsigned char (*change)(unsigned char)) {
  WriteLog(3, /*rotate_every=*/2);
  const std::vector<fs::path> segments = testing::SegmentFiles(dir_.path());
  ASSERT_EQ(segments.size(), 2u);
  std::size_t checked = 0;
  for (std::size_t seg = 0; seg < segments.size(); ++seg) {
    const std::string original = testing::ReadFile(segments[seg]);
    for (std::size_t pos = 0; pos < original.size(); ++pos) {
      std::string damaged = original;
      damaged[pos] = static_cast<char>(change(static_cast<unsigned char>(damaged[pos])));
      if (damaged == original) continue;
      testing::WriteFile(segments[seg], damaged);
      auto r = Verify(dir_.path());
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const bool final_newline = seg + 1 == segments.size() && pos + 1 == original.size();
      if (final_newline) {
        // The last record lost its '\n': indistinguishable from an interrupted write.
        EXPECT_TRUE(r->torn_tail()) << "segment " << seg << " byte " << pos;
      } else {
        EXPECT_TRUE(r->tampered()) << "segment " << seg << " byte " << pos << " undetected";
      }
      ++checked;
    }
    testing::WriteFile(segments[seg], original);
  }
  EXPECT_GT(checked, 500u);
  EXPECT_TRUE(Run().intact());
}

TEST_F(VerifyTest, EveryByteWithALowBitFlippedIsDetected) {
  ExpectEveryChangedByteDetected([](unsigned char c) -> unsigned char { return c ^ 0x01; });
}

TEST_F(VerifyTest, EveryByteWithTheCaseBitFlippedIsDetected) {
  // Turns hex digits a-f into A-F, letters into their other case, '"' into '\x02', ...
  ExpectEveryChangedByteDetected([](unsigned char c) -> unsigned char { return c ^ 0x20; });
}

TEST_F(VerifyTest, EveryByteReplacedByANewlineIsDetected) {
  // Splits a line in two (or, at a '\n', changes nothing and is skipped).
  ExpectEveryChangedByteDetected([](unsigned char) -> unsigned char { return '\n'; });
}

TEST_F(VerifyTest, ChangedByteIsLocatedByFileLineAndSeq) {
  WriteLog(6, /*rotate_every=*/3);
  const std::string lines0 = testing::ReadFile(Segment(1));
  const std::size_t second_line = lines0.find('\n') + 1;
  FlipByte(1, second_line + lines0.substr(second_line).find("shard-5") + 6);  // '5' -> '4'
  const VerifyReport r = Run();
  EXPECT_TRUE(Has(r, FindingKind::kHashMismatch, SegmentName(1), 2, 5)) << Describe(r);
  const auto lines = LineFindings(r);
  ASSERT_EQ(lines.size(), 1u) << Describe(r);
  EXPECT_EQ(lines[0].offset, second_line);
  // The closed segment no longer has the checksum the manifest recorded.
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, SegmentName(1), 0, std::nullopt))
      << Describe(r);
}

// ---- lines deleted, inserted, swapped, duplicated ------------------------------------------

TEST_F(VerifyTest, DeletedLineBreaksSeqAndChain) {
  WriteLog(5);
  DeleteLine(0, 2);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 3, 4)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 3, 4)) << Describe(r);
  EXPECT_THAT(Describe(r), HasSubstr("expected seq 3, found 4"));
}

TEST_F(VerifyTest, DeletedFirstLineIsDetected) {
  WriteLog(3);
  DeleteLine(0, 0);
  const VerifyReport r = Run();
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 1, 2)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 1, 2)) << Describe(r);
  EXPECT_THAT(Describe(r), HasSubstr("genesis"));
}

TEST_F(VerifyTest, InsertedWellFormedRecordIsDetected) {
  WriteLog(5);
  // The best forgery: seq 3 chained to record 2, correctly hashed.
  const std::string prev = Lines(0)[1].substr(Lines(0)[1].size() - 66, 64);
  internal::EncodedEvent encoded;
  ASSERT_OK(internal::EncodeEvent(SealVerified{.shard_id = "forged"}, {}, &encoded));
  std::string forged;
  char hash[64];
  internal::FrameRecord(3, kTs + 2500000, "queen", false, encoded.body, prev, &forged, hash);
  forged.pop_back();
  InsertLine(0, 2, forged);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 4, 3)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 4, 3)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kDuplicateAuditId, SegmentName(0), 4, 3)) << Describe(r);
}

TEST_F(VerifyTest, InsertedGarbageLineIsMalformed) {
  WriteLog(3);
  InsertLine(0, 1, "{\"v\":1}");
  const VerifyReport r = Run();
  EXPECT_TRUE(Has(r, FindingKind::kMalformedRecord, SegmentName(0), 2, std::nullopt))
      << Describe(r);
  // The chain continues from the last readable record: no other line is wrong.
  EXPECT_EQ(LineFindings(r).size(), 1u) << Describe(r);
  EXPECT_EQ(r.records, 3u);
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, SegmentName(0), 0, std::nullopt))
      << Describe(r);
}

TEST_F(VerifyTest, SwappedLinesAreDetected) {
  WriteLog(5);
  SwapLines(0, 1, 2);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 2, 3)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 2, 3)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 3, 2)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 3, 2)) << Describe(r);
}

TEST_F(VerifyTest, DuplicatedLineIsDetected) {
  WriteLog(4);
  DuplicateLine(0, 1);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(0), 3, 2)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 3, 2)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kDuplicateAuditId, SegmentName(0), 3, 2)) << Describe(r);
  EXPECT_THAT(Describe(r), HasSubstr("repeated or out of order"));
}

// ---- a line edited and re-hashed ---------------------------------------------------------

TEST_F(VerifyTest, EditedAndRehashedLineBreaksTheNextLink) {
  WriteLog(5);
  RewriteLineAndRehash(0, 2, "shard-3", "shard-X");
  const VerifyReport r = Run();
  const auto lines = LineFindings(r);
  ASSERT_EQ(lines.size(), 1u) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 4, 4)) << Describe(r);
  EXPECT_THAT(lines[0].reason, HasSubstr("seq 3"));
}

TEST_F(VerifyTest, EditedAndRehashedLastLineIsCaughtByTheManifest) {
  // Nothing follows the last record, so the chain alone cannot reveal it; the manifest's
  // checksum and last hash of the closed segment do, and so does a published anchor.
  WriteLog(3);
  const std::string anchor = Run().last_hash;
  RewriteLineAndRehash(0, 2, "shard-3", "shard-X");
  const VerifyReport r = Run();
  EXPECT_TRUE(LineFindings(r).empty()) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, SegmentName(0), 0, std::nullopt))
      << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kManifestMismatch, SegmentName(0), 0, std::nullopt))
      << Describe(r);
  EXPECT_NE(r.last_hash, anchor);
}

TEST_F(VerifyTest, RehashedAuditIdThatDoesNotMatchSeqIsMalformed) {
  WriteLog(4);
  RewriteLineAndRehash(0, 2, "\"queen-3\"", "\"queen-33\"");
  const VerifyReport r = Run();
  EXPECT_TRUE(Has(r, FindingKind::kMalformedRecord, SegmentName(0), 3, 3)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(0), 4, 4)) << Describe(r);
}

// ---- torn tail ---------------------------------------------------------------------------

TEST_F(VerifyTest, TornLastLineIsReportedAsTornTailNotTampering) {
  WriteLog(5, 0, /*clean_close=*/false);
  const std::string data = testing::ReadFile(Segment(0));
  const std::size_t last_line_start = data.rfind('\n', data.size() - 2) + 1;
  TruncateTail(0, 30);
  const VerifyReport r = Run();
  EXPECT_FALSE(r.intact());
  EXPECT_FALSE(r.tampered()) << Describe(r);
  EXPECT_TRUE(r.torn_tail());
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, FindingKind::kTornTail);
  EXPECT_EQ(f.file, SegmentName(0));
  EXPECT_EQ(f.line, 5u);
  EXPECT_EQ(f.offset, last_line_start);
  EXPECT_FALSE(f.seq.has_value());
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.last_seq, 4u);
}

TEST_F(VerifyTest, TornTailInANewestSegmentAfterRotation) {
  WriteLog(4, /*rotate_every=*/2, /*clean_close=*/false);
  TruncateTail(1, 1);  // only the final '\n' is missing
  const VerifyReport r = Run();
  EXPECT_FALSE(r.tampered()) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kTornTail, SegmentName(1), 2, std::nullopt)) << Describe(r);
}

TEST_F(VerifyTest, IncompleteLineInAnOlderSegmentIsTampering) {
  WriteLog(4, /*rotate_every=*/2);
  TruncateTail(0, 20);
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_FALSE(r.torn_tail());
  EXPECT_TRUE(Has(r, FindingKind::kBadSegment, SegmentName(0), 2, std::nullopt)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(1), 1, 3)) << Describe(r);
}

// ---- several segments ----------------------------------------------------------------------

TEST_F(VerifyTest, ChainContinuesAcrossSegments) {
  WriteLog(6, /*rotate_every=*/2);
  ASSERT_EQ(testing::SegmentFiles(dir_.path()).size(), 3u);
  // The first record of each later segment links to the last of the one before.
  for (std::size_t seg = 1; seg < 3; ++seg) {
    const std::string prev_last = Lines(seg - 1).back();
    EXPECT_THAT(Lines(seg).front(),
                HasSubstr("\"prev_hash\":\"" + prev_last.substr(prev_last.size() - 66, 64)));
  }
  EXPECT_TRUE(Run().intact());
}

TEST_F(VerifyTest, DeletedMiddleSegmentIsDetectedAtTheNextSegment) {
  WriteLog(6, /*rotate_every=*/2);
  const std::string third = SegmentName(2);
  fs::remove(Segment(1));
  const VerifyReport r = Run();
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, third, 1, 5)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, third, 1, 5)) << Describe(r);
  EXPECT_THAT(Describe(r), HasSubstr("expected seq 3, found 5"));
}

TEST_F(VerifyTest, DamageInALaterSegmentIsLocatedInThatSegment) {
  WriteLog(6, /*rotate_every=*/3);
  DeleteLine(1, 0);
  const VerifyReport r = Run();
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, SegmentName(1), 1, 5)) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChainBroken, SegmentName(1), 1, 5)) << Describe(r);
  for (const Finding& f : r.findings) EXPECT_EQ(f.file, SegmentName(1));
}

TEST_F(VerifyTest, FindingKindsHaveStableNames) {
  EXPECT_EQ(FindingKindName(FindingKind::kMalformedRecord), "malformed_record");
  EXPECT_EQ(FindingKindName(FindingKind::kHashMismatch), "hash_mismatch");
  EXPECT_EQ(FindingKindName(FindingKind::kChainBroken), "chain_broken");
  EXPECT_EQ(FindingKindName(FindingKind::kSeqGap), "seq_gap");
  EXPECT_EQ(FindingKindName(FindingKind::kDuplicateAuditId), "duplicate_audit_id");
  EXPECT_EQ(FindingKindName(FindingKind::kTornTail), "torn_tail");
  EXPECT_EQ(FindingKindName(FindingKind::kBadSegment), "bad_segment");
}

}  // namespace
}  // namespace auditlog
