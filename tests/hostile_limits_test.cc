// Issue 8, cases 6, 10 and 20 (record part): what the writer accepts, every reader accepts.
// An event nested deeper than kMaxNestingDepth, or too large for kMaxRecordBytes, is
// neutralized at Emit (kept, with the alteration reported in "sanitized"); objects with
// very many members are checked for duplicate names in O(n log n), in the writer and in
// the readers. Work is bounded with a comparison counter, not with a clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/events.h"
#include "auditlog/limits.h"
#include "auditlog/logger.h"
#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "cli_runner.h"
#include "format/event_codec.h"
#include "format/member_names.h"
#include "format/record_format.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

using internal::EncodedEvent;
using internal::EncodeEvent;
using ::testing::HasSubstr;
using testing::ReadLines;
using testing::ScratchDir;
using testing::SegmentFiles;
using testing::WriteTestLog;

// An event whose member "v" nests `depth` objects ({"n":{"n":…{"n":1}}}), so that the event
// object itself has depth `depth` + 1.
// `v` wrapped in `levels` objects {"NAME":…}. (Moved, not copied: an initializer list
// would copy the whole chain at every level.)
Value Wrap(Value v, std::size_t levels, const std::string& name = "n") {
  for (std::size_t i = 0; i < levels; ++i) {
    Object o;
    o.push_back(Member{name, std::move(v)});
    v = Value(std::move(o));
  }
  return v;
}

// Depths far beyond the limit stay near a thousand: destroying a Value recurses once per
// level, and the test code of sanitizer builds (-O0, ASan frames) runs out of stack near 3000.
CustomEvent DeepEvent(std::size_t depth) {
  CustomEvent e{.event_type = "deep"};
  e.fields.push_back(Member{"v", Wrap(1, depth)});
  return e;
}

// The nesting depth of a JSON value (a scalar: 0; an object or array: 1 + its deepest).
std::size_t Depth(const nlohmann::json& j) {
  std::size_t d = 0;
  const nlohmann::json* p = &j;
  // Every test value is a chain: follow the single deepest container.
  while (p->is_structured()) {
    ++d;
    const nlohmann::json* next = nullptr;
    for (const auto& item : *p) {
      if (item.is_structured()) next = &item;
    }
    if (next == nullptr) break;
    p = next;
  }
  return d;
}

nlohmann::json ParseBody(const std::string& body) {
  return nlohmann::json::parse("{" + body + "}", nullptr, /*allow_exceptions=*/false);
}

EncodedEvent EncodeOk(const Event& e, const internal::EncodeOptions& options = {}) {
  EncodedEvent out;
  EXPECT_OK(EncodeEvent(e, options, &out));
  return out;
}

// A distinct snake_case name for every i < 26 * 36^3: "a000" … "zzzz".
std::string ShortName(std::size_t i) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s(4, 'a');
  s[0] = static_cast<char>('a' + i / (36 * 36 * 36));
  for (int k = 3; k >= 1; --k) {
    s[k] = kDigits[i % 36];
    i /= 36;
  }
  return s;
}

CustomEvent WideEvent(std::size_t members) {
  CustomEvent e{.event_type = "wide"};
  e.fields.reserve(members);
  for (std::size_t i = 0; i < members; ++i) e.fields.push_back({ShortName(i), 1});
  return e;
}

// A bound on the comparisons of an O(n log n) duplicate check of n names (a sort is about
// n log2 n; 4 times that is far below the n²/2 of a pairwise check for large n).
std::uint64_t NLogNBound(std::size_t n) {
  return static_cast<std::uint64_t>(4.0 * static_cast<double>(n) * std::log2(n) + 64);
}

Result<VerifyReport> VerifyDir(const std::filesystem::path& dir) { return Verify(dir); }

void ExpectIntact(const std::filesystem::path& dir, std::uint64_t records) {
  auto report = VerifyDir(dir);
  ASSERT_OK(report.status());
  for (const Finding& f : report->findings)
    ADD_FAILURE() << f.file << ":" << f.line << " " << f.reason;
  EXPECT_EQ(report->records, records);
}

