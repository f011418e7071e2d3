// The typed audit events: 35 service event types in 7 categories (authentication,
// authorization, resources, tasks, VRAM, security incidents, data access and GDPR), the
// library's own system events, the shared types they use, and user-defined events
// (CustomEvent).
//
// Each event type is described exactly once, here: its struct (member names are the JSON
// field names), its kInfo (snake_case type name, category, criticality) and its Fields()
// list (order, and per-field rules such as "required" or a tighter length limit). JSON
// writing, validation, neutralization of hostile strings and criticality are all derived
// from that description by generic code in src/format/event_codec.cc.
//
// Example:
//   logger->Emit(auditlog::AuthFailure{.attempted_user = "mallory", .reason = "bad_password",
//                                      .ip = "203.0.113.7", .path = "/v2/tasks",
//                                      .service_id = "queen"});
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "auditlog/export.h"
#include "auditlog/internal/field.h"
#include "auditlog/value.h"

namespace auditlog {

using Time = std::chrono::system_clock::time_point;

enum class Criticality : std::uint8_t { kRoutine, kCritical };

enum class Category : std::uint8_t {
  kAuth,
  kAuthz,
  kResource,
  kVram,
  kSecurity,
  kData,
  kCompliance,
  kSystem,  // records the library writes about itself (recovery, suspension, retention)
  kCustom,
};
AUDITLOG_EXPORT std::string_view CategoryName(Category c);

// What the description of every event type carries besides its fields.
struct EventInfo {
  std::string_view type_name{};  // snake_case, the JSON "event_type"
  Category category{};
  Criticality criticality{};
};

// Shorthands for the Fields() lists below; undefined at the end of this header.
#define AUDITLOG_F(Type, name) ::auditlog::internal::Field(#name, &Type::name)
#define AUDITLOG_REQ(Type, name) \
  ::auditlog::internal::Field(#name, &Type::name, ::auditlog::internal::kRequired)

// ---------------------------------------------------------------------------------------
// Shared types.

enum class AuthMethod : std::uint8_t { kBearerToken, kApiKey, kMTls, kInternal };
AUDITLOG_EXPORT std::string_view AuthMethodName(
    AuthMethod m);  // "bearer_token", "api_key", "m_tls", "internal"

// An IPv4 or IPv6 address given as text. It is checked (and written in canonical form) when
// the event is emitted; a malformed address is a programming error and rejects the event.
class IpAddr {
 public:
  IpAddr() = default;
  IpAddr(std::string text) : text_(std::move(text)) {}  // NOLINT: implicit by design
  IpAddr(const char* text) : text_(text) {}             // NOLINT
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

struct ActorInfo {
  std::string user_id{};  // for token auth: "token:" + first 6 hex of SHA-256(token)
  std::optional<IpAddr> ip{};
  AuthMethod auth_method = AuthMethod::kInternal;
  std::optional<std::string> session_id{};

  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(ActorInfo, user_id), AUDITLOG_F(ActorInfo, ip),
                      AUDITLOG_F(ActorInfo, auth_method), AUDITLOG_F(ActorInfo, session_id));
  }
};

struct ResourceInfo {
  std::string resource_type{};
  std::string resource_id{};
  std::optional<std::string> parent_id{};

  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(ResourceInfo, resource_type),
                      AUDITLOG_REQ(ResourceInfo, resource_id), AUDITLOG_F(ResourceInfo, parent_id));
  }
};

// The outcome of an operation: "success", {"failure":{"reason":…}} or
// {"partial_success":{"details":…}}.
struct AuditResult {
  enum class Kind : std::uint8_t { kSuccess, kFailure, kPartialSuccess };
  Kind kind = Kind::kSuccess;
  std::string detail{};  // the failure reason or the partial-success details

  static AuditResult Success() { return {}; }
  static AuditResult Failure(std::string reason) { return {Kind::kFailure, std::move(reason)}; }
  static AuditResult PartialSuccess(std::string details) {
    return {Kind::kPartialSuccess, std::move(details)};
  }
};

