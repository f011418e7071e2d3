// The auditlogd executable and `auditlog emit`, as separate processes: SIGTERM answers every
// request read and exits 0; SIGKILL while clients wait for durable acknowledgements loses
// none of the acknowledged events, and a restart (replacing the stale socket file) leaves a
// log that verifies; a second daemon refuses a live socket; `auditlog emit` prints seqs and
// reports refusals, and its records carry its identity.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlogd_harness.h"
#include "cli_runner.h"
#include "daemon_process.h"
#include "test_util.h"

namespace auditlogd {
namespace {

using namespace std::chrono_literals;
using auditlog::testing::DaemonProcess;
using auditlog::testing::RunCli;
using auditlog::testing::ScratchDir;
using testing::ReadResponse;
using testing::RequestLine;

struct Paths {
  ScratchDir scratch;
  std::string dir = (scratch.path() / "log").string();
  std::string socket = (scratch.path() / "d.sock").string();

  std::vector<std::string> Args(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args = {"--dir", dir, "--socket", socket, "--service-id", "svc"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
};

std::map<std::uint64_t, auditlog::Record> ReadLog(const std::string& dir) {
  std::map<std::uint64_t, auditlog::Record> out;
  auto cursor = auditlog::QueryCursor::Open(dir, {});
  EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
  if (!cursor.ok()) return out;
  auditlog::Record r;
  while (true) {
    auto more = (*cursor)->Next(&r);
    if (!more.ok() || !*more) break;
    out[r.seq] = r;
  }
  return out;
}

void ExpectIntact(const std::string& dir) {
  auto report = auditlog::Verify(dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->intact()) << report->findings.size() << " findings";
}

TEST(AuditlogdProcessTest, SigtermAnswersEveryRequestReadAndExitsZero) {
  Paths p;
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.Start(AUDITLOGD_PATH, p.Args())) << daemon.stderr_text();
  auto client = Client::Connect(p.socket);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::string burst;
  for (int i = 0; i < 5000; ++i)
    burst += RequestLine(R"({"event_type":"job","n":1})", std::to_string(i), i % 4 == 0);
  std::thread sender([&] { client->Send(burst).IgnoreError(); });  // may be cut off by the stop
  const auto first = ReadResponse(*client);
  ASSERT_EQ(first["id"], 0);
  daemon.Signal(SIGTERM);
  std::vector<std::uint64_t> acked = {first["seq"].get<std::uint64_t>()};
  for (int i = 1;; ++i) {
    auto line = client->ReadLine(30s);
    if (!line.ok()) break;  // the daemon closed the connection after its last answer
    const auto r = nlohmann::json::parse(*line);
    ASSERT_EQ(r["id"], i) << *line;
    ASSERT_TRUE(r.contains("seq")) << *line;
    acked.push_back(r["seq"].get<std::uint64_t>());
  }
  sender.join();
  EXPECT_EQ(daemon.Wait(), 0) << daemon.stderr_text();
  EXPECT_NE(daemon.stderr_text().find("auditlogd: stopped"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(p.socket));
  const auto records = ReadLog(p.dir);
  for (std::uint64_t seq : acked) EXPECT_TRUE(records.count(seq)) << seq;
  ExpectIntact(p.dir);
}

TEST(AuditlogdProcessTest, SigkillLosesNoAcknowledgedDurableEventAndARestartVerifies) {
  Paths p;
  auto daemon = std::make_unique<DaemonProcess>();
  ASSERT_TRUE(daemon->Start(AUDITLOGD_PATH, p.Args({"--flush-mode", "batched"})))
      << daemon->stderr_text();
  std::mutex mu;
  std::map<std::uint64_t, std::string> acked;  // seq -> the event sent
  std::atomic<int> total{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      auto client = Client::Connect(p.socket);
      if (!client.ok()) return;
      for (int i = 0;; ++i) {
        const std::string event = R"({"event_type":"durable_job","client":)" + std::to_string(c) +
                                  ",\"n\":" + std::to_string(i) + "}";
        auto reply = client->Emit(event, /*durable=*/true, false);
        if (!reply.ok()) return;  // the daemon was killed
        EXPECT_TRUE(reply->durable);
        std::lock_guard<std::mutex> lock(mu);
        acked[reply->seq] = event;
        ++total;
      }
    });
  }
  ASSERT_TRUE(testing::Eventually([&] { return total.load() >= 200; }));
  daemon->Signal(SIGKILL);
  for (auto& t : clients) t.join();
  EXPECT_EQ(daemon->Wait(), -1);
  ASSERT_TRUE(std::filesystem::exists(p.socket));  // stale: nobody listens on it any more

