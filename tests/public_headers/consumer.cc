// What a user writes against <auditlog/auditlog.h>, compiled by check_headers.cmake with
// -Wall -Wextra -Wpedantic -Werror under GCC and Clang: partial designated initializers of
// events, configs and options (no -Wmissing-field-initializers), and every Value kind.
#include <auditlog/auditlog.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<auditlog::Event> Events() {
  std::vector<auditlog::Event> events;
  events.push_back(auditlog::AuthFailure{.attempted_user = "mallory", .reason = "bad_password"});
  events.push_back(auditlog::AuthSuccess{.actor = {.user_id = "alice"}, .path = "/v2/tasks"});
  events.push_back(auditlog::AuthorizationDenied{
      .actor = {.user_id = "bob"}, .resource = {.resource_type = "pool", .resource_id = "p-1"}});
  events.push_back(auditlog::TaskSubmitted{.task_id = "t-1"});
  events.push_back(auditlog::GdprDataExport{.customer_id = "c-1", .data_types = {"prompts"}});
  const std::size_t bytes = 4096;
  const std::uint64_t big = 18446744073709551615ULL;
  const short small = -3;
  events.push_back(
      auditlog::CustomEvent{.event_type = "invoice_approved",
                            .fields = {{"invoice_id", "INV-7"},
                                       {"bytes", bytes},
                                       {"big", big},
                                       {"small", small},
                                       {"count", 3},
                                       {"ratio", 0.25},
                                       {"approved", true},
                                       {"note", nullptr},
                                       {"view", std::string_view("sv")},
                                       {"tags", auditlog::StringList{"a", "b"}},
                                       {"nested", auditlog::Object{{"k", std::int64_t{-1}}}}}});
  return events;
}

}  // namespace

int main() {
  auditlog::Config config{.service_id = "queen", .mode = auditlog::LocalMode{.dir = "/tmp/x"}};
  auditlog::Query query{.limit = 10};
  auditlog::VerifyOptions verify{.last_n = 100};
  return static_cast<int>(Events().size() + config.service_id.size() + *query.limit +
                          *verify.last_n) == 0;
}
