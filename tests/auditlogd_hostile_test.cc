// auditlogd against hostile and broken clients, and the library's refusals over the socket:
// each is bounded, answered where a response is possible and closed where not, and the
// daemon keeps serving everyone else. Timeouts and limits are set small so that each test
// takes well under a second of waiting; tests wait for states, never for guessed times.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlogd_harness.h"
#include "fault_env.h"

namespace auditlogd {
namespace {

using namespace std::chrono_literals;
using testing::ClosedByDaemon;
using testing::Eventually;
using testing::InProcessDaemon;
using testing::ReadResponse;
using testing::RequestLine;

const std::string kPing = R"({"event_type":"ping"})";

// A client that is not hostile gets its answer: the daemon still serves.
void ExpectServed(InProcessDaemon& daemon) {
  Client client = daemon.Connect();
  ASSERT_TRUE(client.Send(RequestLine(kPing, "\"still-served\"")).ok());
  const auto response = ReadResponse(client);
  EXPECT_EQ(response["id"], "still-served");
  EXPECT_TRUE(response.contains("seq")) << response.dump();
}

TEST(AuditlogdHostileTest, InvalidJsonAndUtf8AreAnsweredAndTheConnectionGoesOn) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  ASSERT_TRUE(client
                  .Send("not json\n{\"event\":{\"event_type\":\"x\",\"u\":\"\xc3\x28\"}}\n"
                        "{\"id\":5,\"event\":{\"event_type\":\"x\",\"a\":tru}}\n" +
                        RequestLine(kPing, "6"))
                  .ok());
  auto r = ReadResponse(client);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(r["error"]["code"], "invalid_argument");
  EXPECT_EQ(r["error"]["message"].get<std::string>().rfind("request: not valid JSON", 0), 0u);
  r = ReadResponse(client);
  EXPECT_EQ(r["error"]["message"], "request: not valid UTF-8");
  r = ReadResponse(client);
  EXPECT_EQ(r["id"], 5);
  EXPECT_EQ(r["error"]["message"].get<std::string>().rfind("event: not valid JSON", 0), 0u);
  r = ReadResponse(client);
  EXPECT_EQ(r["id"], 6);
  EXPECT_TRUE(r.contains("seq"));
}

TEST(AuditlogdHostileTest, DeepNestingIsRefusedNamingTheLimit) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  ASSERT_TRUE(client
                  .Send(RequestLine(R"({"event_type":"x","a":)" + deep + "}", "1") +
                        "{\"id\":" + deep + ",\"event\":" + kPing + "}\n")
                  .ok());
  auto r = ReadResponse(client);
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["error"]["message"], "event: nested deeper than 65 levels");
  r = ReadResponse(client);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(r["error"]["message"], "id: nested deeper than 16 levels");
  ExpectServed(daemon);
}

TEST(AuditlogdHostileTest, ALineOverTheLimitIsAnsweredThenClosed) {
  ServerOptions options;
  options.max_line_bytes = 4096;
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  ASSERT_TRUE(client.Send(RequestLine(kPing, "1")).ok());
  // The over-long line never ends: the daemon must not wait for its '\n'.
  ASSERT_TRUE(client.Send(std::string(20000, 'A')).ok());
  EXPECT_EQ(ReadResponse(client)["id"], 1);
  const auto r = ReadResponse(client);
  EXPECT_EQ(r["error"]["code"], "invalid_argument");
  EXPECT_EQ(r["error"]["message"], "request: line longer than 4096 bytes; closing the connection");
  EXPECT_TRUE(ClosedByDaemon(client, 10s));
  EXPECT_EQ(daemon.server().GetStats().closed_line_too_long, 1u);
  ExpectServed(daemon);
}

