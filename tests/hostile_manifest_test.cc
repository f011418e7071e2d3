// Issue 8, hostile manifest and names (cases 1 (names), 4, 14, 18, 20 (manifest part)): every
// member of manifest.json and every file name is attacker-controlled. Manifest::Parse must
// type- and range-check everything without throwing, the writer must refuse (naming the
// entry) rather than build on what the files do not confirm, and readers must load the
// manifest once and only up to its size limit.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "cli_runner.h"
#include "format/log_dir.h"
#include "format/manifest.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "storage/record_writer.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

std::vector<Event> Tasks(int n) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(TaskCompleted{.task_id = "t" + std::to_string(i), .worker_id = "w"});
  }
  return events;
}

bool HasManifestFinding(const VerifyReport& r, const std::string& needle) {
  for (const Finding& f : r.findings) {
    if (f.kind == FindingKind::kManifestMismatch && f.file == "manifest.json" &&
        f.reason.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string Describe(const VerifyReport& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    s += std::string(FindingKindName(f.kind)) + " " + f.file + ": " + f.reason + "\n";
  }
  return s;
}

// A log of three closed segments (3 records each) written through the real writer.
class HostileManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(testing::WriteTestLog(dir_.path(), Tasks(9), "svc", 1795741062123456, 3));
    manifest_ = json::parse(ReadFile(ManifestPath()));
    ASSERT_EQ(manifest_["segments"].size(), 3u);
  }
  fs::path ManifestPath() const { return dir_.path() / "manifest.json"; }
  void Save(const json& m) { WriteFile(ManifestPath(), m.dump(2) + "\n"); }
  std::string Name(int i) const { return manifest_["segments"][i]["name"].get<std::string>(); }

  Result<std::unique_ptr<RecordWriter>> OpenWriter() {
    RecordWriter::Options o;
    o.env = Env::Default();
    o.dir = dir_.path();
    o.service_id = "svc";
    return RecordWriter::Open(o);
  }

  ScratchDir dir_;
  json manifest_;
};

// ---- Case 4: every field type- and range-checked, an error naming it, nothing thrown.

struct Mutation {
  const char* pointer;  // JSON pointer into the manifest
  const char* value;    // JSON text; "" erases the member
  const char* expect;   // part of the error message
};

