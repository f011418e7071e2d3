// auditlogd: the local audit daemon. Owns one log directory through the usual Logger and
// logs what clients send over a Unix stream socket (docs/PROTOCOL.md). Runs in the
// foreground; SIGTERM/SIGINT stop it cleanly (exit 0).
//
// Exit codes: 0 stopped cleanly, 1 the log or the socket could not be opened or the logger
// failed, 2 usage error.
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "server.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Args {
  std::string dir, socket, service_id, flush_mode = "hybrid", socket_mode = "0660", socket_group;
  std::vector<std::uint32_t> allow_uids, allow_gids;
  std::size_t max_connections = 1024;
  std::size_t queue_events = 65536;
  long long line_timeout_ms = 10'000, idle_timeout_ms = 300'000;
};

void Fail(const std::string& message) { std::fprintf(stderr, "auditlogd: %s\n", message.c_str()); }

// The process-wide set-up that must precede every thread (the Logger's writer inherits the
// signal mask): SIGTERM/SIGINT are then read through the server's signalfd only.
void PrepareProcess() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Log files and the socket are created private; --socket-mode then opens the socket.
  umask(0077);
  // Room for max_connections descriptors: raise the soft limit to the hard one.
  struct rlimit lim {};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

bool BuildConfig(const Args& a, auditlog::Config* config) {
  config->service_id = a.service_id;
  config->mode = auditlog::LocalMode{a.dir};
  if (a.flush_mode == "immediate") {
    config->flush_mode = auditlog::Immediate{};
  } else if (a.flush_mode == "batched") {
    config->flush_mode = auditlog::Batched{};
  } else if (a.flush_mode == "hybrid") {
    config->flush_mode = auditlog::Hybrid{};
  } else {
    Fail("--flush-mode: expected immediate, batched or hybrid");
    return false;
  }
  // Many clients share one queue: room for bursts of pipelined requests. A full queue is
  // still answered with buffer_full, never waited for (the loop serves everyone).
  config->queue_capacity_events = a.queue_events;
  config->queue_capacity_bytes = std::size_t{64} << 20;
  return true;
}

bool BuildServerOptions(const Args& a, auditlogd::ServerOptions* o) {
  o->listen.path = a.socket;
  char* end = nullptr;
  const unsigned long mode = std::strtoul(a.socket_mode.c_str(), &end, 8);
  if (a.socket_mode.empty() || *end != '\0' || mode > 0777) {
    Fail("--socket-mode: expected octal permission bits such as 0660");
    return false;
  }
  o->listen.mode = static_cast<mode_t>(mode);
  if (!a.socket_group.empty()) {
    const struct group* g = getgrnam(a.socket_group.c_str());
    if (g == nullptr) {
      Fail("--socket-group: no group named " + a.socket_group);
      return false;
    }
    o->listen.group = g->gr_gid;
  }
  o->allow.uids = a.allow_uids;
  o->allow.gids = a.allow_gids;
  o->max_connections = a.max_connections;
  o->line_timeout = std::chrono::milliseconds(a.line_timeout_ms);
  o->idle_timeout = std::chrono::milliseconds(a.idle_timeout_ms);
  o->handle_signals = true;
  return true;
}

int Serve(const Args& args) {
  auditlog::Config config;
  auditlogd::ServerOptions options;
  if (!BuildConfig(args, &config) || !BuildServerOptions(args, &options)) return kExitUsage;
  PrepareProcess();
  auto logger = auditlog::Logger::Open(config);
  if (!logger.ok()) {
    Fail("cannot open the log in " + args.dir + ": " + logger.status().ToString());
    return kExitFailure;
  }
  auto server = auditlogd::Server::Open(logger->get(), options);
  if (!server.ok()) {
    Fail("cannot listen on " + args.socket + ": " + server.status().ToString());
    return kExitFailure;
  }
  // The readiness signal that scripts and tests wait for: clients may connect from now on.
  std::fprintf(stderr, "auditlogd: listening on %s\n", args.socket.c_str());
  std::fflush(stderr);
  const auditlog::Status served = (*server)->Run();
  server->reset();  // the socket file is gone before the log is closed
  const auditlog::Status closed = (*logger)->Shutdown();
  if (!served.ok()) Fail("event loop: " + served.ToString());
  if (!closed.ok()) Fail("shutting the log down: " + closed.ToString());
  if (served.ok() && closed.ok()) std::fprintf(stderr, "auditlogd: stopped; the log is closed\n");
  return served.ok() && closed.ok() ? kExitOk : kExitFailure;
}

int Run(int argc, char** argv) {
  Args a;
  CLI::App app{"auditlogd: the local audit daemon (docs/PROTOCOL.md)."};
  app.add_option("--dir", a.dir, "log directory (created if missing)")->required();
  app.add_option("--socket", a.socket, "Unix socket path to listen on")->required();
  app.add_option("--service-id", a.service_id, "the records' service_id")->required();
  app.add_option("--flush-mode", a.flush_mode, "immediate, batched or hybrid (default)");
  app.add_option("--socket-mode", a.socket_mode, "socket file permissions, octal (0660)");
  app.add_option("--socket-group", a.socket_group, "group owning the socket file");
  app.add_option("--allow-uid", a.allow_uids, "admit only these uids (and --allow-gid)");
  app.add_option("--allow-gid", a.allow_gids, "admit only these primary gids (and --allow-uid)");
  app.add_option("--max-connections", a.max_connections, "connection limit (1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--queue-events", a.queue_events, "logger queue capacity in events (65536)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  app.add_option("--line-timeout-ms", a.line_timeout_ms, "time to finish a started line (10000)")
      ->check(CLI::Range(1LL, 86'400'000LL));
  app.add_option("--idle-timeout-ms", a.idle_timeout_ms, "idle connection timeout (300000)")
      ->check(CLI::Range(1LL, 86'400'000LL));
  app.set_version_flag("--version", "auditlogd " + std::string(auditlog::Version()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    Fail(std::string(e.what()) + " (see --help)");
    return kExitUsage;
  }
  return Serve(a);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    Fail(std::string("internal error: ") + e.what());
  } catch (...) {
    Fail("internal error: unknown exception");
  }
  return kExitFailure;
}
