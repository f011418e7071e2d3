// Tests of the typed events and their JSON encoding (src/event_codec.cc, src/events.cc):
// the exact JSON of all 35 built-in event types, criticality, user-defined events and the
// rejection of programming errors.
#include "format/event_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "auditlog/events.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2026-11-27T00:57:42.123456Z
constexpr std::int64_t kTsMicros = 1795741062123456;
const Time kTime = Time(std::chrono::microseconds(kTsMicros));
constexpr const char* kTimeJson = "\"2026-11-27T00:57:42.123456Z\"";

// An actor with every member set, and its JSON.
ActorInfo FullActor() {
  return ActorInfo{.user_id = "token:a3f2c1",
                   .ip = "192.168.1.100",
                   .auth_method = AuthMethod::kBearerToken,
                   .session_id = "sess-1"};
}
const std::string kActorJson =
    R"({"user_id":"token:a3f2c1","ip":"192.168.1.100","auth_method":"bearer_token",)"
    R"("session_id":"sess-1"})";

ResourceInfo FullResource() {
  return ResourceInfo{.resource_type = "pool", .resource_id = "pool-7", .parent_id = "node-1"};
}
const std::string kResourceJson =
    R"({"resource_type":"pool","resource_id":"pool-7","parent_id":"node-1"})";