const Mutation kMutations[] = {
    {"/version", R"("1")", "\"version\" is not an unsigned integer (it is string)"},
    {"/version", "2", "\"version\" is not 1"},
    {"/version", "1.0", "\"version\""},
    {"/format", "null", "\"format\""},
    {"/service_id", "5", "\"service_id\" is not a string"},
    {"/service_id", R"("svc\u001b[2J\n")", "\"service_id\""},
    {"/service_id", R"("")", "\"service_id\""},
    {"/clean_shutdown", R"("yes")", "\"clean_shutdown\" is not a boolean"},
    {"/created_at", R"("2026-13-01T00:00:00.000000Z")", "\"created_at\""},
    {"/updated_at", "12", "\"updated_at\""},
    {"/segments", "{}", "\"segments\" is not an array"},
    {"/segments", "", "\"segments\" is missing"},
    {"/segments/0", "5", "segments[0] is not an object"},
    {"/segments/0/index", "-1", "\"index\" is not an unsigned integer"},
    {"/segments/0/index", "1.5", "\"index\" is not an unsigned integer"},
    {"/segments/0/index", R"("1")", "\"index\" is not an unsigned integer"},
    {"/segments/0/index", "7", "\"index\" 7 is not the index in its name"},
    {"/segments/0/first_seq", "18446744073709551616", "\"first_seq\" is not an unsigned integer"},
    {"/segments/0/last_seq", "1e3", "\"last_seq\""},
    {"/segments/0/last_seq", "", "\"last_seq\" is missing"},
    {"/segments/0/records", "true", "\"records\""},
    {"/segments/0/records", "0", "has no records but"},
    {"/segments/0/records", "100", "\"records\" 100 does not fit"},
    {"/segments/0/bytes", "-5", "\"bytes\""},
    {"/segments/0/first_hash", R"("zz")", "\"first_hash\" is not 64 lowercase hex digits"},
    {"/segments/0/last_hash",
     R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")", "\"last_hash\""},
    {"/segments/0/sha256", "12", "\"sha256\""},
    {"/segments/0/sha256", "null", "\"sha256\" is missing on a closed entry"},
    {"/segments/0/state", R"("frozen")", "\"state\" is not one of"},
    {"/segments/0/state", "3", "\"state\" is not a string"},
    {"/segments/0/first_timestamp", R"("yesterday")", "\"first_timestamp\" is not a timestamp"},
    {"/segments/0/closed_at", "[]", "\"closed_at\""},
    {"/segments/0/archive", R"({"name":"x","bytes":1,"sha256":"y"})", "not archived"},
    {"/segments/0/state", R"("archived")", "\"archive\" is missing on an archived entry"},
    {"/segments/0/state", R"("active")", "active, but"},
    {"/segments/1/state", R"("deleted")", "deleted, but an earlier segment is not"},
    {"/segments/1/first_seq", "2", "first_seq 2 does not follow last_seq 3"},
    // Case 1 (names) and 14 (index): names and indexes from the manifest.
    {"/segments/0/name", R"("../x")", "\"name\" is not a segment file name"},
    {"/segments/0/name", R"("/etc/passwd")", "\"name\" is not a segment file name"},
    {"/segments/0/name", R"("0000000001-2026-02-30.audit")", "\"name\" is not a segment"},
    {"/segments/0/name", R"("0000000001-2026-11-27.audit/../../x")", "\"name\""},
    {"/segments/0/name", R"("0000000000-2026-11-27.audit")", "\"name\""},
    {"/segments/2/index", "18446744073709551615", "is not the index in its name"},
    {"/segments/2/index", "9999999999", "is not the index in its name"},
};

TEST_F(HostileManifestTest, EveryMistypedOrOutOfRangeFieldIsANamedCorruption) {
  for (const Mutation& m : kMutations) {
    SCOPED_TRACE(std::string(m.pointer) + " = " + m.value);
    json mutated = manifest_;
    const json::json_pointer ptr(m.pointer);
    if (std::string(m.value).empty()) {
      mutated[ptr.parent_pointer()].erase(ptr.back());
    } else {
      mutated[ptr] = json::parse(m.value);
    }
    const std::string text = mutated.dump(2);
    auto parsed = Manifest::Parse(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_NE(parsed.status().message().find(m.expect), std::string::npos)
        << parsed.status().message();

    // The writer refuses to open (kCorruption), verify reports it, no command crashes.
    Save(mutated);
    auto writer = OpenWriter();
    ASSERT_FALSE(writer.ok());
    EXPECT_EQ(writer.status().code(), StatusCode::kCorruption) << writer.status().ToString();
    auto report = Verify(dir_.path());
    ASSERT_OK(report.status());
    EXPECT_TRUE(HasManifestFinding(*report, m.expect)) << Describe(*report);
  }
}

TEST_F(HostileManifestTest, EntryErrorsNameThePositionAndTheSegment) {
  json mutated = manifest_;
  mutated["segments"][1]["last_seq"] = "6";
  auto parsed = Manifest::Parse(mutated.dump());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("segments[1] (" + Name(1) + ")"), std::string::npos)
      << parsed.status().message();
}

TEST_F(HostileManifestTest, DuplicateNamesAndOutOfOrderEntriesAreRejected) {
  json dup = manifest_;
  dup["segments"][1] = dup["segments"][0];
  auto a = Manifest::Parse(dup.dump());
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("increasing index order"), std::string::npos)
      << a.status().message();
  json swapped = manifest_;
  std::swap(swapped["segments"][0], swapped["segments"][1]);
  auto b = Manifest::Parse(swapped.dump());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("segments[1]"), std::string::npos) << b.status().message();
}