// ---------------------------------------------------------------------------------------
// The service event types. Token-limited fields (token_prefix) are cut to their limit.

#define AUDITLOG_INFO(name, cat, crit) \
  static constexpr EventInfo kInfo { name, Category::cat, Criticality::crit }

// -- Authentication --
struct AuthSuccess {
  AUDITLOG_INFO("auth_success", kAuth, kRoutine);
  ActorInfo actor{};
  AuthMethod method = AuthMethod::kBearerToken;
  std::string path{};
  std::string service_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(AuthSuccess, actor), AUDITLOG_F(AuthSuccess, method),
                      AUDITLOG_F(AuthSuccess, path), AUDITLOG_F(AuthSuccess, service_id));
  }
};

struct AuthFailure {
  AUDITLOG_INFO("auth_failure", kAuth, kCritical);
  std::optional<std::string> attempted_user{};
  std::string reason{};
  IpAddr ip{};
  std::string path{};
  std::string service_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(AuthFailure, attempted_user), AUDITLOG_REQ(AuthFailure, reason),
                      AUDITLOG_REQ(AuthFailure, ip), AUDITLOG_F(AuthFailure, path),
                      AUDITLOG_F(AuthFailure, service_id));
  }
};

struct TokenCreated {
  AUDITLOG_INFO("token_created", kAuth, kRoutine);
  ActorInfo actor{};
  std::string token_fingerprint{};
  StringList scope{};
  std::optional<Time> expires_at{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(TokenCreated, actor),
                      AUDITLOG_REQ(TokenCreated, token_fingerprint),
                      AUDITLOG_F(TokenCreated, scope), AUDITLOG_F(TokenCreated, expires_at));
  }
};

struct TokenRevoked {
  AUDITLOG_INFO("token_revoked", kAuth, kCritical);
  ActorInfo actor{};
  std::string token_fingerprint{};
  std::string reason{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(TokenRevoked, actor),
                      AUDITLOG_REQ(TokenRevoked, token_fingerprint),
                      AUDITLOG_REQ(TokenRevoked, reason));
  }
};

// -- Authorization --
struct AuthorizationGranted {
  AUDITLOG_INFO("authorization_granted", kAuthz, kRoutine);
  ActorInfo actor{};
  ResourceInfo resource{};
  std::string action{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(AuthorizationGranted, actor),
                      AUDITLOG_F(AuthorizationGranted, resource),
                      AUDITLOG_REQ(AuthorizationGranted, action));
  }
};

struct AuthorizationDenied {
  AUDITLOG_INFO("authorization_denied", kAuthz, kRoutine);
  ActorInfo actor{};
  ResourceInfo resource{};
  std::string action{};
  std::string reason{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_F(AuthorizationDenied, actor), AUDITLOG_F(AuthorizationDenied, resource),
        AUDITLOG_REQ(AuthorizationDenied, action), AUDITLOG_REQ(AuthorizationDenied, reason));
  }
};

struct PermissionChanged {
  AUDITLOG_INFO("permission_changed", kAuthz, kRoutine);
  ActorInfo actor{};
  std::string subject{};
  StringList old_permissions{};
  StringList new_permissions{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(PermissionChanged, actor),
                      AUDITLOG_REQ(PermissionChanged, subject),
                      AUDITLOG_F(PermissionChanged, old_permissions),
                      AUDITLOG_F(PermissionChanged, new_permissions));
  }
};

// -- Resource operations --
struct PoolCreated {
  AUDITLOG_INFO("pool_created", kResource, kRoutine);
  ActorInfo actor{};
  std::string pool_id{};
  std::string model_ref{};
  std::string node_id{};
  std::uint32_t replicas = 0;
  std::vector<std::uint32_t> gpu_devices{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(PoolCreated, actor), AUDITLOG_REQ(PoolCreated, pool_id),
                      AUDITLOG_F(PoolCreated, model_ref), AUDITLOG_F(PoolCreated, node_id),
                      AUDITLOG_F(PoolCreated, replicas), AUDITLOG_F(PoolCreated, gpu_devices));
  }
};