TEST(AuditlogdHostileTest, ALineNotFinishedInTimeIsAnsweredThenClosed) {
  ServerOptions options;
  options.line_timeout = 200ms;
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client slow = daemon.Connect();
  ASSERT_TRUE(slow.Send(R"({"event":{"event_type":"sl)").ok());
  ExpectServed(daemon);  // while the slow line is pending
  const auto r = ReadResponse(slow);
  EXPECT_EQ(r["error"]["code"], "timeout");
  EXPECT_EQ(r["error"]["message"],
            "request: line not finished within 200 ms; closing the connection");
  EXPECT_TRUE(ClosedByDaemon(slow, 10s));
  EXPECT_EQ(daemon.server().GetStats().closed_line_timeout, 1u);
}

TEST(AuditlogdHostileTest, IdleConnectionsAreClosed) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client idle = daemon.Connect();
  EXPECT_TRUE(ClosedByDaemon(idle, 10s));
  EXPECT_GE(daemon.server().GetStats().closed_idle, 1u);
}

TEST(AuditlogdHostileTest, ConnectionsBeyondTheLimitAreRefusedWithOneLine) {
  ServerOptions options;
  options.max_connections = 100;
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client first = daemon.Connect();
  ASSERT_TRUE(Eventually([&] { return daemon.server().GetStats().connections_open == 1; }));
  std::vector<Client> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(daemon.Connect());
  int refused = 0;
  ASSERT_TRUE(
      Eventually([&] { return daemon.server().GetStats().refused_connection_limit == 901; }));
  for (Client& c : idle) {
    // A refused connection has its line (sent before the counter moved), then EOF; a kept
    // one has nothing to read.
    auto line = c.ReadLine(1ms);
    if (!line.ok()) continue;
    const auto r = nlohmann::json::parse(*line);
    EXPECT_EQ(r["error"]["code"], "failed_precondition");
    EXPECT_EQ(r["error"]["message"],
              "too many connections: the daemon serves at most 100 at a time");
    EXPECT_TRUE(ClosedByDaemon(c, 10s));
    ++refused;
  }
  EXPECT_EQ(refused, 901);
  // The connections kept are served, and closing some makes room for new ones.
  ASSERT_TRUE(first.Send(RequestLine(kPing, "1")).ok());
  EXPECT_TRUE(ReadResponse(first).contains("seq"));
  idle.clear();
  ASSERT_TRUE(Eventually([&] { return daemon.server().GetStats().connections_open == 1; }));
  ExpectServed(daemon);
}

TEST(AuditlogdHostileTest, AClientThatNeverReadsIsBoundedThenClosed) {
  ServerOptions options;
  options.max_pending_output_bytes = 64 << 10;
  options.idle_timeout = 500ms;
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client greedy = daemon.Connect();
  // Requests whose responses are larger than they are (a long id), sent without reading,
  // until the daemon stops reading them and the socket buffers are full.
  const std::string id = "\"" + std::string(2000, 'i') + "\"";
  const std::string line = RequestLine(kPing, id);
  std::string burst;
  while (burst.size() < (256u << 10)) burst += line;
  std::size_t sent = 0;
  for (int stalls = 0; stalls < 20;) {
    const ssize_t n = ::send(greedy.fd(), burst.data(), burst.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      stalls = 0;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;  // closed by the daemon
      ++stalls;
      std::this_thread::sleep_for(10ms);
    }
  }
  EXPECT_GT(sent, options.max_pending_output_bytes);
  ExpectServed(daemon);  // while the greedy client's responses pile up
  // Bounded: the cap, plus the responses to one read's worth of requests.
  const std::size_t bound = options.max_pending_output_bytes +
                            (options.max_read_bytes / line.size() + 1) * (id.size() + 64);
  EXPECT_LE(daemon.server().GetStats().pending_output_high_water, bound);
  ASSERT_TRUE(Eventually([&] { return daemon.server().GetStats().closed_not_reading == 1; }));
  ExpectServed(daemon);
}