TEST_F(HostileManifestTest, DuplicateMembersDeepNestingAndGarbageAreRejected) {
  std::string text = manifest_.dump();
  const std::string dup = text.substr(0, 1) + R"("version":1,)" + text.substr(1);
  const std::string deep = text.substr(0, text.size() - 1) + R"(,"x":[[[[[[[[[[1]]]]]]]]]]})";
  const struct {
    std::string text, expect;
  } cases[] = {{dup, "appears twice"},
               {deep, "nested deeper"},
               {"", "not valid JSON"},
               {"[1,2]", "not a JSON object"},
               {std::string(100000, '['), "nested deeper"},
               {"{\"format\":\"auditlog-manifest\"", "not valid JSON"}};
  for (const auto& c : cases) {
    auto parsed = Manifest::Parse(c.text);
    ASSERT_FALSE(parsed.ok()) << c.expect;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_NE(parsed.status().message().find(c.expect), std::string::npos)
        << parsed.status().message();
  }
}

TEST_F(HostileManifestTest, WhatTheWriterWritesParsesBack) {
  auto parsed = Manifest::Parse(ReadFile(ManifestPath()));
  ASSERT_OK(parsed.status());
  EXPECT_EQ(parsed->ToJson(), ReadFile(ManifestPath()));
}

TEST_F(HostileManifestTest, MistypedVersionDoesNotCrashAnyCommand) {
  if (std::string(AUDITLOG_CLI_PATH).empty()) GTEST_SKIP() << "CLI not built";
  manifest_["version"] = "1";
  Save(manifest_);
  const std::string dir = dir_.path().string();
  const std::vector<std::vector<std::string>> commands = {{"verify", dir},
                                                          {"verify", "--json", dir},
                                                          {"query", dir},
                                                          {"stats", dir},
                                                          {"export", dir, "--actor", "x"},
                                                          {"retention", dir},
                                                          {"retention", "--apply", dir}};
  for (const auto& args : commands) {
    const auto r = testing::RunCli(AUDITLOG_CLI_PATH, args);
    SCOPED_TRACE(args[0] + ": exit " + std::to_string(r.exit_code) + " " + r.err);
    EXPECT_GE(r.exit_code, 0);  // not killed by a signal (abort on an uncaught exception)
    EXPECT_LE(r.exit_code, 3);
  }
  const auto verify = testing::RunCli(AUDITLOG_CLI_PATH, {"verify", dir});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("version"), std::string::npos) << verify.out;
}

// ---- Case 1 (writer side): names from the manifest never reach the file system.

TEST_F(HostileManifestTest, TraversalNamesMakeTheWriterAndLoggerRefuseAndTouchNothing) {
  ScratchDir outside;
  const fs::path victim = outside.path() / "victim";
  WriteFile(victim, "precious");
  const std::string relative =
      (fs::path("..") / outside.path().filename() / "victim").string();  // from the log dir
  for (const std::string& name : {relative, victim.string()}) {
    SCOPED_TRACE(name);
    json m = manifest_;
    m["segments"][0]["name"] = name;
    Save(m);
    auto w = OpenWriter();
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
    EXPECT_NE(w.status().message().find("segments[0]"), std::string::npos) << w.status().message();

    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.retention =
        RetentionPolicy{.min_retention_days = 0, .archive_after_days = 0, .delete_after_days = 0};
    auto logger = Logger::Open(config);
    ASSERT_FALSE(logger.ok());
    EXPECT_EQ(logger.status().code(), StatusCode::kCorruption) << logger.status().ToString();
    EXPECT_EQ(ReadFile(victim), "precious");
  }
  // An archive member naming another file.
  json m = manifest_;
  m["segments"][0]["state"] = "archived";
  m["segments"][0]["archive"] = {
      {"name", victim.string()}, {"bytes", 8}, {"sha256", std::string(64, 'a')}};
  Save(m);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  EXPECT_NE(w.status().message().find("archive \"name\""), std::string::npos)
      << w.status().message();
  EXPECT_EQ(ReadFile(victim), "precious");
}

