// The public retention entry points; see auditlog/retention.h. Thin: the planning and the
// crash-safe steps are retention.cc's, the same code a running Logger applies.
#include "auditlog/query.h"
#include "auditlog/retention.h"
#include "format/manifest.h"
#include "storage/record_writer.h"

namespace auditlog {

namespace {

std::int64_t NowMicros(Env* env, const RetentionOptions& options) {
  return options.now ? TimeToMicros(*options.now) : env->NowMicros();
}

}  // namespace

Result<std::vector<RetentionStep>> PlanRetention(const std::filesystem::path& dir,
                                                 const RetentionPolicy& policy,
                                                 const RetentionOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  const std::int64_t now = NowMicros(env, options);
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<internal::Manifest> manifest,
                            internal::LoadManifest(env, dir));
  if (!manifest) {
    return Status::NotFound(dir.string() + ": no manifest.json (not an auditlog log directory?)");
  }
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<internal::RetentionAction> actions,
                            internal::PlanRetention(env, dir, *manifest, policy, now));
  std::vector<RetentionStep> plan;
  plan.reserve(actions.size());
  for (internal::RetentionAction& a : actions) {
    plan.push_back({.kind = a.kind == internal::RetentionAction::kArchive
                                ? RetentionStep::Kind::kArchive
                                : RetentionStep::Kind::kDelete,
                    .segment = std::move(a.segment),
                    .age_days = a.age_days,
                    .first_seq = a.first_seq,
                    .last_seq = a.last_seq,
                    .last_hash = std::move(a.last_hash)});
  }
  return plan;
}

Result<std::size_t> ApplyRetention(const std::filesystem::path& dir, const RetentionPolicy& policy,
                                   const RetentionOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  return internal::ApplyRetentionToLog(env, dir, policy, NowMicros(env, options));
}

}  // namespace auditlog