// Reads every record with a query; returns their event JSON.
std::vector<std::string> QueryAll(const std::filesystem::path& dir) {
  std::vector<std::string> events;
  auto cursor = QueryCursor::Open(dir, Query{});
  EXPECT_OK(cursor.status());
  if (!cursor.ok()) return events;
  Record r;
  for (;;) {
    auto more = (*cursor)->Next(&r);
    EXPECT_OK(more.status());
    if (!more.ok() || !*more) break;
    events.push_back(r.event_json);
  }
  EXPECT_EQ((*cursor)->malformed_lines(), 0u);
  return events;
}

// ---- case 6: nesting depth --------------------------------------------------------------

TEST(HostileLimitsTest, TheDepthLimitIsWellBelowTheParsersAndAboveTheBuiltinTypes) {
  static_assert(kMaxNestingDepth >= 8 && kMaxNestingDepth + 1 < 1024);
  SUCCEED();
}

TEST(HostileLimitsTest, AValueAtTheDepthLimitIsWrittenUnchanged) {
  // The event object is depth 1, so kMaxNestingDepth - 1 nested objects reach the limit.
  const EncodedEvent e = EncodeOk(DeepEvent(kMaxNestingDepth - 1));
  EXPECT_EQ(e.altered_fields, 0u);
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_FALSE(j.contains("sanitized"));
  EXPECT_EQ(Depth(j["event"]), kMaxNestingDepth);
}

TEST(HostileLimitsTest, ADeeperValueIsReplacedByAMarkerAndReported) {
  const EncodedEvent e = EncodeOk(DeepEvent(1000));
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(Depth(j["event"]), kMaxNestingDepth);
  EXPECT_EQ(e.altered_fields, 1u);
  ASSERT_EQ(j["sanitized"].size(), 1u);
  const nlohmann::json& entry = j["sanitized"][0];
  EXPECT_EQ(entry["limit"], "nesting_depth");
  EXPECT_EQ(entry["neutralized"], 0);
  // The path names the value that was replaced: "v" and then n's down to the limit.
  std::string path = "v";
  for (std::size_t i = 0; i + 1 < kMaxNestingDepth; ++i) path += ".n";
  EXPECT_EQ(entry["field"], path);
  // The replaced value is the marker string.
  const nlohmann::json* p = &j["event"]["v"];
  while (p->is_object()) p = &(*p)["n"];
  EXPECT_EQ(*p, "<too deep>");
}

TEST(HostileLimitsTest, AStringListBeyondTheLimitIsReplacedToo) {
  const Value v = Wrap(StringList{"a", "b"}, kMaxNestingDepth - 1);
  const EncodedEvent e = EncodeOk(CustomEvent{.event_type = "deep", .fields = {{"v", v}}});
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(Depth(j["event"]), kMaxNestingDepth);
  ASSERT_EQ(j["sanitized"].size(), 1u);
  EXPECT_EQ(j["sanitized"][0]["limit"], "nesting_depth");
}

TEST(HostileLimitsTest, PoolModifiedChangesAreBoundToo) {
  const Value changes = Wrap(1, 1000, "k");
  const EncodedEvent e =
      EncodeOk(PoolModified{.actor = {.user_id = "u", .auth_method = AuthMethod::kInternal},
                            .pool_id = "p",
                            .changes = changes});
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(Depth(j["event"]), kMaxNestingDepth);
  EXPECT_EQ(j["sanitized"][0]["limit"], "nesting_depth");
}

// Readers accept far more than the writer writes (records of older writers stay readable)
// and name the problem beyond their own limit.
TEST(HostileLimitsTest, ReadersAcceptDeepRecordsAndNameTheirLimit) {
  ScratchDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto builder, testing::LogBuilder::Open(dir.path()));
    for (std::size_t depth : {std::size_t{1000}, std::size_t{1100}}) {
      std::string event = R"({"event_type":"deep","v":)";
      for (std::size_t i = 0; i < depth; ++i) event += R"({"n":)";
      event += "1";
      event.append(depth, '}');
      event += '}';
      ASSERT_OK(builder->AddRawEvent(event, testing::TestTime(1)).status());
    }
    ASSERT_OK(builder->Close());
  }
  auto report = Verify(dir.path());
  ASSERT_OK(report.status());
  // Line 1 (depth 1001) is read; line 2 (1101) is malformed, with a reason that says why.
  bool named = false;
  for (const Finding& f : report->findings) {
    EXPECT_NE(f.line, 1u) << f.reason;
    if (f.kind == FindingKind::kMalformedRecord && f.line == 2) {
      EXPECT_THAT(f.reason, HasSubstr("nested deeper than the readers' limit of 1024 levels"));
      named = true;
    }
  }
  EXPECT_TRUE(named);
}