struct PoolDeleted {
  AUDITLOG_INFO("pool_deleted", kResource, kRoutine);
  ActorInfo actor{};
  std::string pool_id{};
  std::string model_ref{};
  std::string node_id{};
  std::string reason{};
  std::uint32_t replicas_terminated = 0;
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(PoolDeleted, actor), AUDITLOG_REQ(PoolDeleted, pool_id),
                      AUDITLOG_F(PoolDeleted, model_ref), AUDITLOG_F(PoolDeleted, node_id),
                      AUDITLOG_F(PoolDeleted, reason),
                      AUDITLOG_F(PoolDeleted, replicas_terminated));
  }
};

struct PoolModified {
  AUDITLOG_INFO("pool_modified", kResource, kRoutine);
  ActorInfo actor{};
  std::string pool_id{};
  Value changes{};  // any shape the caller chooses (object, list, …)
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(PoolModified, actor), AUDITLOG_REQ(PoolModified, pool_id),
                      AUDITLOG_F(PoolModified, changes));
  }
};

struct NodeRegistered {
  AUDITLOG_INFO("node_registered", kResource, kRoutine);
  ActorInfo actor{};
  std::string node_id{};
  std::uint32_t gpu_count = 0;
  std::uint64_t total_vram_gb = 0;
  StringList capabilities{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(NodeRegistered, actor), AUDITLOG_REQ(NodeRegistered, node_id),
                      AUDITLOG_F(NodeRegistered, gpu_count),
                      AUDITLOG_F(NodeRegistered, total_vram_gb),
                      AUDITLOG_F(NodeRegistered, capabilities));
  }
};

struct NodeDeregistered {
  AUDITLOG_INFO("node_deregistered", kResource, kRoutine);
  ActorInfo actor{};
  std::string node_id{};
  std::string reason{};
  StringList pools_affected{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(NodeDeregistered, actor), AUDITLOG_REQ(NodeDeregistered, node_id),
                      AUDITLOG_F(NodeDeregistered, reason),
                      AUDITLOG_F(NodeDeregistered, pools_affected));
  }
};

struct TaskSubmitted {
  AUDITLOG_INFO("task_submitted", kResource, kRoutine);
  ActorInfo actor{};
  std::string task_id{};
  std::string model_ref{};
  std::uint64_t prompt_length = 0;  // never the prompt itself
  std::string prompt_hash{};        // SHA-256 of the prompt
  std::uint32_t max_tokens = 0;
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_F(TaskSubmitted, actor), AUDITLOG_REQ(TaskSubmitted, task_id),
        AUDITLOG_F(TaskSubmitted, model_ref), AUDITLOG_F(TaskSubmitted, prompt_length),
        AUDITLOG_F(TaskSubmitted, prompt_hash), AUDITLOG_F(TaskSubmitted, max_tokens));
  }
};

struct TaskCompleted {
  AUDITLOG_INFO("task_completed", kResource, kRoutine);
  std::string task_id{};
  std::string worker_id{};
  std::uint64_t tokens_generated = 0;
  std::uint64_t duration_ms = 0;
  AuditResult result{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(TaskCompleted, task_id), AUDITLOG_F(TaskCompleted, worker_id),
                      AUDITLOG_F(TaskCompleted, tokens_generated),
                      AUDITLOG_F(TaskCompleted, duration_ms), AUDITLOG_F(TaskCompleted, result));
  }
};

struct TaskCanceled {
  AUDITLOG_INFO("task_canceled", kResource, kRoutine);
  ActorInfo actor{};
  std::string task_id{};
  std::string reason{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(TaskCanceled, actor), AUDITLOG_REQ(TaskCanceled, task_id),
                      AUDITLOG_F(TaskCanceled, reason));
  }
};

