// The README's example: open a log, record a failed login and a revoked token, shut down.
#include <auditlog/auditlog.h>

#include <cstdio>

int main() {
  auditlog::Config config;
  config.service_id = "queen";
  config.mode = auditlog::LocalMode{"/tmp/auditlog-quickstart"};
  auto logger = auditlog::Logger::Open(config);
  if (!logger.ok()) {  // e.g. another process holds the directory, or it is corrupt
    std::fprintf(stderr, "audit log: %s\n", logger.status().ToString().c_str());
    return 1;  // fail closed: a service that must audit does not run without its log
  }
  // Emit queues the event and returns its seq; it never waits for the disk.
  auto seq = (*logger)->Emit(auditlog::AuthFailure{.attempted_user = "mallory",
                                                   .reason = "bad_password",
                                                   .ip = "203.0.113.7",
                                                   .path = "/v2/tasks",
                                                   .service_id = "queen"});
  if (!seq.ok()) std::fprintf(stderr, "not logged: %s\n", seq.status().ToString().c_str());
  // EmitDurable returns once the record is fsync'ed: use it before acting on a decision.
  auditlog::Status revoked = (*logger)->EmitDurable(auditlog::TokenRevoked{
      .actor = {.user_id = "admin"}, .token_fingerprint = "a3f2c1", .reason = "leaked"});
  if (!revoked.ok()) std::fprintf(stderr, "not durable: %s\n", revoked.ToString().c_str());
  return (*logger)->Shutdown().ok() && seq.ok() && revoked.ok() ? 0 : 1;
}