TEST(AuditlogdHostileTest, AFullQueueIsAnsweredWithBufferFull) {
  auditlog::Config config = InProcessDaemon::DaemonConfig();
  config.queue_capacity_events = 1;
  InProcessDaemon daemon({}, config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  std::string burst;
  for (int i = 0; i < 3000; ++i) burst += RequestLine(kPing, std::to_string(i));
  ASSERT_TRUE(client.Send(burst).ok());
  int full = 0;
  for (int i = 0; i < 3000; ++i) {
    const auto r = ReadResponse(client);
    ASSERT_EQ(r["id"], i);
    if (r.contains("error")) {
      EXPECT_EQ(r["error"]["code"], "buffer_full") << r.dump();
      ++full;
    }
  }
  EXPECT_GT(full, 0);
  ExpectServed(daemon);
}

TEST(AuditlogdHostileTest, AFullDiskIsAnsweredWithDiskSpaceLow) {
  auditlog::Config config = InProcessDaemon::DaemonConfig();
  config.min_free_bytes = std::uint64_t{1} << 62;  // more than any disk has
  InProcessDaemon daemon({}, config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  // The first durable request's fsync wait reports the write error; later requests are
  // refused at once. Either way the answer is disk_space_low, never silence.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.Send(RequestLine(kPing, std::to_string(i), /*durable=*/true)).ok());
    const auto r = ReadResponse(client);
    EXPECT_EQ(r["id"], i);
    EXPECT_EQ(r["error"]["code"], "disk_space_low") << r.dump();
  }
}

TEST(AuditlogdHostileTest, AFailedFsyncIsAnsweredWithItsErrorThenTheLogRefuses) {
  auditlog::testing::FaultEnv env;  // outlives the daemon's logger
  auditlog::Config config = InProcessDaemon::DaemonConfig();
  config.env = &env;
  InProcessDaemon daemon({}, config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  env.FailSync(1, auditlog::Status::IOError("injected fsync failure"));
  Client client = daemon.Connect();
  ASSERT_TRUE(client.Send(RequestLine(kPing, "1", /*durable=*/true)).ok());
  auto r = ReadResponse(client);
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["error"]["code"], "io_error") << r.dump();
  const std::string message = r["error"]["message"];
  EXPECT_NE(message.find("was queued but is not durable"), std::string::npos) << message;
  EXPECT_NE(message.find("injected fsync failure"), std::string::npos) << message;
  // After a failed fsync the logger is failed (never retried): every request is refused.
  ASSERT_TRUE(client.Send(RequestLine(kPing, "2")).ok());
  r = ReadResponse(client);
  EXPECT_EQ(r["error"]["code"], "failed_precondition") << r.dump();
}

TEST(AuditlogdHostileTest, ALoggerThatIsShutDownIsAnsweredWithFailedPrecondition) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  ASSERT_TRUE(daemon.logger().Shutdown().ok());
  Client client = daemon.Connect();
  ASSERT_TRUE(client.Send(RequestLine(kPing, "1")).ok());
  const auto r = ReadResponse(client);
  EXPECT_EQ(r["error"]["code"], "failed_precondition") << r.dump();
}

TEST(AuditlogdHostileTest, PeersOutsideTheAllowListAreRefused) {
  ServerOptions options;
  options.allow.uids = {::getuid() + 1};
  options.allow.gids = {::getgid() + 1};
  InProcessDaemon daemon(options);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const auto r = ReadResponse(client);
  EXPECT_EQ(r["error"]["code"], "failed_precondition");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("may not log here"), std::string::npos);
  EXPECT_TRUE(ClosedByDaemon(client, 10s));
  EXPECT_TRUE(Eventually([&] { return daemon.server().GetStats().refused_not_allowed == 1; }));
}

TEST(AuditlogdHostileTest, StopAnswersEveryRequestAlreadyRead) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += RequestLine(kPing, std::to_string(i), i % 3 == 0);
  ASSERT_TRUE(client.Send(burst).ok());
  ASSERT_TRUE(Eventually([&] { return daemon.server().GetStats().requests > 0; }));
  ASSERT_TRUE(daemon.Stop().ok());
  const std::uint64_t read = daemon.server().GetStats().requests;
  // Every request the daemon read is answered, in order, before the connection ends.
  for (std::uint64_t i = 0; i < read; ++i) {
    const auto r = ReadResponse(client);
    ASSERT_EQ(r["id"], i);
    EXPECT_TRUE(r.contains("seq")) << r.dump();
  }
  EXPECT_TRUE(ClosedByDaemon(client, 10s));
}

}  // namespace
}  // namespace auditlogd