// -- VRAM operations (byte counts) --
struct VramSealed {
  AUDITLOG_INFO("vram_sealed", kVram, kRoutine);
  std::string shard_id{};
  std::uint32_t gpu_device = 0;
  std::uint64_t vram_bytes = 0;
  std::string digest{};
  std::string worker_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(VramSealed, shard_id), AUDITLOG_F(VramSealed, gpu_device),
                      AUDITLOG_F(VramSealed, vram_bytes), AUDITLOG_F(VramSealed, digest),
                      AUDITLOG_F(VramSealed, worker_id));
  }
};

struct SealVerified {
  AUDITLOG_INFO("seal_verified", kVram, kRoutine);
  std::string shard_id{};
  std::string worker_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(SealVerified, shard_id), AUDITLOG_F(SealVerified, worker_id));
  }
};

struct SealVerificationFailed {
  AUDITLOG_INFO("seal_verification_failed", kVram, kCritical);
  std::string shard_id{};
  std::string reason{};
  std::string expected_digest{};
  std::string actual_digest{};
  std::string worker_id{};
  std::string severity{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(SealVerificationFailed, shard_id),
                      AUDITLOG_REQ(SealVerificationFailed, reason),
                      AUDITLOG_F(SealVerificationFailed, expected_digest),
                      AUDITLOG_F(SealVerificationFailed, actual_digest),
                      AUDITLOG_F(SealVerificationFailed, worker_id),
                      AUDITLOG_F(SealVerificationFailed, severity));
  }
};

struct VramAllocated {
  AUDITLOG_INFO("vram_allocated", kVram, kRoutine);
  std::uint64_t requested_bytes = 0;
  std::uint64_t allocated_bytes = 0;
  std::uint64_t available_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint32_t gpu_device = 0;
  std::string worker_id{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_F(VramAllocated, requested_bytes), AUDITLOG_F(VramAllocated, allocated_bytes),
        AUDITLOG_F(VramAllocated, available_bytes), AUDITLOG_F(VramAllocated, used_bytes),
        AUDITLOG_F(VramAllocated, gpu_device), AUDITLOG_F(VramAllocated, worker_id));
  }
};

struct VramAllocationFailed {
  AUDITLOG_INFO("vram_allocation_failed", kVram, kRoutine);
  std::uint64_t requested_bytes = 0;
  std::uint64_t available_bytes = 0;
  std::string reason{};
  std::uint32_t gpu_device = 0;
  std::string worker_id{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_F(VramAllocationFailed, requested_bytes),
        AUDITLOG_F(VramAllocationFailed, available_bytes), AUDITLOG_F(VramAllocationFailed, reason),
        AUDITLOG_F(VramAllocationFailed, gpu_device), AUDITLOG_F(VramAllocationFailed, worker_id));
  }
};

struct VramDeallocated {
  AUDITLOG_INFO("vram_deallocated", kVram, kRoutine);
  std::string shard_id{};
  std::uint64_t freed_bytes = 0;
  std::uint64_t remaining_used = 0;
  std::uint32_t gpu_device = 0;
  std::string worker_id{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(VramDeallocated, shard_id), AUDITLOG_F(VramDeallocated, freed_bytes),
        AUDITLOG_F(VramDeallocated, remaining_used), AUDITLOG_F(VramDeallocated, gpu_device),
        AUDITLOG_F(VramDeallocated, worker_id));
  }
};

// -- Security incidents --
struct RateLimitExceeded {
  AUDITLOG_INFO("rate_limit_exceeded", kSecurity, kRoutine);  // throttling is expected traffic
  IpAddr ip{};
  std::string endpoint{};
  std::uint32_t limit = 0;
  std::uint32_t actual = 0;
  std::uint32_t window_seconds = 0;
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(RateLimitExceeded, ip), AUDITLOG_F(RateLimitExceeded, endpoint),
                      AUDITLOG_F(RateLimitExceeded, limit), AUDITLOG_F(RateLimitExceeded, actual),
                      AUDITLOG_F(RateLimitExceeded, window_seconds));
  }
};

