// auditlogd end to end over its socket, with the server in-process: every built-in event
// type round-trips into the log, hostile strings are neutralized (not refused), custom events
// take the request's criticality, pipelined responses come in request order with their ids
// echoed, records carry the peer's kernel-attested identity, and concurrent clients (TSan)
// all get their answers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlogd_harness.h"
#include "event_samples.h"
#include "format/event_codec.h"
#include "format/field_traits.h"

namespace auditlogd {
namespace {

using auditlog::Event;
using testing::InProcessDaemon;
using testing::ReadResponse;
using testing::RequestLine;

using auditlog::internal::HasFields;

// The JSON text of the record's "event" member for `event`.
std::string EventText(const Event& event) {
  auditlog::internal::EncodedEvent encoded;
  EXPECT_TRUE(auditlog::internal::EncodeEvent(event, {}, &encoded).ok());
  // Only the event member: a sample the encoder had to cut (a field over its limit) is sent
  // as cut, so that the record's event is exactly what was sent.
  const std::string_view body(encoded.body);
  const std::size_t start = std::string_view("\"event\":").size();
  const std::size_t end = body.find(",\"sanitized\":");
  return std::string(body.substr(start, end == std::string_view::npos ? end : end - start));
}

template <std::size_t I = 0>
void AddSamples(bool with_optionals, std::vector<std::string>* out) {
  if constexpr (I < std::variant_size_v<Event>) {
    using T = std::variant_alternative_t<I, Event>;
    if constexpr (HasFields<T>::value) {
      T sample{};
      auditlog::testing::SampleFiller(with_optionals).Fill(&sample);
      out->push_back(EventText(sample));
    }
    AddSamples<I + 1>(with_optionals, out);
  }
}

TEST(AuditlogdServerTest, EveryBuiltinTypeRoundTripsIntoTheLog) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  std::vector<std::string> samples;
  AddSamples(true, &samples);
  AddSamples(false, &samples);
  ASSERT_EQ(samples.size(), 70u);
  Client client = daemon.Connect();
  std::string pipelined;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    pipelined += RequestLine(samples[i], std::to_string(i));
  }
  ASSERT_TRUE(client.Send(pipelined).ok());
  std::vector<std::uint64_t> seqs;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto response = ReadResponse(client);
    ASSERT_EQ(response["id"], i) << response.dump();
    ASSERT_TRUE(response.contains("seq")) << samples[i] << " -> " << response.dump();
    seqs.push_back(response["seq"].get<std::uint64_t>());
  }
  const auto records = daemon.Records();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ASSERT_TRUE(records.count(seqs[i])) << seqs[i];
    EXPECT_EQ(records.at(seqs[i]).event_json, samples[i]);
    EXPECT_FALSE(records.at(seqs[i]).sanitized());
  }
}

TEST(AuditlogdServerTest, HostileStringsAreNeutralizedAndRecordedNotRefused) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const std::string event =
      R"({"event_type":"auth_failure","attempted_user":"eve\u001b[2J\n{\"x\":1}","reason":"bad","ip":"203.0.113.7"})";
  ASSERT_TRUE(client.Send(RequestLine(event)).ok());
  const auto response = ReadResponse(client);
  ASSERT_TRUE(response.contains("seq")) << response.dump();
  const auto record = daemon.Records().at(response["seq"].get<std::uint64_t>());
  EXPECT_TRUE(record.sanitized());
  EXPECT_NE(record.event_json.find("eve<U+001B>[2J<U+000A>"), std::string::npos)
      << record.event_json;
  EXPECT_TRUE(record.critical);
}

TEST(AuditlogdServerTest, CustomEventsTakeTheRequestsCriticality) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const std::string custom = R"({"event_type":"backup_done","bytes":-5,"ok":true,"tags":["a"]})";
  ASSERT_TRUE(client
                  .Send("{\"event\":" + custom + ",\"critical\":true}\n" + RequestLine(custom) +
                        "{\"event\":" + custom + ",\"critical\":false}\n")
                  .ok());
  const auto critical = ReadResponse(client), plain = ReadResponse(client),
             routine = ReadResponse(client);
  const auto records = daemon.Records();
  EXPECT_TRUE(records.at(critical["seq"].get<std::uint64_t>()).critical);
  EXPECT_FALSE(records.at(plain["seq"].get<std::uint64_t>()).critical);
  EXPECT_FALSE(records.at(routine["seq"].get<std::uint64_t>()).critical);
  EXPECT_EQ(records.at(plain["seq"].get<std::uint64_t>()).event_json, custom);
}

TEST(AuditlogdServerTest, CriticalMustAgreeWithABuiltinType) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const std::string failure = R"({"event_type":"auth_failure","attempted_user":"m","reason":"r",)"
                              R"("ip":"192.0.2.1"})";
  ASSERT_TRUE(client
                  .Send("{\"event\":" + failure + ",\"critical\":true,\"id\":1}\n" +
                        "{\"event\":" + failure + ",\"critical\":false,\"id\":2}\n")
                  .ok());
  const auto accepted = ReadResponse(client);
  EXPECT_TRUE(accepted.contains("seq")) << accepted.dump();
  const auto refused = ReadResponse(client);
  EXPECT_EQ(refused["id"], 2);
  EXPECT_EQ(refused["error"]["code"], "invalid_argument");
  EXPECT_EQ(refused["error"]["message"],
            "critical: false contradicts auth_failure, a built-in type that is always critical "
            "(critical applies to custom events)");
}

