// `auditlog demo [--dir DIR] [--seconds S] [--threads N]`: a simulated service that logs a
// realistic mix of the service events from several threads (logins succeeding and failing,
// tasks, pool changes, a few security incidents, hostile user names), then verifies the log.
#include <unistd.h>

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
      "mallory\x1b[2J\x1b[Hroot logged in",      // clears the screen of whoever reads it
      "eve\n{\"event_type\":\"auth_success\"}",  // tries to forge a second record
      "admin\xe2\x80\xaegnp.exe",                // U+202E: right-to-left override
      std::string("bob\0hidden", 10),            // NUL
      "\xff\xfe not utf-8",                      // invalid UTF-8
      std::string(3000, 'A'),                    // over-long
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

// One simulated request's worth of audit events. Long on purpose: one short case per kind of
// request, so every event type the demo emits is visible in one place.
Event NextEvent(std::mt19937_64& rng, std::uint64_t n) {
  const int roll = static_cast<int>(rng() % 10000);  // per ten thousand
  const std::string id = std::to_string(n);
  if (roll < 3000) {
    return AuthSuccess{.actor = User(rng),
                       .method = AuthMethod::kBearerToken,
                       .path = "/v2/tasks",
                       .service_id = "queen"};
  }
  if (roll < 3100) {
    const auto& hostile = HostileNames();
    const bool attack = rng() % 4 == 0;
    return AuthFailure{
        .attempted_user = attack ? hostile[rng() % hostile.size()] : std::string("carol"),
        .reason = attack ? "unknown_user" : "bad_password",
        .ip = "203.0.113." + std::to_string(rng() % 255),
        .path = "/v2/login",
        .service_id = "queen"};
  }
  if (roll < 6000) {
    return TaskSubmitted{.actor = User(rng),
                         .task_id = "task-" + id,
                         .model_ref = "llama-3-8b",
                         .prompt_length = rng() % 4000,
                         .prompt_hash = "9f86d081884c7d659a2feaa0c55ad015",
                         .max_tokens = 512};
  }
  if (roll < 8500) {
    return TaskCompleted{
        .task_id = "task-" + id,
        .worker_id = "worker-" + std::to_string(rng() % 8),
        .tokens_generated = rng() % 512,
        .duration_ms = rng() % 3000,
        .result = rng() % 20 ? AuditResult::Success() : AuditResult::Failure("timeout")};
  }
  if (roll < 9000) {
    return InferenceExecuted{.customer_id = "cust-" + std::to_string(rng() % 50),
                             .job_id = "job-" + id,
                             .model_ref = "llama-3-8b",
                             .tokens_processed = rng() % 2000,
                             .provider_id = std::nullopt,
                             .result = AuditResult::Success()};
  }
  if (roll < 9500) {
    return AuthorizationGranted{.actor = User(rng),
                                .resource = {.resource_type = "pool", .resource_id = "pool-7"},
                                .action = "read"};
  }
  if (roll < 9700) {
    return PoolModified{.actor = User(rng),
                        .pool_id = "pool-7",
                        .changes = Object{{"replicas", Object{{"from", 2}, {"to", 3}}}}};
  }
  if (roll < 9850) {
    return PoolCreated{.actor = User(rng),
                       .pool_id = "pool-" + id,
                       .model_ref = "llama-3-8b",
                       .node_id = "node-1",
                       .replicas = 2,
                       .gpu_devices = {0, 1}};
  }
  if (roll < 9950) {
    return RateLimitExceeded{.ip = "198.51.100.7",
                             .endpoint = "/v2/tasks",
                             .limit = 100,
                             .actual = 180,
                             .window_seconds = 60};
  }
  if (roll < 9970) {
    return PathTraversalAttempt{
        .actor = User(rng), .attempted_path = "../../../etc/passwd", .endpoint = "/v2/models"};
  }
  if (roll < 9980) {
    return InvalidTokenUsed{
        .ip = "198.51.100.9", .token_prefix = "deadbeefcafe", .endpoint = "/v2/tasks"};
  }
  if (roll < 9990) {
    return SuspiciousActivity{.actor = User(rng),
                              .activity_type = "credential_stuffing",
                              .details = "40 failed logins in 10 s",
                              .risk_score = 85};
  }
  return GdprDataAccessRequest{.customer_id = "cust-" + std::to_string(rng() % 50),
                               .requester = "dpo@example.com",
                               .scope = {"inference", "models"}};
}