struct PathTraversalAttempt {
  AUDITLOG_INFO("path_traversal_attempt", kSecurity, kCritical);
  ActorInfo actor{};
  std::string attempted_path{};
  std::string endpoint{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(PathTraversalAttempt, actor),
                      AUDITLOG_F(PathTraversalAttempt, attempted_path),
                      AUDITLOG_F(PathTraversalAttempt, endpoint));
  }
};

struct InvalidTokenUsed {
  AUDITLOG_INFO("invalid_token_used", kSecurity, kCritical);
  IpAddr ip{};
  std::string token_prefix{};  // at most the first 6 characters; longer input is cut
  std::string endpoint{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(InvalidTokenUsed, ip),
                      ::auditlog::internal::Field("token_prefix", &InvalidTokenUsed::token_prefix,
                                                  ::auditlog::internal::kNone, 6),
                      AUDITLOG_F(InvalidTokenUsed, endpoint));
  }
};

struct PolicyViolation {
  AUDITLOG_INFO("policy_violation", kSecurity, kCritical);
  std::string policy{};
  std::string violation{};
  std::string details{};
  std::string severity{};
  std::string worker_id{};
  std::string action_taken{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(PolicyViolation, policy), AUDITLOG_F(PolicyViolation, violation),
                      AUDITLOG_F(PolicyViolation, details), AUDITLOG_F(PolicyViolation, severity),
                      AUDITLOG_F(PolicyViolation, worker_id),
                      AUDITLOG_F(PolicyViolation, action_taken));
  }
};

struct SuspiciousActivity {
  AUDITLOG_INFO("suspicious_activity", kSecurity, kCritical);
  ActorInfo actor{};
  std::string activity_type{};
  std::string details{};
  std::uint8_t risk_score = 0;  // 0–100; larger values are rejected
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_F(SuspiciousActivity, actor),
                      AUDITLOG_REQ(SuspiciousActivity, activity_type),
                      AUDITLOG_F(SuspiciousActivity, details),
                      ::auditlog::internal::Field("risk_score", &SuspiciousActivity::risk_score,
                                                  ::auditlog::internal::kPercent));
  }
};

struct IntegrityViolation {
  AUDITLOG_INFO("integrity_violation", kSecurity, kCritical);
  std::string resource_type{};
  std::string resource_id{};
  std::string expected_hash{};
  std::string actual_hash{};
  std::string severity{};
  std::string action_taken{};
  std::optional<std::string> worker_id{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(IntegrityViolation, resource_type),
        AUDITLOG_REQ(IntegrityViolation, resource_id),
        AUDITLOG_F(IntegrityViolation, expected_hash), AUDITLOG_F(IntegrityViolation, actual_hash),
        AUDITLOG_F(IntegrityViolation, severity), AUDITLOG_F(IntegrityViolation, action_taken),
        AUDITLOG_F(IntegrityViolation, worker_id));
  }
};

struct MalformedModelRejected {
  AUDITLOG_INFO("malformed_model_rejected", kSecurity, kCritical);
  std::string model_ref{};
  std::string validation_error{};
  std::string severity{};
  std::string action_taken{};
  std::optional<std::string> worker_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(MalformedModelRejected, model_ref),
                      AUDITLOG_F(MalformedModelRejected, validation_error),
                      AUDITLOG_F(MalformedModelRejected, severity),
                      AUDITLOG_F(MalformedModelRejected, action_taken),
                      AUDITLOG_F(MalformedModelRejected, worker_id));
  }
};

struct ResourceLimitViolation {
  AUDITLOG_INFO("resource_limit_violation", kSecurity, kCritical);
  std::string resource_type{};
  std::string limit_type{};
  std::uint64_t limit_value = 0;
  std::uint64_t actual_value = 0;
  std::string severity{};
  std::string action_taken{};
  std::optional<std::string> worker_id{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(ResourceLimitViolation, resource_type),
                      AUDITLOG_REQ(ResourceLimitViolation, limit_type),
                      AUDITLOG_F(ResourceLimitViolation, limit_value),
                      AUDITLOG_F(ResourceLimitViolation, actual_value),
                      AUDITLOG_F(ResourceLimitViolation, severity),
                      AUDITLOG_F(ResourceLimitViolation, action_taken),
                      AUDITLOG_F(ResourceLimitViolation, worker_id));
  }
};