// The observed failure: a deep event was accepted, then the untouched log failed verify,
// queries dropped the event and the log could not be reopened.
TEST(HostileLimitsTest, ADeepEventIsKeptAndTheLogStaysReadableAndReopenable) {
  ScratchDir dir;
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{dir.path()};
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    ASSERT_OK(logger->Emit(DeepEvent(1100)).status());
    ASSERT_OK(logger->Emit(DeepEvent(kMaxNestingDepth - 1)).status());
    ASSERT_OK(logger->Shutdown());
  }
  ExpectIntact(dir.path(), 2);
  const std::vector<std::string> events = QueryAll(dir.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[0], HasSubstr("\"<too deep>\""));
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    ASSERT_OK(logger->Emit(DeepEvent(3)).status());
    ASSERT_OK(logger->Shutdown());
  }
  ExpectIntact(dir.path(), 3);
}

// ---- case 10: members -------------------------------------------------------------------

TEST(HostileLimitsTest, FirstRepeatedNameFindsTheFirstRepeatInOrder) {
  std::vector<std::uint32_t> scratch;
  for (std::size_t n : {5u, 40u, 5000u}) {
    std::vector<std::string> storage;
    for (std::size_t i = 0; i < n; ++i) storage.push_back(ShortName(i));
    std::vector<std::string_view> names(storage.begin(), storage.end());
    EXPECT_EQ(internal::FirstRepeatedName(names, &scratch), n) << n;
    // Two repeats: of name 1 at position n-1, of name 0 at position n-2.
    names[n - 1] = names[1];
    names[n - 2] = names[0];
    EXPECT_EQ(internal::FirstRepeatedName(names, &scratch), n - 2) << n;
  }
  std::vector<std::string_view> none;
  EXPECT_EQ(internal::FirstRepeatedName(none, &scratch), 0u);
}

TEST(HostileLimitsTest, DuplicatesInWideObjectsAreStillRejected) {
  // Writer: the message names the first repeated member, at any depth.
  CustomEvent e = WideEvent(1000);
  e.fields[700].name = e.fields[12].name;
  e.fields[500].name = e.fields[20].name;
  EncodedEvent out;
  Status s = EncodeEvent(e, {}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("wide." + ShortName(20) + ": appears twice"));
  CustomEvent nested{.event_type = "x", .fields = {{"o", Object(WideEvent(100).fields)}}};
  std::get<Object>(nested.fields[0].value.storage())[99].name = ShortName(0);
  s = EncodeEvent(nested, {}, &out);
  EXPECT_THAT(s.message(), HasSubstr("x.o." + ShortName(0) + ": appears twice"));

  // Reader: a wide object with one duplicate, inside the event.
  std::string event = R"({"event_type":"x","o":{)";
  for (std::size_t i = 0; i < 1000; ++i) {
    event += (i ? ",\"" : "\"") + ShortName(i == 999 ? 444 : i) + "\":1";
  }
  event += "}}";
  std::string line;
  char hash[64];
  internal::FrameRecord(1, 1795741062123456, "queen", false, "\"event\":" + event,
                        internal::kGenesisHash, &line, hash);
  line.pop_back();
  internal::RecordParser parser;
  internal::RecordView view;
  s = parser.Parse(line, &view);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("duplicate member \"" + ShortName(444) + "\""));
}

// The observed failure: one record with 200k members took verify 37 s (pairwise checks).
TEST(HostileLimitsTest, TheDuplicateChecksOfAWideRecordAreNotQuadratic) {
  // As many members as fit in one record: ~100k (a pairwise check: ~5e9 comparisons).
  const std::size_t n =
      (internal::kMaxEventBodyBytes - (32 << 10)) / std::string_view(R"("abcd":1,)").size();
  const CustomEvent e = WideEvent(n);

  std::uint64_t before = internal::NameComparisonsOnThisThread();
  const EncodedEvent encoded = EncodeOk(e);
  EXPECT_EQ(encoded.altered_fields, 0u);  // it fits: nothing was cut
  EXPECT_LE(internal::NameComparisonsOnThisThread() - before, NLogNBound(n));

  std::string line;
  char hash[64];
  internal::FrameRecord(1, 1795741062123456, "queen", false, encoded.body, internal::kGenesisHash,
                        &line, hash);
  line.pop_back();
  EXPECT_LE(line.size(), kMaxRecordBytes);
  internal::RecordParser parser;
  internal::RecordView view;
  before = internal::NameComparisonsOnThisThread();
  ASSERT_OK(parser.Parse(line, &view));
  EXPECT_TRUE(view.hash_matches);
  EXPECT_LE(internal::NameComparisonsOnThisThread() - before, NLogNBound(n));

  // End to end: written, verified and queried.
  ScratchDir dir;
  ASSERT_OK(WriteTestLog(dir.path(), {e}));
  ExpectIntact(dir.path(), 1);
  EXPECT_EQ(QueryAll(dir.path()).size(), 1u);
}