class EventCodecTest : public ::testing::Test {
 protected:
  // Encodes `e`, expecting success, and returns the body.
  std::string Encode(const Event& e, const EncodeOptions& options = {}) {
    EncodedEvent out;
    Status s = EncodeEvent(e, options, &out);
    EXPECT_OK(s);
    last_ = out;
    return out.body;
  }
  // Encodes `e`, expecting kInvalidArgument, and returns the message.
  std::string EncodeError(const Event& e) {
    EncodedEvent out;
    Status s = EncodeEvent(e, {}, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    return s.message();
  }
  // The body as a JSON object {"event":…[,"sanitized":…]}; fails the test if invalid.
  static nlohmann::json Parse(const std::string& body) {
    nlohmann::json j = nlohmann::json::parse("{" + body + "}", nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << body;
    return j;
  }

  EncodedEvent last_;
};

struct Case {
  Event event;
  std::string json;  // the expected text of the "event" member's value
};

// One instance of each built-in type with every field set, and its exact JSON.
std::vector<Case> AllBuiltinCases() {
  const std::string a = kActorJson;
  const std::string r = kResourceJson;
  std::vector<Case> cases;
  // -- Authentication --
  cases.push_back({AuthSuccess{.actor = FullActor(),
                               .method = AuthMethod::kApiKey,
                               .path = "/v2/tasks",
                               .service_id = "queen"},
                   R"({"event_type":"auth_success","actor":)" + a +
                       R"(,"method":"api_key","path":"/v2/tasks","service_id":"queen"})"});
  cases.push_back({AuthFailure{.attempted_user = "mallory",
                               .reason = "bad_password",
                               .ip = "203.0.113.7",
                               .path = "/v2/tasks",
                               .service_id = "queen"},
                   R"({"event_type":"auth_failure","attempted_user":"mallory",)"
                   R"("reason":"bad_password","ip":"203.0.113.7","path":"/v2/tasks",)"
                   R"("service_id":"queen"})"});
  cases.push_back({TokenCreated{.actor = FullActor(),
                                .token_fingerprint = "a3f2c1",
                                .scope = {"read", "write"},
                                .expires_at = kTime},
                   R"({"event_type":"token_created","actor":)" + a +
                       R"(,"token_fingerprint":"a3f2c1","scope":["read","write"],"expires_at":)" +
                       kTimeJson + "}"});
  cases.push_back(
      {TokenRevoked{.actor = FullActor(), .token_fingerprint = "a3f2c1", .reason = "compromised"},
       R"({"event_type":"token_revoked","actor":)" + a +
           R"(,"token_fingerprint":"a3f2c1","reason":"compromised"})"});
  // -- Authorization --
  cases.push_back(
      {AuthorizationGranted{.actor = FullActor(), .resource = FullResource(), .action = "delete"},
       R"({"event_type":"authorization_granted","actor":)" + a + R"(,"resource":)" + r +
           R"(,"action":"delete"})"});
  cases.push_back({AuthorizationDenied{.actor = FullActor(),
                                       .resource = FullResource(),
                                       .action = "delete",
                                       .reason = "not_owner"},
                   R"({"event_type":"authorization_denied","actor":)" + a + R"(,"resource":)" + r +
                       R"(,"action":"delete","reason":"not_owner"})"});
  cases.push_back({PermissionChanged{.actor = FullActor(),
                                     .subject = "bob",
                                     .old_permissions = {"read"},
                                     .new_permissions = {"read", "admin"}},
                   R"({"event_type":"permission_changed","actor":)" + a +
                       R"(,"subject":"bob","old_permissions":["read"],)"
                       R"("new_permissions":["read","admin"]})"});
  // -- Resource operations --
  cases.push_back({PoolCreated{.actor = FullActor(),
                               .pool_id = "pool-7",
                               .model_ref = "llama-3",
                               .node_id = "node-1",
                               .replicas = 2,
                               .gpu_devices = {0, 1, 4294967295u}},
                   R"({"event_type":"pool_created","actor":)" + a +
                       R"(,"pool_id":"pool-7","model_ref":"llama-3","node_id":"node-1",)"
                       R"("replicas":2,"gpu_devices":[0,1,4294967295]})"});
  cases.push_back({PoolDeleted{.actor = FullActor(),
                               .pool_id = "pool-7",
                               .model_ref = "llama-3",
                               .node_id = "node-1",
                               .reason = "idle",
                               .replicas_terminated = 3},
                   R"({"event_type":"pool_deleted","actor":)" + a +
                       R"(,"pool_id":"pool-7","model_ref":"llama-3","node_id":"node-1",)"
                       R"("reason":"idle","replicas_terminated":3})"});
  cases.push_back({PoolModified{.actor = FullActor(),
                                .pool_id = "pool-7",
                                .changes = Object{{"replicas", Object{{"old", 2}, {"new", 4}}},
                                                  {"model_ref", Object{{"old", "a"}, {"new", "b"}}},
                                                  {"paused", true},
                                                  {"tags", StringList{"x", "y"}}}},
                   R"({"event_type":"pool_modified","actor":)" + a +
                       R"(,"pool_id":"pool-7","changes":{"replicas":{"old":2,"new":4},)"
                       R"("model_ref":{"old":"a","new":"b"},"paused":true,"tags":["x","y"]}})"});
  cases.push_back({NodeRegistered{.actor = FullActor(),
                                  .node_id = "node-1",
                                  .gpu_count = 8,
                                  .total_vram_gb = 18446744073709551615ull,
                                  .capabilities = {"cuda", "fp8"}},
                   R"({"event_type":"node_registered","actor":)" + a +
                       R"(,"node_id":"node-1","gpu_count":8,)"
                       R"("total_vram_gb":18446744073709551615,"capabilities":["cuda","fp8"]})"});
  cases.push_back(
      {NodeDeregistered{.actor = FullActor(),
                        .node_id = "node-1",
                        .reason = "maintenance",
                        .pools_affected = {"p1", "p2"}},
       R"({"event_type":"node_deregistered","actor":)" + a +
           R"(,"node_id":"node-1","reason":"maintenance","pools_affected":["p1","p2"]})"});
  cases.push_back({TaskSubmitted{.actor = FullActor(),
                                 .task_id = "t-1",
                                 .model_ref = "llama-3",
                                 .prompt_length = 1234,
                                 .prompt_hash = "ab12",
                                 .max_tokens = 512},
                   R"({"event_type":"task_submitted","actor":)" + a +
                       R"(,"task_id":"t-1","model_ref":"llama-3","prompt_length":1234,)"
                       R"("prompt_hash":"ab12","max_tokens":512})"});
  cases.push_back({TaskCompleted{.task_id = "t-1",
                                 .worker_id = "w-1",
                                 .tokens_generated = 99,
                                 .duration_ms = 1500,
                                 .result = AuditResult::Success()},
                   R"({"event_type":"task_completed","task_id":"t-1","worker_id":"w-1",)"
                   R"("tokens_generated":99,"duration_ms":1500,"result":"success"})"});
  cases.push_back(
      {TaskCanceled{.actor = FullActor(), .task_id = "t-1", .reason = "user"},
       R"({"event_type":"task_canceled","actor":)" + a + R"(,"task_id":"t-1","reason":"user"})"});
  // -- VRAM --
  cases.push_back({VramSealed{.shard_id = "s-1",
                              .gpu_device = 3,
                              .vram_bytes = 1ull << 40,
                              .digest = "d1",
                              .worker_id = "w-1"},
                   R"({"event_type":"vram_sealed","shard_id":"s-1","gpu_device":3,)"
                   R"("vram_bytes":1099511627776,"digest":"d1","worker_id":"w-1"})"});
  cases.push_back({SealVerified{.shard_id = "s-1", .worker_id = "w-1"},
                   R"({"event_type":"seal_verified","shard_id":"s-1","worker_id":"w-1"})"});
  cases.push_back({SealVerificationFailed{.shard_id = "s-1",
                                          .reason = "digest_mismatch",
                                          .expected_digest = "e1",
                                          .actual_digest = "a1",
                                          .worker_id = "w-1",
                                          .severity = "critical"},
                   R"({"event_type":"seal_verification_failed","shard_id":"s-1",)"
                   R"("reason":"digest_mismatch","expected_digest":"e1","actual_digest":"a1",)"
                   R"("worker_id":"w-1","severity":"critical"})"});
  cases.push_back({VramAllocated{.requested_bytes = 1,
                                 .allocated_bytes = 2,
                                 .available_bytes = 3,
                                 .used_bytes = 4,
                                 .gpu_device = 5,
                                 .worker_id = "w-1"},
                   R"({"event_type":"vram_allocated","requested_bytes":1,"allocated_bytes":2,)"
                   R"("available_bytes":3,"used_bytes":4,"gpu_device":5,"worker_id":"w-1"})"});
  cases.push_back({VramAllocationFailed{.requested_bytes = 10,
                                        .available_bytes = 5,
                                        .reason = "oom",
                                        .gpu_device = 1,
                                        .worker_id = "w-1"},
                   R"({"event_type":"vram_allocation_failed","requested_bytes":10,)"
                   R"("available_bytes":5,"reason":"oom","gpu_device":1,"worker_id":"w-1"})"});
  cases.push_back({VramDeallocated{.shard_id = "s-1",
                                   .freed_bytes = 7,
                                   .remaining_used = 8,
                                   .gpu_device = 0,
                                   .worker_id = "w-1"},
                   R"({"event_type":"vram_deallocated","shard_id":"s-1","freed_bytes":7,)"
                   R"("remaining_used":8,"gpu_device":0,"worker_id":"w-1"})"});
  // -- Security incidents --
  cases.push_back({RateLimitExceeded{.ip = "10.0.0.1",
                                     .endpoint = "/v2/tasks",
                                     .limit = 100,
                                     .actual = 150,
                                     .window_seconds = 60},
                   R"({"event_type":"rate_limit_exceeded","ip":"10.0.0.1",)"
                   R"("endpoint":"/v2/tasks","limit":100,"actual":150,"window_seconds":60})"});
  cases.push_back(
      {PathTraversalAttempt{
           .actor = FullActor(), .attempted_path = "../../etc/passwd", .endpoint = "/v2/files"},
       R"({"event_type":"path_traversal_attempt","actor":)" + a +
           R"(,"attempted_path":"../../etc/passwd","endpoint":"/v2/files"})"});
  cases.push_back(
      {InvalidTokenUsed{.ip = "10.0.0.1", .token_prefix = "abc123", .endpoint = "/v2/tasks"},
       R"({"event_type":"invalid_token_used","ip":"10.0.0.1",)"
       R"("token_prefix":"abc123","endpoint":"/v2/tasks"})"});
  cases.push_back({PolicyViolation{.policy = "no_root",
                                   .violation = "ran_as_root",
                                   .details = "uid 0",
                                   .severity = "high",
                                   .worker_id = "w-1",
                                   .action_taken = "killed"},
                   R"({"event_type":"policy_violation","policy":"no_root",)"
                   R"("violation":"ran_as_root","details":"uid 0","severity":"high",)"
                   R"("worker_id":"w-1","action_taken":"killed"})"});
  cases.push_back({SuspiciousActivity{.actor = FullActor(),
                                      .activity_type = "scan",
                                      .details = "many 404s",
                                      .risk_score = 100},
                   R"({"event_type":"suspicious_activity","actor":)" + a +
                       R"(,"activity_type":"scan","details":"many 404s","risk_score":100})"});
  cases.push_back({IntegrityViolation{.resource_type = "model",
                                      .resource_id = "m-1",
                                      .expected_hash = "e",
                                      .actual_hash = "f",
                                      .severity = "critical",
                                      .action_taken = "quarantined",
                                      .worker_id = "w-1"},
                   R"({"event_type":"integrity_violation","resource_type":"model",)"
                   R"("resource_id":"m-1","expected_hash":"e","actual_hash":"f",)"
                   R"("severity":"critical","action_taken":"quarantined","worker_id":"w-1"})"});
  cases.push_back({MalformedModelRejected{.model_ref = "m-1",
                                          .validation_error = "bad header",
                                          .severity = "high",
                                          .action_taken = "rejected",
                                          .worker_id = "w-1"},
                   R"({"event_type":"malformed_model_rejected","model_ref":"m-1",)"
                   R"("validation_error":"bad header","severity":"high",)"
                   R"("action_taken":"rejected","worker_id":"w-1"})"});
  cases.push_back({ResourceLimitViolation{.resource_type = "vram",
                                          .limit_type = "max_bytes",
                                          .limit_value = 100,
                                          .actual_value = 200,
                                          .severity = "medium",
                                          .action_taken = "throttled",
                                          .worker_id = "w-1"},
                   R"({"event_type":"resource_limit_violation","resource_type":"vram",)"
                   R"("limit_type":"max_bytes","limit_value":100,"actual_value":200,)"
                   R"("severity":"medium","action_taken":"throttled","worker_id":"w-1"})"});
  // -- Data access --
  cases.push_back({InferenceExecuted{.customer_id = "c-1",
                                     .job_id = "j-1",
                                     .model_ref = "llama-3",
                                     .tokens_processed = 42,
                                     .provider_id = "p-1",
                                     .result = AuditResult::Failure("timeout")},
                   R"({"event_type":"inference_executed","customer_id":"c-1","job_id":"j-1",)"
                   R"("model_ref":"llama-3","tokens_processed":42,"provider_id":"p-1",)"
                   R"("result":{"failure":{"reason":"timeout"}}})"});
  cases.push_back({ModelAccessed{.customer_id = "c-1",
                                 .model_ref = "llama-3",
                                 .access_type = "read",
                                 .provider_id = "p-1"},
                   R"({"event_type":"model_accessed","customer_id":"c-1",)"
                   R"("model_ref":"llama-3","access_type":"read","provider_id":"p-1"})"});
  cases.push_back(
      {DataDeleted{.customer_id = "c-1", .data_types = {"prompts", "outputs"}, .reason = "gdpr"},
       R"({"event_type":"data_deleted","customer_id":"c-1",)"
       R"("data_types":["prompts","outputs"],"reason":"gdpr"})"});
  // -- Compliance --
  cases.push_back(
      {GdprDataAccessRequest{.customer_id = "c-1", .requester = "dpo", .scope = {"all"}},
       R"({"event_type":"gdpr_data_access_request","customer_id":"c-1",)"
       R"("requester":"dpo","scope":["all"]})"});
  cases.push_back({GdprDataExport{.customer_id = "c-1",
                                  .data_types = {"prompts"},
                                  .export_format = "json",
                                  .file_hash = "ff"},
                   R"({"event_type":"gdpr_data_export","customer_id":"c-1",)"
                   R"("data_types":["prompts"],"export_format":"json","file_hash":"ff"})"});
  cases.push_back({GdprRightToErasure{.customer_id = "c-1",
                                      .completed_at = kTime,
                                      .data_types_deleted = {"prompts", "outputs"}},
                   R"({"event_type":"gdpr_right_to_erasure","customer_id":"c-1",)"
                   R"("completed_at":)" +
                       std::string(kTimeJson) + R"(,"data_types_deleted":["prompts","outputs"]})"});
  return cases;
}

const std::set<std::string> kCriticalTypes = {"auth_failure",
                                              "token_revoked",
                                              "policy_violation",
                                              "seal_verification_failed",
                                              "path_traversal_attempt",
                                              "invalid_token_used",
                                              "suspicious_activity",
                                              "integrity_violation",
                                              "malformed_model_rejected",
                                              "resource_limit_violation"};

// ---- every built-in type ---------------------------------------------------------------

TEST_F(EventCodecTest, EveryBuiltinTypeEncodesToItsExactJson) {
  const std::vector<Case> cases = AllBuiltinCases();
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(EventTypeName(c.event)));
    const std::string body = Encode(c.event);
    EXPECT_EQ(body, "\"event\":" + c.json);
    EXPECT_EQ(last_.altered_fields, 0u);
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse("{" + body + "}");
    ASSERT_TRUE(j["event"].is_object());
    // event_type is the first member and names the type.
    EXPECT_EQ(j["event"].begin().key(), "event_type");
    EXPECT_EQ(j["event"]["event_type"], std::string(EventTypeName(c.event)));
    EXPECT_FALSE(j.contains("sanitized"));
    EXPECT_FALSE(testing::HasDuplicateMembers("{" + body + "}"));
  }
}