// -- Data access (GDPR) --
struct InferenceExecuted {
  AUDITLOG_INFO("inference_executed", kData, kRoutine);
  std::string customer_id{};
  std::string job_id{};
  std::string model_ref{};
  std::uint64_t tokens_processed = 0;
  std::optional<std::string> provider_id{};
  AuditResult result{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(InferenceExecuted, customer_id), AUDITLOG_REQ(InferenceExecuted, job_id),
        AUDITLOG_F(InferenceExecuted, model_ref), AUDITLOG_F(InferenceExecuted, tokens_processed),
        AUDITLOG_F(InferenceExecuted, provider_id), AUDITLOG_F(InferenceExecuted, result));
  }
};

struct ModelAccessed {
  AUDITLOG_INFO("model_accessed", kData, kRoutine);
  std::string customer_id{};
  std::string model_ref{};
  std::string access_type{};
  std::optional<std::string> provider_id{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(ModelAccessed, customer_id), AUDITLOG_REQ(ModelAccessed, model_ref),
        AUDITLOG_F(ModelAccessed, access_type), AUDITLOG_F(ModelAccessed, provider_id));
  }
};

struct DataDeleted {
  AUDITLOG_INFO("data_deleted", kData, kRoutine);
  std::string customer_id{};
  StringList data_types{};
  std::string reason{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(DataDeleted, customer_id), AUDITLOG_F(DataDeleted, data_types),
                      AUDITLOG_F(DataDeleted, reason));
  }
};

// -- Compliance (GDPR requests) --
struct GdprDataAccessRequest {
  AUDITLOG_INFO("gdpr_data_access_request", kCompliance, kRoutine);
  std::string customer_id{};
  std::string requester{};
  StringList scope{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(GdprDataAccessRequest, customer_id),
                      AUDITLOG_REQ(GdprDataAccessRequest, requester),
                      AUDITLOG_F(GdprDataAccessRequest, scope));
  }
};

struct GdprDataExport {
  AUDITLOG_INFO("gdpr_data_export", kCompliance, kRoutine);
  std::string customer_id{};
  StringList data_types{};
  std::string export_format{};
  std::string file_hash{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(GdprDataExport, customer_id), AUDITLOG_F(GdprDataExport, data_types),
        AUDITLOG_F(GdprDataExport, export_format), AUDITLOG_F(GdprDataExport, file_hash));
  }
};

struct GdprRightToErasure {
  AUDITLOG_INFO("gdpr_right_to_erasure", kCompliance, kRoutine);
  std::string customer_id{};
  Time completed_at{};
  StringList data_types_deleted{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(GdprRightToErasure, customer_id),
                      AUDITLOG_F(GdprRightToErasure, completed_at),
                      AUDITLOG_F(GdprRightToErasure, data_types_deleted));
  }
};

// ---------------------------------------------------------------------------------------
// System events: records the library writes about the log itself (crash recovery,
// suspension on a full disk, retention, clock steps): the SystemEvent variant below. They are
// not Event alternatives, so a caller cannot Emit them.

// A torn (incomplete) last line found when the log was reopened after a crash. Its bytes
// were moved, unchanged, to `quarantine_file` and cut from `segment`.
struct LogRecovered {
  AUDITLOG_INFO("log_recovered", kSystem, kCritical);
  std::string segment{};
  std::uint64_t offset = 0;  // where the torn bytes started in the segment
  std::uint64_t length = 0;
  std::string sha256{};  // of the quarantined bytes
  std::string quarantine_file{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(LogRecovered, segment), AUDITLOG_F(LogRecovered, offset),
                      AUDITLOG_F(LogRecovered, length), AUDITLOG_REQ(LogRecovered, sha256),
                      AUDITLOG_REQ(LogRecovered, quarantine_file));
  }
};

