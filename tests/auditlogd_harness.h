// An in-process auditlogd for the daemon's suites: a Logger in a scratch directory, a Server
// on a socket beside it, its event loop on a thread of its own, and helpers to talk to it
// and to read back what it logged. Tests use the real socket and the real protocol.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "client.h"
#include "server.h"
#include "test_util.h"

namespace auditlogd::testing {

class InProcessDaemon {
 public:
  // The logger settings auditlogd uses by default (daemon/main.cc): a queue with room for
  // bursts of pipelined requests.
  static auditlog::Config DaemonConfig() {
    auditlog::Config config;
    config.queue_capacity_events = 65536;
    config.queue_capacity_bytes = std::size_t{64} << 20;
    return config;
  }

  // Opens the logger (`config` with its service id, when empty, and mode set here) and the
  // server, and starts the loop. Check ok() before use.
  explicit InProcessDaemon(ServerOptions options = {}, auditlog::Config config = DaemonConfig()) {
    config.service_id = config.service_id.empty() ? "daemon-test" : config.service_id;
    config.mode = auditlog::LocalMode{log_dir()};
    auto logger = auditlog::Logger::Open(config);
    if (!logger.ok()) {
      error_ = logger.status().ToString();
      return;
    }
    logger_ = std::move(*logger);
    options.listen.path = socket_path();
    auto server = Server::Open(logger_.get(), options);
    if (!server.ok()) {
      error_ = server.status().ToString();
      return;
    }
    server_ = std::move(*server);
    loop_ = std::thread([this] { run_status_ = server_->Run(); });
  }

  ~InProcessDaemon() {
    Stop().IgnoreError();                            // the tests that care check Stop() themselves
    if (logger_) logger_->Shutdown().IgnoreError();  // a test that broke it already failed
  }

  bool ok() const { return server_ != nullptr; }
  const std::string& error() const { return error_; }
  std::string log_dir() const { return (dir_.path() / "log").string(); }
  std::string socket_path() const { return (dir_.path() / "d.sock").string(); }
  auditlog::Logger& logger() { return *logger_; }
  Server& server() { return *server_; }

  // Stops the loop (it answers what it read) and waits for it; idempotent.
  auditlog::Status Stop() {
    if (loop_.joinable()) {
      server_->RequestStop();
      loop_.join();
    }
    return run_status_;
  }

  Client Connect() {
    auto client = Client::Connect(socket_path());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(*client);
  }

  // Every record of the log by seq, after making everything emitted so far durable.
  std::map<std::uint64_t, auditlog::Record> Records() {
    std::map<std::uint64_t, auditlog::Record> out;
    EXPECT_TRUE(logger_->Flush().ok());
    auto cursor = auditlog::QueryCursor::Open(log_dir(), {});
    EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
    if (!cursor.ok()) return out;
    auditlog::Record r;
    for (;;) {
      auto more = (*cursor)->Next(&r);
      EXPECT_TRUE(more.ok());
      if (!more.ok() || !*more) break;
      out[r.seq] = r;
    }
    return out;
  }

 private:
  auditlog::testing::ScratchDir dir_;
  std::unique_ptr<auditlog::Logger> logger_;
  std::unique_ptr<Server> server_;
  std::thread loop_;
  auditlog::Status run_status_;
  std::string error_;
};

// One request line for `event_json` with the given id (JSON text) and durability.
inline std::string RequestLine(const std::string& event_json, const std::string& id = "null",
                               bool durable = false) {
  return "{\"event\":" + event_json + ",\"id\":" + id + (durable ? ",\"durable\":true}\n" : "}\n");
}

inline nlohmann::json ReadResponse(Client& client) {
  auto line = client.ReadLine(std::chrono::seconds(30));
  EXPECT_TRUE(line.ok()) << line.status().ToString();
  if (!line.ok()) return nullptr;
  return nlohmann::json::parse(*line);
}

// True once the server's connection reaches EOF (the daemon closed it), reading and
// discarding whatever responses come first, within `timeout`.
inline bool ClosedByDaemon(Client& client, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = client.ReadLine(std::chrono::milliseconds(100));
    if (!line.ok() && line.status().code() == auditlog::StatusCode::kIOError) return true;
  }
  return false;
}

// Polls `condition` until it holds or `timeout` passes; a deadline only turns a hang into a
// failure, the test waits for the state itself.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace auditlogd::testing