// ---- case 20: record size ---------------------------------------------------------------

// Frames `body` as the longest envelope can be: the largest seq, a 64-byte service id and a
// timestamp in a year beyond 9999.
std::string LongestFrame(const std::string& body) {
  std::string line;
  char hash[64];
  internal::FrameRecord(std::numeric_limits<std::uint64_t>::max(),
                        std::numeric_limits<std::int64_t>::max(), std::string(64, 's'), false, body,
                        internal::kGenesisHash, &line, hash);
  line.pop_back();  // '\n'
  return line;
}

TEST(HostileLimitsTest, TheLargestBodyFramesWithinTheRecordLimit) {
  const std::string line = LongestFrame(std::string(internal::kMaxEventBodyBytes, 'x'));
  EXPECT_LE(line.size(), kMaxRecordBytes);
  EXPECT_GT(line.size(), kMaxRecordBytes - 128);  // and the bound is not wasteful
}

// Checks a body that had to be cut: it fits, it is valid JSON, and its last "sanitized"
// entry reports the record_size cut at `field`.
nlohmann::json ExpectCutAt(const EncodedEvent& e, const std::vector<std::string>& fields);
nlohmann::json ExpectCutAt(const EncodedEvent& e, const std::string& field) {
  return ExpectCutAt(e, std::vector<std::string>{field});
}
// The same, with the cut at one of `fields`: at the first element that is not written, or
// at the last one written, when that is a string truncated to what was left.
nlohmann::json ExpectCutAt(const EncodedEvent& e, const std::vector<std::string>& fields) {
  EXPECT_LE(e.body.size(), internal::kMaxEventBodyBytes);
  EXPECT_LE(LongestFrame(e.body).size(), kMaxRecordBytes);
  nlohmann::json j = ParseBody(e.body);
  EXPECT_FALSE(j.is_discarded());
  if (j.is_discarded()) return j;
  const nlohmann::json& san = j["sanitized"];
  EXPECT_TRUE(san.is_array() && !san.empty());
  if (!san.is_array() || san.empty()) return j;
  EXPECT_EQ(san.back()["limit"], "record_size");
  EXPECT_NE(std::find(fields.begin(), fields.end(), san.back()["field"]), fields.end())
      << san.back().dump();
  return j;
}

TEST(HostileLimitsTest, AnOversizedListIsCutToFitAndTheEventKept) {
  // 5000 strings of 1000 bytes: 5 MB, each string within max_field_bytes.
  StringList list(5000, std::string(1000, 'q'));
  const EncodedEvent e =
      EncodeOk(CustomEvent{.event_type = "big", .fields = {{"list", list}, {"after", "x"}}});
  // About 1000 items fit; the first that does not is where the cut is reported.
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  const std::size_t kept = j["event"]["list"].size();
  EXPECT_GT(kept, 900u);
  EXPECT_LT(kept, 1100u);
  ExpectCutAt(e, {"list[" + std::to_string(kept) + "]", "list[" + std::to_string(kept - 1) + "]"});
  // Members after the cut are dropped.
  EXPECT_FALSE(j["event"].contains("after"));
  EXPECT_EQ(j["sanitized"].size(), 1u);
}