TEST(AuditlogdServerTest, PipelinedResponsesComeInRequestOrder) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  constexpr int kRequests = 3000;
  std::string pipelined;
  for (int i = 0; i < kRequests; ++i) {
    const std::string event = i % 7 == 3 ? R"({"event_type":"Not Snake"})"
                                         : R"({"event_type":"step","n":)" + std::to_string(i) + "}";
    pipelined += RequestLine(event, std::to_string(i), /*durable=*/i % 5 == 0);
  }
  std::thread sender([&] { EXPECT_TRUE(client.Send(pipelined).ok()); });
  std::vector<nlohmann::json> responses;
  for (int i = 0; i < kRequests; ++i) responses.push_back(ReadResponse(client));
  sender.join();
  std::uint64_t last_seq = 0;
  for (int i = 0; i < kRequests; ++i) {
    const auto& response = responses[i];
    ASSERT_EQ(response["id"], i) << response.dump();
    if (i % 7 == 3) {
      EXPECT_EQ(response["error"]["code"], "invalid_argument") << response.dump();
      continue;
    }
    ASSERT_TRUE(response.contains("seq")) << response.dump();
    const auto seq = response["seq"].get<std::uint64_t>();
    EXPECT_GT(seq, last_seq);
    last_seq = seq;
    EXPECT_EQ(response["durable"], i % 5 == 0);
  }
  EXPECT_GE(daemon.server().GetStats().group_commits, 1u);
}

TEST(AuditlogdServerTest, EchoesAnyIdVerbatim) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  const std::string event = R"({"event_type":"ping"})";
  for (const std::string id :
       {"0", R"("req-7")", "null", "true", R"({"trace":[1,"a",{}]})", "-1.25e-3", "[]"}) {
    ASSERT_TRUE(client.Send(RequestLine(event, id)).ok());
    auto line = client.ReadLine();
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(line->rfind("{\"id\":" + id + ",\"seq\":", 0), 0u) << *line;
  }
  ASSERT_TRUE(client.Send("{\"event\":" + event + "}\n").ok());
  EXPECT_TRUE(ReadResponse(client)["id"].is_null());
}

TEST(AuditlogdServerTest, RecordsCarryThePeersKernelAttestedIdentity) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  ASSERT_TRUE(client.Send(RequestLine(R"({"event_type":"whoami"})")).ok());
  const auto response = ReadResponse(client);
  ASSERT_TRUE(response.contains("seq")) << response.dump();
  const auto record = daemon.Records().at(response["seq"].get<std::uint64_t>());
  const auto line = nlohmann::json::parse(record.line);
  ASSERT_TRUE(line.contains("origin")) << record.line;
  const auto& origin = line["origin"];
  EXPECT_EQ(origin["uid"], ::getuid());
  EXPECT_EQ(origin["gid"], ::getgid());
  EXPECT_EQ(origin["pid"], ::getpid());
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe);
  ASSERT_GT(n, 0);
  EXPECT_EQ(origin["exe"], std::string(exe, static_cast<std::size_t>(n)));
}

TEST(AuditlogdServerTest, ARequestCannotSetTheOrigin) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  Client client = daemon.Connect();
  ASSERT_TRUE(client
                  .Send(R"({"event":{"event_type":"x"},"id":9,"origin":{"uid":0,"gid":0,)"
                        R"("pid":1,"exe":"/sbin/init"}})"
                        "\n")
                  .ok());
  const auto response = ReadResponse(client);
  EXPECT_EQ(response["id"], 9);
  EXPECT_EQ(response["error"]["code"], "invalid_argument");
  EXPECT_NE(response["error"]["message"].get<std::string>().find("\"origin\""), std::string::npos);
  // Nothing was logged for it (the daemon's own records aside, the log has no "x").
  for (const auto& [seq, record] : daemon.Records()) EXPECT_NE(record.event_type, "x");
}

TEST(AuditlogdServerTest, ConcurrentClientsAllGetTheirAnswersInOrder) {
  InProcessDaemon daemon;
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  constexpr int kClients = 8;
  const int per_client = auditlog::testing::kSanitizedBuild ? 100 : 400;
  std::vector<std::vector<std::uint64_t>> seqs(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client client = daemon.Connect();
      // Pipelines in windows of 8; one request in 10 is durable.
      for (int start = 0; start < per_client; start += 8) {
        const int end = std::min(start + 8, per_client);
        std::string window;
        for (int i = start; i < end; ++i) {
          window += RequestLine(R"({"event_type":"work","client":)" + std::to_string(c) + "}",
                                std::to_string(i), i % 10 == 0);
        }
        EXPECT_TRUE(client.Send(window).ok());
        for (int i = start; i < end; ++i) {
          const auto response = ReadResponse(client);
          EXPECT_EQ(response["id"], i);
          seqs[c].push_back(response.value("seq", std::uint64_t{0}));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::uint64_t> all;
  for (const auto& s : seqs) {
    EXPECT_EQ(s.size(), static_cast<std::size_t>(per_client));
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kClients * per_client));
  EXPECT_EQ(all.count(0), 0u);
  ASSERT_TRUE(daemon.Stop().ok());
  ASSERT_TRUE(daemon.logger().Shutdown().ok());
  auto report = auditlog::Verify(daemon.log_dir());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact());
}

}  // namespace
}  // namespace auditlogd
