// StorageUpkeep (storage_upkeep.h).
#include "engine/storage_upkeep.h"

#include <string>
#include <vector>

namespace auditlog::internal {
namespace {

// How often an idle writer looks after its storage: daily rotation, and whether the active
// segment is still the file at its path.
constexpr std::int64_t kMaintenanceMicros = 1000 * 1000;

}  // namespace

StorageUpkeep::StorageUpkeep(const Config& config, Env* env, RecordWriter* writer, EventRing* ring,
                             DurableWatermark* watermark, StorageFailures* failures,
                             std::function<void(std::int64_t)> old_segment_synced)
    : config_(config),
      env_(env),
      writer_(writer),
      ring_(ring),
      watermark_(watermark),
      failures_(failures),
      old_segment_synced_(std::move(old_segment_synced)),
      next_maintenance_mono_(env->MonotonicMicros() + kMaintenanceMicros) {}

bool StorageUpkeep::Maintain() {
  next_maintenance_mono_ = env_->MonotonicMicros() + kMaintenanceMicros;
  if (!CheckActiveSegment()) return false;
  if (writer_->RotationDue(env_->NowMicros()) && !RotateSegment()) return false;
  return true;
}

bool StorageUpkeep::RotateSegment() {
  const std::int64_t t0 = env_->MonotonicMicros();
  bool retried = false;
  Status s = failures_->Retry(
      [&] {
        Status r = writer_->Rotate();
        // Only a full disk leaves the writer usable (any other failure is sticky).
        retried = retried || !r.ok();
        return r;
      },
      "the rotation to a new segment could not finish");
  if (!s.ok()) {
    failures_->EnterFailed(s);
    return false;
  }
  if (retried) failures_->StorageWorksAgain(env_->MonotonicMicros());
  old_segment_synced_(env_->MonotonicMicros() - t0);  // Rotate() fsynced the old segment
  watermark_->RecordSegmentCreated();
  ApplyRetention();
  return true;
}

bool StorageUpkeep::CheckActiveSegment() {
  auto replaced = writer_->ActiveSegmentReplaced();
  if (!replaced.ok() || !*replaced) return true;  // a failed lstat is re-tried next time
  // Someone deleted or replaced the file we append to. Close it (what we wrote is still in
  // the unlinked inode and its checksum goes to NAME.sha256 and the manifest), continue in
  // a new segment, and put the incident on the record.
  const std::string old_name = writer_->segment_path().filename().string();
  if (!RotateSegment()) return false;
  const SegmentEntry* entry = writer_->manifest().Find(old_name);
  ring_
      ->EnqueueSystemEvent(IntegrityViolation{
          .resource_type = "audit_segment",
          .resource_id = old_name,
          .expected_hash = entry != nullptr ? entry->sha256 : std::string(),
          .actual_hash = env_->FileExists(writer_->segment_path().parent_path() / old_name)
                             ? "replaced"
                             : "deleted",
          .severity = "critical",
          .action_taken =
              "continued in new segment " + writer_->segment_path().filename().string()})
      .status()
      .IgnoreError();  // reserve slots: fits
  return true;
}

void StorageUpkeep::ApplyRetention() {
  std::vector<LibraryEvent> records;
  Status s = writer_->ApplyRetention(config_.retention, env_->NowMicros(), &records);
  for (const LibraryEvent& e : records) ring_->EnqueueSystemEvent(e).status().IgnoreError();
  if (!s.ok()) {
    // Retention is upkeep, not the audit trail: the log stays writable, and the problem (for
    // example a closed segment that no longer matches its checksum) goes on the record.
    ring_
        ->EnqueueSystemEvent(
            IntegrityViolation{.resource_type = "audit_retention",
                               .resource_id = config_.service_id,
                               .severity = "critical",
                               .action_taken = "retention stopped: " + s.message()})
        .status()
        .IgnoreError();
  }
}

}  // namespace auditlog::internal