TEST_F(EventCodecTest, TheCasesCoverEveryBuiltinTypeOnce) {
  std::set<std::string> covered;
  for (const Case& c : AllBuiltinCases()) {
    EXPECT_TRUE(covered.insert(std::string(EventTypeName(c.event))).second)
        << EventTypeName(c.event);
  }
  std::set<std::string> seed;
  for (std::size_t i = 0; i < kServiceEventTypeCount; ++i) {
    seed.insert(std::string(BuiltinEventTypes()[i].type_name));
  }
  EXPECT_EQ(covered, seed);
  EXPECT_EQ(covered.size(), 35u);
}

TEST_F(EventCodecTest, FieldsAppearInDeclarationOrder) {
  // Declaration order of TaskSubmitted (events.h), not alphabetical order.
  const std::string body = Encode(TaskSubmitted{.actor = {.user_id = "u"}, .task_id = "t"});
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse("{" + body + "}");
  std::vector<std::string> keys;
  for (auto it = j["event"].begin(); it != j["event"].end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"event_type", "actor", "task_id", "model_ref",
                                            "prompt_length", "prompt_hash", "max_tokens"}));
}

TEST_F(EventCodecTest, ExactlyTheTenSeedTypesAreCritical) {
  std::set<std::string> critical;
  for (std::size_t i = 0; i < kServiceEventTypeCount; ++i) {
    const EventInfo& info = BuiltinEventTypes()[i];
    if (info.criticality == Criticality::kCritical) critical.insert(std::string(info.type_name));
  }
  EXPECT_EQ(critical, kCriticalTypes);
  // The per-event view agrees, and the encoder reports it.
  for (const Case& c : AllBuiltinCases()) {
    const std::string name(EventTypeName(c.event));
    SCOPED_TRACE(name);
    EXPECT_EQ(IsCritical(c.event), kCriticalTypes.count(name) == 1);
    Encode(c.event);
    EXPECT_EQ(last_.critical, kCriticalTypes.count(name) == 1);
  }
}

