// The proof commands end to end through the `auditlog` binary: checkpoint, prove (--seq,
// --consistency), verify-proof and consistency, with their exit codes (0 proven, 1 not,
// 2 usage) on good and tampered input.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/seal.h"
#include "cli_runner.h"
#include "support/engine_util.h"
#include "support/test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::RunCli;
using testing::ScratchDir;

class CliProveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(AUDITLOG_CLI_PATH).empty()) GTEST_SKIP() << "CLI not built";
    SealInitOptions options;
    options.interval = std::chrono::milliseconds(100);
    auto init = InitSealing(log_dir(), options);
    ASSERT_OK(init.status());
    key_ = init->checkpoint_key;
  }
  fs::path log_dir() const { return dir_.path() / "log"; }
  std::string Path(const char* name) const { return (dir_.path() / name).string(); }
  void Log(int from, int count) {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{log_dir()};
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(logger->Emit(testing::NumberedEvent(0, from + i)).status());
    }
    ASSERT_OK(logger->Shutdown());
  }
  CliResult Run(const std::vector<std::string>& args) { return RunCli(AUDITLOG_CLI_PATH, args); }

  ScratchDir dir_;
  std::string key_;
};

TEST_F(CliProveTest, ProveAndVerifyARecord) {
  Log(1, 100);
  CliResult r = Run({"prove", log_dir().string(), "--seq", "42", "--out", Path("p.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"verify-proof", Path("p.json"), "--checkpoint-key", key_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PROVEN: record seq 42"), std::string::npos) << r.out;

  // To stdout, the same proof.
  r = Run({"prove", log_dir().string(), "--seq", "42"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, testing::ReadFile(Path("p.json")));

  // One changed byte of the record line: exit 1 with a one-line reason.
  std::string proof = r.out;
  const std::size_t at = proof.find("svc-42");
  ASSERT_NE(at, std::string::npos);
  proof[at] = 'S';
  testing::WriteFile(Path("bad.json"), proof);
  r = Run({"verify-proof", Path("bad.json"), "--checkpoint-key", key_});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("NOT PROVEN"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;

  // Garbage, a missing file, a malformed key.
  testing::WriteFile(Path("junk.json"), "\x01\x02{");
  EXPECT_EQ(Run({"verify-proof", Path("junk.json"), "--checkpoint-key", key_}).exit_code, 1);
  EXPECT_EQ(Run({"verify-proof", Path("none.json"), "--checkpoint-key", key_}).exit_code, 2);
  EXPECT_EQ(Run({"verify-proof", Path("p.json"), "--checkpoint-key", "x+y+z"}).exit_code, 2);
  // A record not covered by a checkpoint; no seq at all.
  EXPECT_EQ(Run({"prove", log_dir().string(), "--seq", "100000"}).exit_code, 2);
  EXPECT_EQ(Run({"prove", log_dir().string()}).exit_code, 2);
}

TEST_F(CliProveTest, CheckpointAndConsistency) {
  Log(1, 20);
  CliResult r = Run({"checkpoint", log_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::WriteFile(Path("old.cp"), r.out);
  EXPECT_EQ(r.out.rfind("auditlog/", 0), 0u) << r.out;
  Log(21, 300);
  r = Run({"checkpoint", log_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::WriteFile(Path("new.cp"), r.out);

  r = Run({"consistency", Path("old.cp"), Path("new.cp"), "--checkpoint-key", key_, "--dir",
           log_dir().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Offline: the proof made first, checked without the log.
  const std::string old_size = testing::ReadLines(Path("old.cp"))[1];
  r = Run({"prove", log_dir().string(), "--consistency", old_size, "--out", Path("c.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"consistency", Path("old.cp"), Path("new.cp"), "--checkpoint-key", key_, "--proof",
           Path("c.json")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Swapped, and a checkpoint whose root was changed (its signature fails).
  r = Run({"consistency", Path("new.cp"), Path("old.cp"), "--checkpoint-key", key_, "--dir",
           log_dir().string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::string forged = testing::ReadFile(Path("new.cp"));
  const std::size_t root = forged.find('\n', forged.find('\n') + 1) + 1;
  forged[root] = forged[root] == 'A' ? 'B' : 'A';
  testing::WriteFile(Path("forged.cp"), forged);
  r = Run({"consistency", Path("old.cp"), Path("forged.cp"), "--checkpoint-key", key_, "--proof",
           Path("c.json")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // No proof source.
  EXPECT_EQ(
      Run({"consistency", Path("old.cp"), Path("new.cp"), "--checkpoint-key", key_}).exit_code, 2);
  // An unsealed directory has no checkpoint.
  ScratchDir plain;
  EXPECT_EQ(Run({"checkpoint", plain.path().string()}).exit_code, 2);
}

}  // namespace
}  // namespace auditlog