// The writer stopped writing (for example: free space below Config::min_free_bytes) and
// has now resumed; Emit calls during the suspension were refused and are counted here.
struct LogWritesResumed {
  AUDITLOG_INFO("log_writes_resumed", kSystem, kCritical);
  std::string reason{};
  std::uint64_t suspended_ms = 0;
  std::uint64_t refused_emits = 0;
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(LogWritesResumed, reason),
                      AUDITLOG_F(LogWritesResumed, suspended_ms),
                      AUDITLOG_F(LogWritesResumed, refused_emits));
  }
};

// Retention compressed a closed segment into `archive` (zstd).
struct SegmentArchived {
  AUDITLOG_INFO("segment_archived", kSystem, kRoutine);
  std::string segment{};
  std::string archive{};
  std::uint64_t segment_bytes = 0;
  std::uint64_t archive_bytes = 0;
  std::string segment_sha256{};
  static constexpr auto Fields() {
    return std::tuple(
        AUDITLOG_REQ(SegmentArchived, segment), AUDITLOG_REQ(SegmentArchived, archive),
        AUDITLOG_F(SegmentArchived, segment_bytes), AUDITLOG_F(SegmentArchived, archive_bytes),
        AUDITLOG_F(SegmentArchived, segment_sha256));
  }
};

// Retention deleted a segment past its retention period. The manifest keeps its last seq
// and hash, so the chain of what remains still verifies from that anchor.
struct SegmentDeleted {
  AUDITLOG_INFO("segment_deleted", kSystem, kRoutine);
  std::string segment{};
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string last_hash{};
  std::uint64_t age_days = 0;
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(SegmentDeleted, segment), AUDITLOG_F(SegmentDeleted, first_seq),
                      AUDITLOG_F(SegmentDeleted, last_seq), AUDITLOG_F(SegmentDeleted, last_hash),
                      AUDITLOG_F(SegmentDeleted, age_days));
  }
};

// The wall clock stepped (docs/FORMAT.md §3, "Clock steps"): back by more than a second
// (the writer then continues in a new segment, so timestamps never decrease within one), or
// forward by more than a second beyond what the monotonic clock measured; or, at Open, the
// log's last record is later than the clock. Records after it carry the real clock.
struct ClockStepped {
  AUDITLOG_INFO("clock_stepped", kSystem, kCritical);
  std::string direction{};        // "backward" or "forward"
  Time from{};                    // what the clock should have read (or the last record's time)
  Time to{};                      // what it read
  std::uint64_t step_micros = 0;  // the size of the step
  std::string detected{};         // "between_records" or "at_open"
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(ClockStepped, direction), AUDITLOG_F(ClockStepped, from),
                      AUDITLOG_F(ClockStepped, to), AUDITLOG_F(ClockStepped, step_micros),
                      AUDITLOG_REQ(ClockStepped, detected));
  }
};

// A seal (docs/FORMAT.md §12): the forward-secure MAC, made with the key of `epoch`, over
// this event's members before `tag`. It covers the records first_seq..last_seq (the seal's
// own seq is last_seq + 1), whose timestamps lie in [t_start, t_end] (t_end is the seal's
// own timestamp; t_start the previous seal's). `chain` is the hash of record last_seq;
// `root` the RFC 6962 Merkle tree hash of the records 1..tree_size (= last_seq). Hashes and
// tags are 64 lowercase hex digits; `prev_tag` is the previous seal's tag (zeros for the
// first). kind: "data" (records were logged), "idle" (a heartbeat: nothing but seals since
// the last one), "resume" (the first seal of a writer that opened the log), "shutdown" (the
// last seal of a clean close).
struct LogSealed {
  AUDITLOG_INFO("log_sealed", kSystem, kRoutine);
  std::string log_id{};
  std::string kind{};
  std::uint64_t epoch = 0;
  Time t_start{};
  Time t_end{};
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string chain{};
  std::uint64_t tree_size = 0;
  std::string root{};
  std::string prev_tag{};
  std::string tag{};
  static constexpr auto Fields() {
    return std::tuple(AUDITLOG_REQ(LogSealed, log_id), AUDITLOG_REQ(LogSealed, kind),
                      AUDITLOG_F(LogSealed, epoch), AUDITLOG_F(LogSealed, t_start),
                      AUDITLOG_F(LogSealed, t_end), AUDITLOG_F(LogSealed, first_seq),
                      AUDITLOG_F(LogSealed, last_seq), AUDITLOG_REQ(LogSealed, chain),
                      AUDITLOG_F(LogSealed, tree_size), AUDITLOG_REQ(LogSealed, root),
                      AUDITLOG_REQ(LogSealed, prev_tag), AUDITLOG_REQ(LogSealed, tag));
  }
};