TEST_F(EventCodecTest, BuiltinTypeListStartsWithThe35SeedTypesInSevenCategories) {
  // The seed's 35 types come first; the library's own system events (kSystem) follow.
  const std::vector<EventInfo>& types = BuiltinEventTypes();
  EXPECT_EQ(kServiceEventTypeCount, 35u);
  ASSERT_EQ(types.size(), kBuiltinEventTypeCount);
  ASSERT_GE(types.size(), kServiceEventTypeCount);
  std::set<std::string_view> names;
  std::map<Category, int> per_category;
  for (std::size_t i = 0; i < types.size(); ++i) {
    const EventInfo& info = types[i];
    EXPECT_TRUE(IsSnakeCaseName(info.type_name)) << info.type_name;
    EXPECT_TRUE(names.insert(info.type_name).second) << info.type_name;
    if (i < kServiceEventTypeCount) {
      ++per_category[info.category];
    } else {
      EXPECT_EQ(info.category, Category::kSystem) << info.type_name;
    }
  }
  EXPECT_EQ(per_category, (std::map<Category, int>{{Category::kAuth, 4},
                                                   {Category::kAuthz, 3},
                                                   {Category::kResource, 8},
                                                   {Category::kVram, 6},
                                                   {Category::kSecurity, 8},
                                                   {Category::kData, 3},
                                                   {Category::kCompliance, 3}}));
  // The list follows the Event variant's order.
  EXPECT_EQ(types.front().type_name, "auth_success");
  EXPECT_EQ(types[kServiceEventTypeCount - 1].type_name, "gdpr_right_to_erasure");
  EXPECT_EQ(CategoryName(Category::kSecurity), "security");
}

// ---- shapes of shared types ------------------------------------------------------------