TEST(LogDirTest, SegmentNameGrammarIsExactlyWhatTheWriterMakes) {
  EXPECT_TRUE(IsValidSegmentName("0000000001-2026-11-27.audit"));
  EXPECT_TRUE(IsValidSegmentName("9999999999-2024-02-29.audit"));
  EXPECT_TRUE(IsValidSegmentName(SegmentFileName(kMaxSegmentIndex, 0)));
  for (const char* bad :
       {"0000000000-2026-11-27.audit", "0000000001-2026-02-29.audit", "0000000001-2026-13-01.audit",
        "0000000001-2026-11-00.audit", "0000000001-2026-04-31.audit", "0000000001-1900-02-29.audit",
        "../0000001-2026-11-27.audit", "/000000001-2026-11-27.audit", "+000000001-2026-11-27.audit",
        "0000000001-2026-11-27.audit/", "00000000010-2026-11-27.audit", ""}) {
    EXPECT_FALSE(IsValidSegmentName(bad)) << bad;
  }
  EXPECT_FALSE(IsValidSegmentName(std::string("0000000001-2026-11-27.audit\0", 28)));
  EXPECT_FALSE(IsValidSegmentName(SegmentFileName(kMaxSegmentIndex + 1, 0)));

  EXPECT_TRUE(IsValidArchiveName("0000000001-2026-11-27.audit.zst", "0000000001-2026-11-27.audit"));
  EXPECT_FALSE(
      IsValidArchiveName("0000000002-2026-11-27.audit.zst", "0000000001-2026-11-27.audit"));
  EXPECT_FALSE(IsValidArchiveName("../x.zst", "0000000001-2026-11-27.audit"));

  auto q = ParseQuarantineFileName("0000000001-2026-11-27.audit.torn-123");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->segment, "0000000001-2026-11-27.audit");
  EXPECT_EQ(q->offset, 123u);
  for (const char* bad :
       {"0000000001-2026-11-27.audit.torn-", "0000000001-2026-11-27.audit.torn-01",
        "0000000001-2026-11-27.audit.torn-1/x", "x.torn-1",
        "0000000001-2026-11-27.audit.torn-99999999999999999999"}) {
    EXPECT_FALSE(ParseQuarantineFileName(bad)) << bad;
  }

  EXPECT_EQ(ClassifyLogFileName("manifest.json").kind, LogFileKind::kManifest);
  EXPECT_EQ(ClassifyLogFileName("manifest.json.tmp").kind, LogFileKind::kTemp);
  EXPECT_EQ(ClassifyLogFileName("LOCK").kind, LogFileKind::kLock);
  EXPECT_EQ(ClassifyLogFileName("0000000001-2026-11-27.audit.sha256").kind, LogFileKind::kChecksum);
  EXPECT_EQ(ClassifyLogFileName("0000000001-2026-11-27.audit.sha256.tmp").kind, LogFileKind::kTemp);
  EXPECT_EQ(ClassifyLogFileName("0000000001-2026-11-27.audit.zst").kind, LogFileKind::kArchive);
  EXPECT_EQ(ClassifyLogFileName("0000000001-2026-11-27.audit.zst.tmp").kind, LogFileKind::kOther);
  EXPECT_EQ(ClassifyLogFileName("..").kind, LogFileKind::kOther);

  ASSERT_OK_AND_ASSIGN(fs::path p, LogFilePath("/log", "0000000001-2026-11-27.audit.sha256"));
  EXPECT_EQ(p, fs::path("/log/0000000001-2026-11-27.audit.sha256"));
  for (const char* bad : {"../x", "/etc/passwd", "a/0000000001-2026-11-27.audit", ".", ""}) {
    auto r = LogFilePath("/log", bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

// ---- Case 20 (manifest part): bounded size, parsed once.

TEST_F(HostileManifestTest, OversizedManifestIsRefusedWithoutBeingParsed) {
  std::string text = manifest_.dump(2);
  text.append(kMaxManifestBytes + 1 - text.size(), ' ');  // valid JSON, one byte too long
  WriteFile(ManifestPath(), text);
  auto loaded = LoadManifest(Env::Default(), dir_.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("limit"), std::string::npos);
  auto report = Verify(dir_.path());
  ASSERT_OK(report.status());
  EXPECT_TRUE(HasManifestFinding(*report, "limit")) << Describe(*report);
  auto w = OpenWriter();
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
}

TEST_F(HostileManifestTest, ManyTinyValuesAreRefusedBeforeBuildingTheDocument) {
  std::string values;
  for (std::size_t i = 0; i <= kMaxManifestValues; ++i) values += "0,";
  std::string text = manifest_.dump();
  text.insert(text.size() - 1, ",\"pad\":[" + values + "0]");
  ASSERT_LE(text.size(), kMaxManifestBytes);
  auto parsed = Manifest::Parse(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("JSON values"), std::string::npos);
}

// Counts how often manifest.json is opened for reading.
class CountingEnv : public EnvWrapper {
 public:
  CountingEnv() : EnvWrapper(Env::Default()) {}
  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const fs::path& path) override {
    if (path.filename() == "manifest.json") ++manifest_reads;
    return EnvWrapper::NewReadableFile(path);
  }
  std::atomic<int> manifest_reads{0};
};

TEST_F(HostileManifestTest, VerifyAndQueryParseTheManifestOnce) {
  CountingEnv env;
  VerifyOptions options;
  options.env = &env;
  auto report = Verify(dir_.path(), options);
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->intact()) << Describe(*report);
  EXPECT_EQ(env.manifest_reads.load(), 1);

  env.manifest_reads = 0;
  QueryOptions qo;
  qo.env = &env;
  auto cursor = QueryCursor::Open(dir_.path(), Query{}, qo);
  ASSERT_OK(cursor.status());
  EXPECT_LE(env.manifest_reads.load(), 1);
}

