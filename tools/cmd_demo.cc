// `auditlog demo [--dir DIR] [--seconds S] [--threads N]`: a simulated service that logs a
// realistic mix of the seed's events from several threads (logins succeeding and failing,
// tasks, pool changes, a few security incidents, hostile user names), then verifies the log.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

struct DemoArgs {
  std::string dir = "/tmp/auditlog-demo";
  double seconds = 3;
  int threads = 4;
};

// What an attacker might type as a user name: terminal escapes, fake log lines, bidi tricks.
const std::vector<std::string>& HostileNames() {
  static const std::vector<std::string> kNames = {
      "mallory\x1b[2J\x1b[Hroot logged in",           // clears the screen of whoever reads it
      "eve\n{\"event_type\":\"auth_success\"}",      // tries to forge a second record
      "admin\xe2\x80\xaegnp.exe",                     // U+202E: right-to-left override
      "bob\x00hidden",                                // NUL
      "\xff\xfe not utf-8",                           // invalid UTF-8
      std::string(3000, 'A'),                         // over-long
  };
  return kNames;
}

ActorInfo User(std::mt19937_64& rng) {
  static const char* kUsers[] = {"alice", "bob", "carol", "dave", "token:a3f2c1", "svc-batch"};
  return ActorInfo{.user_id = kUsers[rng() % 6],
                   .ip = IpAddr("10.0.0." + std::to_string(1 + rng() % 200)),
                   .auth_method = AuthMethod::kBearerToken,
                   .session_id = "sess-" + std::to_string(rng() % 10000)};
}

// One simulated request's worth of audit events.
Event NextEvent(std::mt19937_64& rng, std::uint64_t n) {
  const int roll = static_cast<int>(rng() % 1000);
  const std::string id = std::to_string(n);
  if (roll < 300) {
    return AuthSuccess{.actor = User(rng), .method = AuthMethod::kBearerToken,
                       .path = "/v2/tasks", .service_id = "queen"};
  }
  if (roll < 340) {
    const auto& hostile = HostileNames();
    const bool attack = rng() % 4 == 0;
    return AuthFailure{
        .attempted_user = attack ? hostile[rng() % hostile.size()] : std::string("carol"),
        .reason = attack ? "unknown_user" : "bad_password",
        .ip = "203.0.113." + std::to_string(rng() % 255),
        .path = "/v2/login",
        .service_id = "queen"};
  }
  if (roll < 600) {
    return TaskSubmitted{.actor = User(rng), .task_id = "task-" + id, .model_ref = "llama-3-8b",
                         .prompt_length = rng() % 4000,
                         .prompt_hash = "9f86d081884c7d659a2feaa0c55ad015",
                         .max_tokens = 512};
  }
  if (roll < 850) {
    return TaskCompleted{.task_id = "task-" + id, .worker_id = "worker-" + std::to_string(rng() % 8),
                         .tokens_generated = rng() % 512, .duration_ms = rng() % 3000,
                         .result = rng() % 20 ? AuditResult::Success()
                                              : AuditResult::Failure("timeout")};
  }
  if (roll < 900) {
    return InferenceExecuted{.customer_id = "cust-" + std::to_string(rng() % 50),
                             .job_id = "job-" + id, .model_ref = "llama-3-8b",
                             .tokens_processed = rng() % 2000, .provider_id = std::nullopt,
                             .result = AuditResult::Success()};
  }
  if (roll < 940) {
    return AuthorizationGranted{.actor = User(rng),
                                .resource = {.resource_type = "pool", .resource_id = "pool-7"},
                                .action = "read"};
  }
  if (roll < 960) {
    return PoolModified{.actor = User(rng), .pool_id = "pool-7",
                        .changes = Object{{"replicas", Object{{"from", 2}, {"to", 3}}}}};
  }
  if (roll < 975) {
    return PoolCreated{.actor = User(rng), .pool_id = "pool-" + id, .model_ref = "llama-3-8b",
                       .node_id = "node-1", .replicas = 2, .gpu_devices = {0, 1}};
  }
  if (roll < 985) {
    return RateLimitExceeded{.ip = "198.51.100.7", .endpoint = "/v2/tasks", .limit = 100,
                             .actual = 180, .window_seconds = 60};
  }
  if (roll < 991) {
    return PathTraversalAttempt{.actor = User(rng), .attempted_path = "../../../etc/passwd",
                                .endpoint = "/v2/models"};
  }
  if (roll < 995) {
    return InvalidTokenUsed{.ip = "198.51.100.9", .token_prefix = "deadbeefcafe",
                            .endpoint = "/v2/tasks"};
  }
  if (roll < 998) {
    return SuspiciousActivity{.actor = User(rng), .activity_type = "credential_stuffing",
                              .details = "40 failed logins in 10 s", .risk_score = 85};
  }
  return GdprDataAccessRequest{.customer_id = "cust-" + std::to_string(rng() % 50),
                               .requester = "dpo@example.com", .scope = {"inference", "models"}};
}