// ---------------------------------------------------------------------------------------
// User-defined events, for anything the built-in types do not describe.
//
// Example:
//   auditlog::CustomEvent{.event_type = "invoice_approved",
//                         .fields = {{"invoice_id", "INV-7"}, {"amount_cents", 129900}},
//                         .criticality = auditlog::Criticality::kRoutine};
struct CustomEvent {
  std::string event_type{};  // snake_case ([a-z][a-z0-9_]*, ≤ 64 bytes), not a built-in name
  Object fields{};           // member names snake_case and unique; "event_type" is reserved
  Criticality criticality = Criticality::kRoutine;
};

// Every event a Logger accepts. Implicitly constructible from each alternative. The system
// events above are not among them: only the library writes those.
using Event = std::variant<
    AuthSuccess, AuthFailure, TokenCreated, TokenRevoked, AuthorizationGranted, AuthorizationDenied,
    PermissionChanged, PoolCreated, PoolDeleted, PoolModified, NodeRegistered, NodeDeregistered,
    TaskSubmitted, TaskCompleted, TaskCanceled, VramSealed, SealVerified, SealVerificationFailed,
    VramAllocated, VramAllocationFailed, VramDeallocated, RateLimitExceeded, PathTraversalAttempt,
    InvalidTokenUsed, PolicyViolation, SuspiciousActivity, IntegrityViolation,
    MalformedModelRejected, ResourceLimitViolation, InferenceExecuted, ModelAccessed, DataDeleted,
    GdprDataAccessRequest, GdprDataExport, GdprRightToErasure, CustomEvent>;

// The records the library writes about the log itself (category kSystem). A reader meets
// them in the log; Emit cannot take them, since they are not Event alternatives.
using SystemEvent = std::variant<LogRecovered, LogWritesResumed, SegmentArchived, SegmentDeleted,
                                 ClockStepped, LogSealed>;

// The service event types are the Event alternatives but the last (CustomEvent).
inline constexpr std::size_t kServiceEventTypeCount = std::variant_size_v<Event> - 1;
inline constexpr std::size_t kBuiltinEventTypeCount =
    kServiceEventTypeCount + std::variant_size_v<SystemEvent>;

// The snake_case type name ("auth_failure", or the custom event's own name).
AUDITLOG_EXPORT std::string_view EventTypeName(const Event& e);
AUDITLOG_EXPORT bool IsCritical(const Event& e);
AUDITLOG_EXPORT Category EventCategory(const Event& e);
AUDITLOG_EXPORT std::string_view EventTypeName(const SystemEvent& e);
AUDITLOG_EXPORT bool IsCritical(const SystemEvent& e);
AUDITLOG_EXPORT Category EventCategory(const SystemEvent& e);

// The EventInfo of every built-in type: the 35 service types in the Event variant's order,
// then the system events in SystemEvent's order.
AUDITLOG_EXPORT const std::vector<EventInfo>& BuiltinEventTypes();

#undef AUDITLOG_INFO
#undef AUDITLOG_REQ
#undef AUDITLOG_F

}  // namespace auditlog