TEST_F(EventCodecTest, AbsentOptionalsAreOmittedNotNull) {
  EXPECT_EQ(Encode(AuthFailure{.reason = "bad_password", .ip = "203.0.113.7"}),
            R"("event":{"event_type":"auth_failure","reason":"bad_password",)"
            R"("ip":"203.0.113.7","path":"","service_id":""})");
  EXPECT_EQ(
      Encode(TokenRevoked{.actor = {.user_id = "alice"}, .token_fingerprint = "f", .reason = "r"}),
      R"("event":{"event_type":"token_revoked","actor":{"user_id":"alice",)"
      R"("auth_method":"internal"},"token_fingerprint":"f","reason":"r"})");
  EXPECT_EQ(Encode(TokenCreated{.actor = {.user_id = "a"}, .token_fingerprint = "f"}),
            R"("event":{"event_type":"token_created","actor":{"user_id":"a",)"
            R"("auth_method":"internal"},"token_fingerprint":"f","scope":[]})");
  EXPECT_EQ(Encode(AuthorizationGranted{.actor = {.user_id = "a"},
                                        .resource = {.resource_type = "pool", .resource_id = "p"},
                                        .action = "read"}),
            R"("event":{"event_type":"authorization_granted","actor":{"user_id":"a",)"
            R"("auth_method":"internal"},"resource":{"resource_type":"pool",)"
            R"("resource_id":"p"},"action":"read"})");
  EXPECT_EQ(Encode(IntegrityViolation{.resource_type = "t", .resource_id = "i"}),
            R"("event":{"event_type":"integrity_violation","resource_type":"t",)"
            R"("resource_id":"i","expected_hash":"","actual_hash":"","severity":"",)"
            R"("action_taken":""})");
  EXPECT_EQ(Encode(ModelAccessed{.customer_id = "c", .model_ref = "m"}),
            R"("event":{"event_type":"model_accessed","customer_id":"c","model_ref":"m",)"
            R"("access_type":""})");
  const std::string body = Encode(ResourceLimitViolation{.resource_type = "a", .limit_type = "b"});
  EXPECT_THAT(body, Not(HasSubstr("null")));
  EXPECT_THAT(body, Not(HasSubstr("worker_id")));
}

TEST_F(EventCodecTest, AuditResultHasTheThreeSeedShapes) {
  auto result_json = [&](AuditResult r) {
    const std::string body = Encode(TaskCompleted{.task_id = "t", .result = std::move(r)});
    return nlohmann::json::parse("{" + body + "}")["event"]["result"].dump();
  };
  EXPECT_EQ(result_json(AuditResult::Success()), R"("success")");
  EXPECT_EQ(result_json(AuditResult::Failure("disk full")),
            R"({"failure":{"reason":"disk full"}})");
  EXPECT_EQ(result_json(AuditResult::PartialSuccess("3 of 4")),
            R"({"partial_success":{"details":"3 of 4"}})");
  EXPECT_THAT(
      Encode(InferenceExecuted{
          .customer_id = "c", .job_id = "j", .result = AuditResult::PartialSuccess("half")}),
      HasSubstr(R"("result":{"partial_success":{"details":"half"}}})"));
}

TEST_F(EventCodecTest, AuthMethodsHaveTheirSeedNames) {
  const std::pair<AuthMethod, const char*> methods[] = {{AuthMethod::kBearerToken, "bearer_token"},
                                                        {AuthMethod::kApiKey, "api_key"},
                                                        {AuthMethod::kMTls, "m_tls"},
                                                        {AuthMethod::kInternal, "internal"}};
  for (const auto& [method, name] : methods) {
    EXPECT_EQ(AuthMethodName(method), name);
    const std::string body =
        Encode(AuthSuccess{.actor = {.user_id = "u", .auth_method = method}, .method = method});
    const nlohmann::json j = Parse(body);
    EXPECT_EQ(j["event"]["method"], name);
    EXPECT_EQ(j["event"]["actor"]["auth_method"], name);
  }
}

TEST_F(EventCodecTest, IpAddressesAreWrittenInCanonicalForm) {
  const std::pair<const char*, const char*> cases[] = {
      {"203.0.113.7", "203.0.113.7"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"FE80::0001", "fe80::1"},
      {"::1", "::1"},
      {"::", "::"},
      {"::FFFF:192.0.2.1", "::ffff:192.0.2.1"},
  };
  for (const auto& [in, canonical] : cases) {
    SCOPED_TRACE(in);
    const nlohmann::json j = Parse(Encode(RateLimitExceeded{.ip = in}));
    EXPECT_EQ(j["event"]["ip"], canonical);
    const nlohmann::json k = Parse(Encode(AuthSuccess{.actor = {.user_id = "u", .ip = in}}));
    EXPECT_EQ(k["event"]["actor"]["ip"], canonical);
  }
}