  daemon = std::make_unique<DaemonProcess>();
  ASSERT_TRUE(daemon->Start(AUDITLOGD_PATH, p.Args())) << daemon->stderr_text();
  daemon->Signal(SIGTERM);
  ASSERT_EQ(daemon->Wait(), 0) << daemon->stderr_text();
  const auto records = ReadLog(p.dir);
  for (const auto& [seq, event] : acked) {
    ASSERT_TRUE(records.count(seq)) << "acknowledged seq " << seq << " is not in the log";
    EXPECT_EQ(records.at(seq).event_json, event);
  }
  ExpectIntact(p.dir);
}

TEST(AuditlogdProcessTest, ASecondDaemonRefusesALiveSocket) {
  Paths p;
  DaemonProcess first;
  ASSERT_TRUE(first.Start(AUDITLOGD_PATH, p.Args())) << first.stderr_text();
  ScratchDir other;
  const auto r = RunCli(AUDITLOGD_PATH, {"--dir", (other.path() / "log").string(), "--socket",
                                         p.socket, "--service-id", "svc"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a daemon is already listening on"), std::string::npos) << r.err;
  auto client = Client::Connect(p.socket);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->Emit(R"({"event_type":"ping"})", false, false).ok());
  first.Signal(SIGINT);
  EXPECT_EQ(first.Wait(), 0) << first.stderr_text();
}

TEST(AuditlogdProcessTest, UsageErrorsExitTwo) {
  Paths p;
  auto r = RunCli(AUDITLOGD_PATH, p.Args({"--flush-mode", "sometimes"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--flush-mode"), std::string::npos) << r.err;
  r = RunCli(AUDITLOGD_PATH, p.Args({"--socket-mode", "999"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--socket-mode"), std::string::npos) << r.err;
  r = RunCli(AUDITLOGD_PATH, {"--dir", p.dir});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(AuditlogdProcessTest, EmitCommandPrintsTheSeqAndReportsRefusals) {
  Paths p;
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.Start(AUDITLOGD_PATH, p.Args({"--socket-mode", "0600"})))
      << daemon.stderr_text();
  EXPECT_EQ(std::filesystem::status(p.socket).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto r = RunCli(AUDITLOG_CLI_PATH, {"emit", "--socket", p.socket, "--durable", "--json",
                                      R"({"event_type":"backup_done","bytes":12})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t seq = std::stoull(r.out);
  r = RunCli(AUDITLOG_CLI_PATH, {"emit", "--socket", p.socket, "--json",
                                 R"({"event_type":"auth_failure","ip":"not-an-ip"})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
  r = RunCli(AUDITLOG_CLI_PATH, {"emit", "--socket", p.socket + ".none", "--json", "{}"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("connect"), std::string::npos) << r.err;

  // The record carries the identity of the `auditlog emit` process, not of this test.
  const auto records = ReadLog(p.dir);
  ASSERT_TRUE(records.count(seq));
  const auto origin = nlohmann::json::parse(records.at(seq).line)["origin"];
  EXPECT_EQ(origin["uid"], ::getuid());
  EXPECT_EQ(origin["gid"], ::getgid());
  EXPECT_NE(origin["pid"], ::getpid());
  EXPECT_EQ(origin["exe"], std::filesystem::canonical(std::string(AUDITLOG_CLI_PATH)).string());
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(), 0) << daemon.stderr_text();
}

}  // namespace
}  // namespace auditlogd