// ---- Case 14: the segment index.

TEST_F(HostileManifestTest, LastSegmentIndexRefusesToOpenRatherThanWriteAnUnlistedFile) {
  // Rename the last segment (and its checksum) to the largest index, consistently.
  const std::string old_name = Name(2);
  const std::string new_name = "9999999999" + old_name.substr(10);
  fs::rename(dir_.path() / old_name, dir_.path() / new_name);
  fs::remove(dir_.path() / (old_name + ".sha256"));
  manifest_["segments"][2]["name"] = new_name;
  manifest_["segments"][2]["index"] = kMaxSegmentIndex;
  Save(manifest_);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition) << w.status().ToString();
  EXPECT_NE(w.status().message().find("9999999999"), std::string::npos);
  // Nothing was created that readers would not list.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(name.rfind("10000000000", 0), 0u) << name;
  }
}

TEST_F(HostileManifestTest, ForeignSegmentFileWithAnOldIndexIsRefused) {
  // A second file with the index of an existing entry (a different date).
  const std::string foreign = Name(1).substr(0, 11) + "2030-01-01.audit";
  fs::copy_file(dir_.path() / Name(1), dir_.path() / foreign);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  EXPECT_NE(w.status().message().find(foreign), std::string::npos) << w.status().message();
}

TEST_F(HostileManifestTest, ListingKeepsBothFilesOfOneIndexInNameOrder) {
  const std::string other = Name(1).substr(0, 11) + "2030-01-01.audit";
  fs::copy_file(dir_.path() / Name(1), dir_.path() / other);
  WriteFile(dir_.path() / "0000000001-2026-02-30.audit", "not a segment\n");  // no such date
  ASSERT_OK_AND_ASSIGN(auto segments, ListLogSegments(Env::Default(), dir_.path()));
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_EQ(segments[1].name, Name(1));
  EXPECT_EQ(segments[2].name, other);
}

// ---- Case 18: seq never wraps; the manifest's claims are checked against the files.