TEST(HostileLimitsTest, AnOversizedStringIsTruncatedWithItsOriginalRecorded) {
  // max_field_bytes may be set above the record size: the record limit still holds.
  const std::string big(3 << 20, 'z');
  internal::EncodeOptions options;
  options.max_field_bytes = 8 << 20;
  const EncodedEvent e =
      EncodeOk(PolicyViolation{.policy = "p", .violation = big, .details = "d", .severity = "high"},
               options);
  const nlohmann::json j = ExpectCutAt(e, "violation");
  ASSERT_FALSE(j.is_discarded());
  const nlohmann::json& entry = j["sanitized"].back();
  EXPECT_EQ(entry["truncated"], true);
  EXPECT_EQ(entry["original_bytes"], big.size());
  EXPECT_EQ(entry["original_sha256"], testing::OpenSslSha256Hex(big));
  // The string keeps what fits; the fields after it are still there, strings emptied.
  EXPECT_GT(j["event"]["violation"].get<std::string>().size(), 400000u);
  EXPECT_EQ(j["event"]["details"], "");
  EXPECT_EQ(j["event"]["severity"], "");
  EXPECT_EQ(j["event"]["event_type"], "policy_violation");
  EXPECT_TRUE(j["event"].contains("action_taken"));
}

TEST(HostileLimitsTest, ABuiltinEventKeepsEveryFieldWhenCut) {
  StringList scopes(3000, std::string(1000, 's'));
  const EncodedEvent e =
      EncodeOk(TokenCreated{.actor = {.user_id = "u", .auth_method = AuthMethod::kApiKey},
                            .token_fingerprint = "fp",
                            .scope = scopes,
                            .expires_at = Time(std::chrono::microseconds(1795741062123456))});
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  const std::size_t kept = j["event"]["scope"].size();
  ExpectCutAt(e,
              {"scope[" + std::to_string(kept) + "]", "scope[" + std::to_string(kept - 1) + "]"});
  EXPECT_EQ(j["event"]["token_fingerprint"], "fp");
  EXPECT_EQ(j["event"]["expires_at"], "2026-11-27T00:57:42.123456Z");
  EXPECT_TRUE(e.critical == false);
}

TEST(HostileLimitsTest, ManyTruncatedFieldsAndTheirEntriesStillFit) {
  // Every string is cut by max_field_bytes and reported: the entries count too.
  Object fields;
  for (std::size_t i = 0; i < 20000; ++i) fields.push_back({ShortName(i), std::string(2000, 'x')});
  const EncodedEvent e = EncodeOk(CustomEvent{.event_type = "many", .fields = fields});
  const nlohmann::json j = ParseBody(e.body);
  ASSERT_FALSE(j.is_discarded());
  const std::size_t kept = j["event"].size() - 1;
  const nlohmann::json cut = ExpectCutAt(e, {ShortName(kept), ShortName(kept - 1)});
  ASSERT_FALSE(cut.is_discarded());
  // One entry per written field (each was truncated), plus the cut's when it is its own.
  const bool own = j["sanitized"].back()["field"] == ShortName(kept);
  EXPECT_EQ(j["sanitized"].size(), kept + (own ? 1 : 0));
}

// End to end through the Logger, with the longest service id: every line stays within the
// limit, the log verifies, and reading it (also as a table) is not quadratic.
TEST(HostileLimitsTest, OversizedEventsAreWrittenWithinTheLimitAndReadBack) {
  ScratchDir dir;
  Config config;
  config.service_id = std::string(64, 'q');
  config.mode = LocalMode{dir.path()};
  config.max_field_bytes = 4 << 20;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    ASSERT_OK(
        logger
            ->Emit(CustomEvent{.event_type = "big", .fields = {{"s", std::string(100 << 20, 'b')}}})
            .status());
    // Wider than a record holds: cut to the ~110k members that fit.
    ASSERT_OK(logger->Emit(WideEvent(200000)).status());
    ASSERT_OK(logger->Shutdown());
  }
  std::size_t lines = 0;
  for (const auto& segment : SegmentFiles(dir.path())) {
    for (const std::string& line : ReadLines(segment)) {
      EXPECT_LE(line.size(), kMaxRecordBytes);
      ++lines;
    }
  }
  EXPECT_EQ(lines, 2u);
  ExpectIntact(dir.path(), 2);
  EXPECT_EQ(QueryAll(dir.path()).size(), 2u);
  // A table needs linear time per record: a quadratic member lookup (nlohmann's ordered
  // JSON, as before) over ~110k members takes minutes (measured: ~90 s per parse; the
  // table parsed twice); the linear one 0.1 s. The bound is a liveness bound, not a timing.
  const testing::CliResult r =
      testing::RunCli(AUDITLOG_CLI_PATH, {"query", dir.path().string(), "--format", "table"},
                      std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wide"));
  EXPECT_THAT(r.out, HasSubstr("s=bbbb"));
}

}  // namespace
}  // namespace auditlog
