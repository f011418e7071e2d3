// Emits one event through the installed package, then verifies the log it wrote.
#include <auditlog/auditlog.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auditlog::Config config;
  config.service_id = "consumer";
  config.mode = auditlog::LocalMode{argv[1]};
  auto logger = auditlog::Logger::Open(config);
  if (!logger.ok()) {
    std::fprintf(stderr, "%s\n", logger.status().ToString().c_str());
    return 1;
  }
  auditlog::Status s = (*logger)->EmitDurable(auditlog::AuthSuccess{
      .actor = {.user_id = "alice"}, .path = "/login", .service_id = "consumer"});
  if (!s.ok() || !(*logger)->Shutdown().ok()) return 1;
  auto report = auditlog::Verify(argv[1]);
  if (!report.ok() || !report->intact() || report->records != 1) return 1;
  std::puts("consumer: 1 record written and verified");
  return 0;
}