TEST(HostileSeqTest, LastRecordAtTheLargestSeqRefusesToOpen) {
  ScratchDir dir;
  EncodedEvent e;
  ASSERT_OK(EncodeEvent(TaskCompleted{.task_id = "t", .worker_id = "w"}, EncodeOptions{}, &e));
  std::string line;
  char hash[64];
  FrameRecord(kU64Max, 1795741062123456, "svc", false, e.body, kGenesisHash, &line, hash);
  WriteFile(dir.path() / "0000000001-2026-11-27.audit", line);
  RecordWriter::Options o;
  o.env = Env::Default();
  o.dir = dir.path();
  o.service_id = "svc";
  auto w = RecordWriter::Open(o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition) << w.status().ToString();
  EXPECT_NE(w.status().message().find("reusing seq"), std::string::npos);
}

TEST_F(HostileManifestTest, DeletedAnchorAtTheLargestSeqRefusesToOpen) {
  // All segments deleted; the last one's entry claims the largest seq.
  for (int i = 0; i < 3; ++i) {
    manifest_["segments"][i]["state"] = "deleted";
    fs::remove(dir_.path() / Name(i));
    fs::remove(dir_.path() / (Name(i) + ".sha256"));
  }
  manifest_["segments"][2]["last_seq"] = kU64Max;
  Save(manifest_);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition) << w.status().ToString();
}

TEST_F(HostileManifestTest, ManifestEndThatTheFilesDoNotConfirmIsRefused) {
  // The newest closed segment's entry claims records (and a hash) its file does not hold.
  manifest_["segments"][2]["last_seq"] = 100;
  manifest_["segments"][2]["last_hash"] = std::string(64, 'b');
  Save(manifest_);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  EXPECT_NE(w.status().message().find(Name(2)), std::string::npos) << w.status().message();
}

TEST_F(HostileManifestTest, ForgedLastHashOfTheNewestSegmentIsRefused) {
  manifest_["segments"][2]["last_hash"] = std::string(64, 'c');
  Save(manifest_);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
}

TEST_F(HostileManifestTest, ClosedEntryWhoseFileIsGoneIsRefusedAsAnAnchor) {
  fs::remove(dir_.path() / Name(2));
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  EXPECT_NE(w.status().message().find("missing"), std::string::npos) << w.status().message();
}

TEST_F(HostileManifestTest, ArchivedAnchorIsCheckedAgainstTheArchive) {
  // Archive every closed segment and write nothing after: the newest record is in an archive.
  {
    ASSERT_OK_AND_ASSIGN(auto w, OpenWriter());
    std::vector<internal::LibraryEvent> records;
    const RetentionPolicy keep_all_archive_now{
        .min_retention_days = 2555, .archive_after_days = 0, .delete_after_days = 2555};
    ASSERT_OK(w->ApplyRetention(keep_all_archive_now, Env::Default()->NowMicros() + 86400000000LL,
                                &records));
    ASSERT_EQ(records.size(), 3u);
    ASSERT_OK(w->Close());  // the records are dropped: the new segment stays empty
  }
  ASSERT_FALSE(fs::exists(dir_.path() / Name(2)));
  {
    ASSERT_OK_AND_ASSIGN(auto w, OpenWriter());  // unchanged: continues after seq 9
    EXPECT_EQ(w->next_seq(), 10u);
    ASSERT_OK(w->Close());
  }
  json m = json::parse(ReadFile(ManifestPath()));
  m["segments"][2]["last_seq"] = 12;  // claims 3 more records than the archive holds
  Save(m);
  auto w = OpenWriter();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  EXPECT_NE(w.status().message().find(".zst"), std::string::npos) << w.status().message();
}

TEST_F(HostileManifestTest, CleanLogStillReopensAndContinues) {
  ASSERT_OK_AND_ASSIGN(auto w, OpenWriter());
  EXPECT_EQ(w->next_seq(), 10u);
  ASSERT_OK(w->Close());
  auto report = Verify(dir_.path());
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->intact()) << Describe(*report);
}

}  // namespace
}  // namespace auditlog::internal