// Runs another `auditlog` subcommand in-process, exactly as a user would type it.
int RunSubcommand(const std::string& command_line) {
  CLI::App app{"auditlog"};
  int code = kExitOk;
  AddVerifyCommand(app, &code);
  AddQueryCommand(app, &code);
  AddStatsCommand(app, &code);
  try {
    app.parse(command_line, /*program_name_included=*/false);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "auditlog demo: %s: %s\n", command_line.c_str(), e.what());
    return kExitUsage;
  }
  return code;
}

void Section(const std::string& title, const std::string& command) {
  std::printf("\n== %s", title.c_str());
  if (!command.empty()) std::printf("   ($ ./build/auditlog %s)", command.c_str());
  std::printf("\n");
  std::fflush(stdout);
}

// The metrics a dashboard would chart, without the histogram buckets.
void PrintMetrics(const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#' || line.find("_bucket{") != std::string_view::npos) continue;
    std::printf("  %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

// The simulated service's threads: each emits events until `stop`; thread 0 first probes the
// login with every hostile name. Counts refused Emits in `failed`.
std::vector<std::thread> StartWorkers(Logger* logger, int threads, std::uint64_t first_seq,
                                      std::atomic<bool>* stop, std::atomic<std::uint64_t>* failed) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([=] {
      std::mt19937_64 rng(0x5eed + static_cast<unsigned>(t) + first_seq);
      std::uint64_t n = 0;
      if (t == 0) {
        // An attacker probes the login first: every hostile name once.
        for (const std::string& name : HostileNames()) {
          auto seq = logger->Emit(AuthFailure{.attempted_user = name,
                                              .reason = "unknown_user",
                                              .ip = "203.0.113.66",
                                              .path = "/v2/login",
                                              .service_id = "queen"});
          if (!seq.ok()) failed->fetch_add(1, std::memory_order_relaxed);
        }
      }
      while (!stop->load(std::memory_order_relaxed)) {
        auto seq = logger->Emit(NextEvent(rng, (static_cast<std::uint64_t>(t) << 40) | n++));
        if (!seq.ok()) failed->fetch_add(1, std::memory_order_relaxed);
        // A service does other work between audit events.
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    });
  }
  return workers;
}

// A live progress line for `seconds`: rewritten in place on a terminal, a line a second
// otherwise.
void ShowProgress(const Logger& logger, double seconds) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto last_line = start - std::chrono::seconds(1);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = now >= end;
    if (done || tty || now - last_line >= std::chrono::seconds(1)) {
      last_line = now;
      const Stats st = logger.GetStats();
      const double secs = std::chrono::duration<double>(now - start).count();
      std::printf(
          "%s  %4.1f s  events %9llu  (%7.0f/s)  critical %6llu  durable up to seq %9llu  "
          "fsyncs %5llu%s",
          tty ? "\r" : "", secs, static_cast<unsigned long long>(st.events_emitted),
          secs > 0 ? static_cast<double>(st.events_emitted) / secs : 0.0,
          static_cast<unsigned long long>(st.critical_events),
          static_cast<unsigned long long>(st.durable_seq),
          static_cast<unsigned long long>(st.fsyncs), tty ? "" : "\n");
      std::fflush(stdout);
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (tty) std::printf("\n");
}

// What an auditor sees: verify, stats and two queries of this run (records since `since`),
// each through the tool itself. Returns verify's exit code.
int ShowTheLog(const std::string& raw_dir, const std::string& since) {
  const std::string dir = SafeText(raw_dir);
  const std::string quoted = "\"" + raw_dir + "\"";
  Section("Verify", "verify " + dir);
  const int verified = RunSubcommand("verify " + quoted);
  Section("Stats", "stats " + dir);
  RunSubcommand("stats " + quoted);
  Section("Security incidents of this run",
          "query " + dir + " --since " + since +
              " --type path_traversal_attempt --type suspicious_activity --limit 4 --format table");
  RunSubcommand(
      "query " + quoted + " --since " + since +
      " --type path_traversal_attempt --type suspicious_activity --limit 4 --format table");
  Section("Failed logins with hostile user names: neutralized, never dropped",
          "query " + dir + " --since " + since + " --type auth_failure --limit 6 --format table");
  RunSubcommand("query " + quoted + " --since " + since +
                " --type auth_failure --limit 6 --format table");
  std::printf(
      "\nThe log is in %s. Explore it:\n"
      "  ./build/auditlog verify %s --json\n"
      "  ./build/auditlog query %s --type auth_failure | jq .event.attempted_user\n"
      "  ./build/auditlog tail %s -n 5\n"
      "  ./build/auditlog export %s --customer cust-7\n"
      "  ./build/auditlog retention %s\n",
      dir.c_str(), dir.c_str(), dir.c_str(), dir.c_str(), dir.c_str(), dir.c_str());
  return verified;
}

int RunDemo(const DemoArgs& args) {
  Config config;  // the defaults: Hybrid{100, 1 s, critical_immediate}, daily rotation
  config.service_id = "queen";
  config.mode = LocalMode{args.dir};
  // This service prefers back-pressure to refusing events when a slow fsync (a busy disk)
  // fills the queue: Emit waits up to 1 s for room.
  config.overflow = OverflowPolicy::kBlock;
  const std::string dir = SafeText(args.dir);
  std::printf(
      "auditlog demo: a simulated service (\"queen\") with %d threads logs logins, tasks, pool\n"
      "changes, data access and a few security incidents -- some with hostile user names --\n"
      "for %.1f s into %s, in the default flush mode (Hybrid: routine events fsync'ed every 100\n"
      "events or 1 s, critical ones at once; a full queue makes Emit wait). Then it verifies\n"
      "the log and shows what an auditor sees.\n",
      args.threads, args.seconds, dir.c_str());
  auto logger = Logger::Open(config);
  if (!logger.ok()) {
    std::fprintf(stderr, "auditlog demo: %s\n", SafeText(logger.status().ToString()).c_str());
    return kExitUsage;
  }
  const std::uint64_t first_seq = (*logger)->GetStats().durable_seq + 1;
  if (first_seq > 1) {
    std::printf("(the log already holds %llu records: the chain continues from them)\n",
                static_cast<unsigned long long>(first_seq - 1));
  }
  Section("Writing", "");
  // Queries below look at this run only.
  const std::string since = FormatTime(MicrosToTime(Env::Default()->NowMicros()));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failed{0};
  std::vector<std::thread> workers =
      StartWorkers(logger->get(), args.threads, first_seq, &stop, &failed);
  ShowProgress(**logger, args.seconds);
  stop = true;
  for (auto& w : workers) w.join();
  const Status s = (*logger)->Shutdown();
  if (!s.ok()) {
    std::fprintf(stderr, "auditlog demo: shutdown: %s\n", SafeText(s.ToString()).c_str());
    return kExitUsage;
  }
  const Stats stats = (*logger)->GetStats();
  std::printf("  shut down cleanly: every event is durable (durable seq %llu), %llu refused\n",
              static_cast<unsigned long long>(stats.durable_seq),
              static_cast<unsigned long long>(failed.load()));

  Section("Metrics (Prometheus text; histogram buckets omitted)", "");
  PrintMetrics((*logger)->MetricsText());
  return ShowTheLog(args.dir, since) == kExitOk ? kExitOk : kExitFindings;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd =
      app.add_subcommand("demo", "Simulate a service writing an audit log, then verify it");
  cmd->add_option("--dir", args->dir, "Log directory (default /tmp/auditlog-demo)");
  cmd->add_option("--seconds", args->seconds, "How long to run")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", args->threads, "Producer threads")->check(CLI::Range(1, 256));
  cmd->callback([args, exit_code] { *exit_code = RunDemo(*args); });
}

}  // namespace auditlog::cli