int RunDemo(const DemoArgs& args) {
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{args.dir};
  std::printf("auditlog demo: %d threads for %.1f s, writing to %s (flush mode: Hybrid 100 / 1 s)\n",
              args.threads, args.seconds, SafeText(args.dir).c_str());
  auto logger = Logger::Open(config);
  if (!logger.ok()) {
    std::fprintf(stderr, "auditlog demo: %s\n", SafeText(logger.status().ToString()).c_str());
    return kExitUsage;
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> emitted{0}, failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < args.threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(0x5eed + static_cast<unsigned>(t));
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto seq = (*logger)->Emit(NextEvent(rng, (static_cast<std::uint64_t>(t) << 40) | n++));
        (seq.ok() ? emitted : failed).fetch_add(1, std::memory_order_relaxed);
        // A service does other work between audit events.
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  stop = true;
  for (auto& w : workers) w.join();
  Status s = (*logger)->Shutdown();
  if (!s.ok()) {
    std::fprintf(stderr, "auditlog demo: shutdown: %s\n", SafeText(s.ToString()).c_str());
    return kExitUsage;
  }
  const Stats stats = (*logger)->GetStats();
  std::printf("emitted %llu events (%llu critical, %llu fields neutralized), %llu fsyncs, %llu refused\n\n",
              static_cast<unsigned long long>(emitted.load()),
              static_cast<unsigned long long>(stats.critical_events),
              static_cast<unsigned long long>(stats.neutralized_fields),
              static_cast<unsigned long long>(stats.fsyncs),
              static_cast<unsigned long long>(failed.load()));

  auto report = Verify(args.dir);
  if (!report.ok()) {
    std::fprintf(stderr, "auditlog demo: verify: %s\n", SafeText(report.status().ToString()).c_str());
    return kExitUsage;
  }
  std::printf("verify: %llu records in %llu segments, seq %llu..%llu, %zu findings -> %s\n",
              static_cast<unsigned long long>(report->records),
              static_cast<unsigned long long>(report->segments),
              static_cast<unsigned long long>(report->first_seq.value_or(0)),
              static_cast<unsigned long long>(report->last_seq.value_or(0)),
              report->findings.size(), report->intact() ? "INTACT" : "NOT INTACT");
  std::printf("\nExplore the log:\n  ./build/auditlog verify %s\n", SafeText(args.dir).c_str());
  return report->intact() ? kExitOk : kExitFindings;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Simulate a service writing an audit log, then verify it");
  cmd->add_option("--dir", args->dir, "Log directory (default /tmp/auditlog-demo)");
  cmd->add_option("--seconds", args->seconds, "How long to run")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", args->threads, "Producer threads")->check(CLI::Range(1, 256));
  cmd->callback([args, exit_code] { *exit_code = RunDemo(*args); });
}

}  // namespace auditlog::cli