TEST_F(EventCodecTest, TimesAreRfc3339UtcWithMicroseconds) {
  auto time_json = [&](Time t) {
    return Parse(Encode(
        GdprRightToErasure{.customer_id = "c", .completed_at = t}))["event"]["completed_at"]
        .get<std::string>();
  };
  using std::chrono::microseconds;
  using std::chrono::nanoseconds;
  EXPECT_EQ(time_json(kTime), "2026-11-27T00:57:42.123456Z");
  EXPECT_EQ(time_json(Time()), "1970-01-01T00:00:00.000000Z");
  // Sub-microsecond precision is cut, never rounded up.
  EXPECT_EQ(time_json(Time(std::chrono::duration_cast<Time::duration>(nanoseconds(1999)))),
            "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(time_json(Time(microseconds(-1))), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(time_json(Time(microseconds(951782400000000))), "2000-02-29T00:00:00.000000Z");
}

TEST_F(EventCodecTest, Uint32ListsAndLargeIntegersAreExact) {
  const nlohmann::json j =
      Parse(Encode(PoolCreated{.actor = {.user_id = "u"}, .pool_id = "p", .gpu_devices = {}}));
  EXPECT_TRUE(j["event"]["gpu_devices"].is_array());
  EXPECT_TRUE(j["event"]["gpu_devices"].empty());
  const nlohmann::json k = Parse(Encode(TaskSubmitted{
      .actor = {.user_id = "u"}, .task_id = "t", .prompt_length = 18446744073709551615ull}));
  EXPECT_EQ(k["event"]["prompt_length"].get<std::uint64_t>(), 18446744073709551615ull);
}

TEST_F(EventCodecTest, PoolModifiedChangesKeepTheirNestedShape) {
  const std::string body = Encode(
      PoolModified{.actor = {.user_id = "u"},
                   .pool_id = "p",
                   .changes = Object{{"limits", Object{{"vram", Object{{"old", -1}, {"new", 8}}}}},
                                     {"empty", Object{}}}});
  EXPECT_THAT(body, HasSubstr(R"("changes":{"limits":{"vram":{"old":-1,"new":8}},"empty":{}}})"));
  EXPECT_THAT(
      Encode(PoolModified{.actor = {.user_id = "u"}, .pool_id = "p", .changes = StringList{"a"}}),
      HasSubstr(R"("changes":["a"]})"));
}

// ---- custom events ---------------------------------------------------------------------

TEST_F(EventCodecTest, CustomEventEncodesEveryValueKindInOrder) {
  CustomEvent e{.event_type = "invoice_approved",
                .fields = {{"invoice_id", "INV-7"},
                           {"amount_cents", 129900},
                           {"negative", std::int64_t{-9223372036854775807LL - 1}},
                           {"paid", false},
                           {"approvers", StringList{"alice", "bob"}},
                           {"meta", Object{{"region", "eu"}, {"inner", Object{{"x", 1}}}}}},
                .criticality = Criticality::kRoutine};
  EXPECT_EQ(Encode(e), R"("event":{"event_type":"invoice_approved","invoice_id":"INV-7",)"
                       R"("amount_cents":129900,"negative":-9223372036854775808,"paid":false,)"
                       R"("approvers":["alice","bob"],"meta":{"region":"eu","inner":{"x":1}}})");
  EXPECT_FALSE(last_.critical);
  EXPECT_EQ(EventTypeName(e), "invoice_approved");
  EXPECT_EQ(EventCategory(e), Category::kCustom);
}

// Every integer type is kept exactly (unsigned ones up to 2^64-1), doubles in their shortest
// round-trip form, and null; none of these is ambiguous to construct.
TEST_F(EventCodecTest, ValueTakesEveryIntegerTypeDoubleBoolAndNull) {
  const std::size_t size = 42;
  const unsigned short port = 8443;
  const long long big_negative = -5000000000LL;
  CustomEvent e{.event_type = "kinds",
                .fields = {{"size", size},
                           {"u64_max", std::numeric_limits<std::uint64_t>::max()},
                           {"i64_min", std::numeric_limits<std::int64_t>::min()},
                           {"port", port},
                           {"long_long", big_negative},
                           {"i8", std::int8_t{-3}},
                           {"ratio", 0.25},
                           {"third", 1.0 / 3.0},
                           {"whole", 3.0},
                           {"tiny", 1e-300},
                           {"single", 1.5f},
                           {"flag", true},
                           {"nothing", nullptr},
                           {"view", std::string_view("sv")}}};
  EXPECT_EQ(Encode(e), R"("event":{"event_type":"kinds","size":42,)"
                       R"("u64_max":18446744073709551615,"i64_min":-9223372036854775808,)"
                       R"("port":8443,"long_long":-5000000000,"i8":-3,"ratio":0.25,)"
                       R"("third":0.3333333333333333,"whole":3,"tiny":1e-300,"single":1.5,)"
                       R"("flag":true,"nothing":null,"view":"sv"})");
  // The JSON parses back to the same numbers.
  const auto j = nlohmann::json::parse("{" + Encode(e) + "}").at("event");
  EXPECT_EQ(j.at("u64_max").get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(j.at("third").get<double>(), 1.0 / 3.0);
  EXPECT_TRUE(j.at("nothing").is_null());
  // A char is text, not a count, and a pointer must not become a bool.
  static_assert(!std::is_constructible_v<Value, char>);
  static_assert(!std::is_constructible_v<Value, const int*>);
  static_assert(std::is_constructible_v<Value, unsigned long>);
}

// Found by the event_json fuzz target: the shortest form of 1.8446744073709552e20 is all
// digits, which a reader parses as an integer and refuses as too large. Whole doubles beyond
// the 64-bit integers are written in scientific form, and every reader accepts the record.
TEST_F(EventCodecTest, WholeDoublesBeyondTheIntegersStayReadable) {
  CustomEvent e{.event_type = "big",
                .fields = {{"above", 184467440737095516160.0},
                           {"below", -9223372036854775808.0 * 64},
                           {"edge", 18446744073709551616.0},
                           {"inside", 9007199254740992.0}}};
  const std::string body = Encode(e);
  EXPECT_EQ(body, R"("event":{"event_type":"big","above":1.844674407370955e+20,)"
                  R"("below":-5.902958103587057e+20,"edge":1.8446744073709552e+19,)"
                  R"("inside":9007199254740992})");
  std::string line;
  char hash[64];
  FrameRecord(1, 0, "svc", false, body, kGenesisHash, &line, hash);
  line.pop_back();
  RecordParser parser;
  RecordView view;
  ASSERT_OK(parser.Parse(line, &view));
}

TEST_F(EventCodecTest, NonFiniteDoublesAreRejectedNamingTheField) {
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    const std::string msg =
        EncodeError(CustomEvent{.event_type = "x", .fields = {{"outer", Object{{"score", bad}}}}});
    EXPECT_THAT(msg, HasSubstr("x.outer.score: must be a finite number")) << bad;
  }
}

TEST_F(EventCodecTest, CustomEventWithoutFieldsHasOnlyItsType) {
  EXPECT_EQ(Encode(CustomEvent{.event_type = "ping"}), R"("event":{"event_type":"ping"})");
}

TEST_F(EventCodecTest, CustomEventCriticalityIsTheCallers) {
  CustomEvent e{.event_type = "vault_opened", .criticality = Criticality::kCritical};
  Encode(e);
  EXPECT_TRUE(last_.critical);
  EXPECT_TRUE(IsCritical(e));
  e.criticality = Criticality::kRoutine;
  Encode(e);
  EXPECT_FALSE(last_.critical);
  EXPECT_FALSE(IsCritical(e));
}

TEST_F(EventCodecTest, CustomEventTypeNamesMustBeSnakeCaseAndNotBuiltin) {
  const std::string bad_names[] = {"",
                                   "Invoice",
                                   "invoiceApproved",
                                   "1invoice",
                                   "_invoice",
                                   "invoice-paid",
                                   "invoice paid",
                                   "invoice.paid",
                                   "\xc3\xa9t\xc3\xa9",
                                   std::string(65, 'a')};
  for (const std::string& name : bad_names) {
    SCOPED_TRACE(name);
    const std::string msg = EncodeError(CustomEvent{.event_type = name});
    EXPECT_THAT(msg, HasSubstr("event_type"));
    EXPECT_THAT(msg, HasSubstr("snake_case"));
  }
  EXPECT_OK(EncodeEvent(CustomEvent{.event_type = std::string(64, 'a')}, {}, &last_));
  EXPECT_OK(EncodeEvent(CustomEvent{.event_type = "a1_b2"}, {}, &last_));
  for (const EventInfo& info : BuiltinEventTypes()) {
    SCOPED_TRACE(info.type_name);
    const std::string msg = EncodeError(CustomEvent{.event_type = std::string(info.type_name)});
    EXPECT_THAT(msg, HasSubstr("event_type"));
    EXPECT_THAT(msg, HasSubstr("built-in"));
  }
}

TEST_F(EventCodecTest, CustomEventMemberNamesAreValidated) {
  // Invalid name, at top level and nested; the message names the position, not the name.
  std::string msg =
      EncodeError(CustomEvent{.event_type = "x", .fields = {{"ok", 1}, {"Bad Name", 2}}});
  EXPECT_THAT(msg, HasSubstr("x.<member 1>"));
  EXPECT_THAT(msg, Not(HasSubstr("Bad Name")));
  msg = EncodeError(CustomEvent{.event_type = "x", .fields = {{"outer", Object{{"1st", 1}}}}});
  EXPECT_THAT(msg, HasSubstr("x.outer.<member 0>"));
  EXPECT_THAT(msg, Not(HasSubstr("1st")));
  msg = EncodeError(CustomEvent{.event_type = "x", .fields = {{"", 1}}});
  EXPECT_THAT(msg, HasSubstr("<member 0>"));
  msg = EncodeError(CustomEvent{.event_type = "x", .fields = {{std::string(65, 'a'), 1}}});
  EXPECT_THAT(msg, HasSubstr("<member 0>"));
  // Duplicates, at top level and nested.
  msg = EncodeError(CustomEvent{.event_type = "x", .fields = {{"a", 1}, {"b", 2}, {"a", 3}}});
  EXPECT_THAT(msg, HasSubstr("x.a: appears twice"));
  msg = EncodeError(
      CustomEvent{.event_type = "x", .fields = {{"n", Object{{"k", 1}, {"k", "again"}}}}});
  EXPECT_THAT(msg, HasSubstr("x.n.k: appears twice"));
  // "event_type" is reserved at top level only.
  msg = EncodeError(CustomEvent{.event_type = "x", .fields = {{"event_type", "forged"}}});
  EXPECT_THAT(msg, HasSubstr("x.event_type: is a reserved name"));
  EXPECT_EQ(Encode(CustomEvent{.event_type = "x", .fields = {{"n", Object{{"event_type", "y"}}}}}),
            R"("event":{"event_type":"x","n":{"event_type":"y"}})");
}

// ---- programming errors ----------------------------------------------------------------

TEST_F(EventCodecTest, MalformedIpIsRejectedNamingTheFieldWithoutEchoingIt) {
  const std::string bad[] = {"not-an-ip",   "256.1.1.1",
                             "1.2.3",       "1.2.3.4.5",
                             "01.2.3.4",    "1.2.3.4 ",
                             "::1::2",      "fe80::1%eth0",
                             "2001:db8::g", std::string("1.2.3.4\0evil", 12),
                             "1.2.3.4\n",   std::string(100, '1')};
  for (const std::string& ip : bad) {
    SCOPED_TRACE(::testing::PrintToString(ip));
    std::string msg = EncodeError(AuthFailure{.reason = "r", .ip = ip});
    EXPECT_EQ(msg, "auth_failure.ip: is not a valid IPv4 or IPv6 address");
    msg = EncodeError(AuthSuccess{.actor = {.user_id = "u", .ip = ip}});
    EXPECT_EQ(msg, "auth_success.actor.ip: is not a valid IPv4 or IPv6 address");
    msg = EncodeError(RateLimitExceeded{.ip = ip});
    EXPECT_EQ(msg, "rate_limit_exceeded.ip: is not a valid IPv4 or IPv6 address");
  }
}

TEST_F(EventCodecTest, EmptyRequiredFieldsAreRejectedNamingTheField) {
  EXPECT_EQ(EncodeError(AuthFailure{.ip = "1.2.3.4"}),
            "auth_failure.reason: is required but empty");
  EXPECT_EQ(EncodeError(AuthFailure{.reason = "r"}), "auth_failure.ip: is required but empty");
  EXPECT_EQ(EncodeError(AuthSuccess{}), "auth_success.actor.user_id: is required but empty");
  EXPECT_EQ(
      EncodeError(AuthorizationGranted{
          .actor = {.user_id = "u"}, .resource = {.resource_type = "pool"}, .action = "read"}),
      "authorization_granted.resource.resource_id: is required but empty");
  EXPECT_EQ(EncodeError(TokenCreated{.actor = {.user_id = "u"}}),
            "token_created.token_fingerprint: is required but empty");
  EXPECT_EQ(EncodeError(GdprDataAccessRequest{.customer_id = "c"}),
            "gdpr_data_access_request.requester: is required but empty");
  EXPECT_EQ(EncodeError(InvalidTokenUsed{}), "invalid_token_used.ip: is required but empty");
  // Every required field of a full instance is actually checked.
  EXPECT_EQ(EncodeError(PoolCreated{.actor = {.user_id = "u"}}),
            "pool_created.pool_id: is required but empty");
}

TEST_F(EventCodecTest, RiskScoreAbove100IsRejected) {
  EXPECT_OK(EncodeEvent(
      SuspiciousActivity{.actor = {.user_id = "u"}, .activity_type = "a", .risk_score = 100}, {},
      &last_));
  EXPECT_OK(EncodeEvent(
      SuspiciousActivity{.actor = {.user_id = "u"}, .activity_type = "a", .risk_score = 0}, {},
      &last_));
  for (int score : {101, 200, 255}) {
    EXPECT_EQ(EncodeError(SuspiciousActivity{.actor = {.user_id = "u"},
                                             .activity_type = "a",
                                             .risk_score = static_cast<std::uint8_t>(score)}),
              "suspicious_activity.risk_score: must be between 0 and 100");
  }
}

TEST_F(EventCodecTest, ErrorMessagesNeverEchoHostileValues) {
  const std::string hostile = "\x1b[2J<script>secret-token";
  const std::string msgs[] = {
      EncodeError(AuthFailure{.attempted_user = hostile, .reason = "", .ip = "1.2.3.4"}),
      EncodeError(AuthFailure{.attempted_user = hostile, .reason = "r", .ip = hostile}),
      EncodeError(CustomEvent{.event_type = hostile}),
      EncodeError(CustomEvent{.event_type = "x", .fields = {{hostile, 1}}}),
  };
  for (const std::string& m : msgs) {
    EXPECT_THAT(m, Not(HasSubstr("secret")));
    EXPECT_THAT(m, Not(HasSubstr("\x1b")));
    EXPECT_EQ(testing::FindForbiddenText(m), "");
  }
}

TEST_F(EventCodecTest, FailedEncodeLeavesThePreviousOutputAlone) {
  EncodedEvent out;
  ASSERT_OK(EncodeEvent(SealVerified{.shard_id = "s"}, {}, &out));
  const std::string before = out.body;
  EXPECT_FALSE(EncodeEvent(SealVerified{}, {}, &out).ok());
  EXPECT_EQ(out.body, before);
  // The encoder's scratch state does not leak into the next event.
  ASSERT_OK(EncodeEvent(SealVerified{.shard_id = "t"}, {}, &out));
  EXPECT_EQ(out.body, R"("event":{"event_type":"seal_verified","shard_id":"t","worker_id":""})");
}

TEST(SnakeCaseNameTest, AcceptsOnlyLowercaseLettersDigitsAndUnderscores) {
  EXPECT_TRUE(IsSnakeCaseName("a"));
  EXPECT_TRUE(IsSnakeCaseName("a_1_"));
  EXPECT_TRUE(IsSnakeCaseName(std::string(64, 'z')));
  EXPECT_FALSE(IsSnakeCaseName(std::string(65, 'z')));
  EXPECT_FALSE(IsSnakeCaseName(""));
  EXPECT_FALSE(IsSnakeCaseName("A"));
  EXPECT_FALSE(IsSnakeCaseName("9a"));
  EXPECT_FALSE(IsSnakeCaseName("_a"));
  EXPECT_FALSE(IsSnakeCaseName("a-b"));
  EXPECT_FALSE(IsSnakeCaseName(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace auditlog::internal
