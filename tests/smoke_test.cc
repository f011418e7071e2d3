// End-to-end smoke test: events in through the public API, a verified log out.
#include <gtest/gtest.h>

#include "auditlog/auditlog.h"
#include "test_util.h"

namespace auditlog {
namespace {

using testing::ScratchDir;

TEST(SmokeTest, EmittedEventsFormAVerifiedChain) {
  ScratchDir dir;
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{dir.path()};
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
  for (int i = 0; i < 10; ++i) {
    auto seq = logger->Emit(
        AuthSuccess{.actor = {.user_id = "alice"}, .path = "/v2/tasks", .service_id = "queen"});
    ASSERT_OK(seq.status());
    EXPECT_EQ(*seq, static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_OK(logger->Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir.path()));
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.records, 10u);
  EXPECT_EQ(report.last_seq, 10u);
}

}  // namespace
}  // namespace auditlog
