// Seal checks of Verify (verify_seals.h).
#include "read/verify_seals.h"

#include <nlohmann/json.hpp>

#include "seal/seal_state.h"

namespace auditlog::internal {
namespace {

// A second for the writer to get a due seal onto the disk.
constexpr std::int64_t kWriteSlackMicros = 1'000'000;

std::string ResourceIdOf(std::string_view event_json) {
  const auto j = nlohmann::json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  auto it = j.find("resource_id");
  if (it == j.end() || !it->is_string()) return "";
  std::string s = it->get<std::string>();
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

}  // namespace

SealChecker::SealChecker(const VerificationKey* key, bool sealed_dir, std::uint32_t interval_ms,
                         std::int64_t now_micros, AddFinding add)
    : key_(key),
      sealed_dir_(sealed_dir),
      interval_ms_(interval_ms),
      now_micros_(now_micros),
      add_(std::move(add)) {
  if (key_ != nullptr) {
    deriver_.emplace(key_->secret, key_->schedule);
    log_id_ = key_->schedule.log_id;
  }
}

void SealChecker::Line(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
                       const Status& parsed, const RecordView& r) {
  if (!parsed.ok()) {
    tree_ok_ = false;  // its seq is unknown: the tree cannot follow (already a finding)
    return;
  }
  if (records_ == 0) first_seq_ = r.seq;
  // A log whose first records retention deleted has no leaves for them: roots go unchecked.
  if (r.leaf_hash == nullptr || first_seq_ != 1 || r.seq != tree_.size() + 1) tree_ok_ = false;
  if (r.event_type == kSealEventType) {
    CheckSeal(file, line_no, offset, r);
  } else if (r.event_type == "integrity_violation" &&
             r.event_json.find("\"resource_type\":\"seal_state\"") != std::string_view::npos) {
    add_(Finding{FindingKind::kSealIncident, file, line_no, offset, r.seq,
                 "the writer recorded a sealing incident: " + ResourceIdOf(r.event_json)});
  } else if (r.event_type == "clock_stepped") {
    span_clock_step_ = true;
  }
  if (tree_ok_) tree_.Append(*r.leaf_hash);
  if (span_records_++ == 0) {
    span_min_ts_ = span_max_ts_ = span_oldest_ts_ = r.ts_micros;
  } else {
    span_min_ts_ = std::min(span_min_ts_, r.ts_micros);
    span_max_ts_ = std::max(span_max_ts_, r.ts_micros);
  }
  ++records_;
  last_seq_ = r.seq;
  last_ts_ = r.ts_micros;
}

void SealChecker::SetState(const SealSchedule& schedule, std::uint64_t epoch,
                           std::uint64_t last_seal_seq) {
  state_ = StateInfo{schedule, epoch, last_seal_seq};
}

std::uint64_t SealChecker::BaseOf(const SealRecord& s) const {
  if (s.kind != SealKind::kResume) return s.epoch;
  // The writer's rule (FORMAT.md §12.6): a resume seal counts from its own time too. The
  // schedule is the key's, else the state file's (start and interval are no secret).
  const SealSchedule* schedule = key_ != nullptr ? &key_->schedule
                                 : state_        ? &state_->schedule
                                                 : nullptr;
  if (schedule == nullptr) return s.epoch;
  return std::max(s.epoch, schedule->EpochAt(s.t_end_micros / 1000));
}

void SealChecker::CheckState() {
  if (!state_ || log_id_.empty() || state_->schedule.log_id != log_id_) return;
  const std::uint64_t last_seal = prev_ ? prev_->seq : 0;
  auto add = [&](std::string reason) {
    add_(Finding{FindingKind::kSealGap, std::string(kSealDirName), 0, 0, std::nullopt,
                 "the log was cut back: " + std::move(reason)});
  };
  if (state_->last_seal_seq > last_seal) {
    add("the seal state's last durable seal is seq " + std::to_string(state_->last_seal_seq) +
        ", the log's last seal " + (prev_ ? "is seq " + std::to_string(last_seal) : "is none"));
    return;
  }
  const std::uint64_t gap = MaxSealGapEpochs(state_->schedule.interval_ms);
  if (!prev_ ? state_->epoch > 0 : state_->epoch > max_base_ + gap) {
    add("the seal state's key is at epoch " + std::to_string(state_->epoch) +
        ", past every epoch a successor of the log's last seal may have (" +
        (prev_ ? "at most " + std::to_string(max_base_ + gap) : std::string("no seal")) +
        "): the seals after it are missing");
  }
}

void SealChecker::CheckEpochs(const SealRecord& s,
                              const std::function<void(FindingKind, std::string)>& add,
                              bool* tag_checkable) {
  const std::string e = std::to_string(s.epoch);
  if (!prev_) {
    if (first_seq_ == 1 && s.epoch != 0) {
      add(FindingKind::kSealGap, "the log's first seal is at epoch " + e +
                                     ", not 0 (earlier seals are missing, or the records were "
                                     "re-sealed with a later key)");
    }
  } else {
    const SealRecord& p = prev_->rec;
    // Epochs increase; a resume or shutdown seal may share the previous seal's (a writer
    // opened or closed within one interval).
    const bool may_share = s.kind == SealKind::kResume || s.kind == SealKind::kShutdown;
    if (s.epoch < p.epoch || (s.epoch == p.epoch && !may_share)) {
      add(FindingKind::kSealGap,
          "epoch " + e + " does not follow the previous seal's epoch " + std::to_string(p.epoch));
      *tag_checkable = s.epoch == p.epoch;  // the key chain only goes forward
    } else if (interval_ms_ != 0 && s.epoch > BaseOf(p) + MaxSealGapEpochs(interval_ms_)) {
      add(FindingKind::kSealGap,
          "epoch gap: epoch " + e + " after " + std::to_string(p.epoch) + " (at most " +
              std::to_string(MaxSealGapEpochs(interval_ms_)) +
              " epochs pass between seals): seals are missing — the log was cut back to seq " +
              std::to_string(prev_->seq) + " and continued, or records were removed");
    }
    if (p.kind == SealKind::kShutdown && s.kind != SealKind::kResume) {
      add(FindingKind::kSealGap, "a " + std::string(SealKindName(s.kind)) +
                                     " seal after a shutdown seal (a writer's first seal is "
                                     "a resume seal)");
    }
    if (s.kind == SealKind::kResume && p.kind != SealKind::kShutdown) ++unclean_restarts_;
  }
  if (key_ != nullptr) {
    const SealSchedule& k = key_->schedule;
    if (s.epoch > kMaxSealEpoch || s.epoch > k.EpochAt(now_micros_ / 1000) + 1) {
      add(FindingKind::kSealGap, "epoch " + e + " lies in the future");
      *tag_checkable = false;
    } else if (k.EpochStartMs(s.epoch) > s.t_end_micros / 1000 + 1) {
      add(FindingKind::kSealWindow,
          "made with the key of epoch " + e + ", which begins after the seal's own timestamp");
    }
  }
}

void SealChecker::CheckSeal(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
                            const RecordView& r) {
  auto add = [&](FindingKind kind, std::string reason) {
    add_(Finding{kind, file, line_no, offset, r.seq,
                 "seal at seq " + std::to_string(r.seq) + ": " + std::move(reason)});
  };
  auto parsed = ParseSealEvent(r.event_json);
  if (!parsed.ok()) {
    add(FindingKind::kSealBroken, parsed.status().message());
    return;
  }
  const SealRecord& s = *parsed;
  ++seals_;
  const std::uint64_t expected_first = prev_ ? prev_->seq : first_seq_;
  if (s.first_seq != expected_first) {
    add(FindingKind::kSealBroken, "covers from seq " + std::to_string(s.first_seq) +
                                      ", not from seq " + std::to_string(expected_first) +
                                      " (records between the seals are not covered)");
  }
  if (s.last_seq != r.seq - 1 || s.tree_size != s.last_seq) {
    add(FindingKind::kSealBroken, "covers up to seq " + std::to_string(s.last_seq) +
                                      " (tree_size " + std::to_string(s.tree_size) +
                                      "), not up to the record before it");
  }
  if (s.chain != r.prev_hash) {
    add(FindingKind::kSealBroken,
        "its chain hash is not the hash of seq " + std::to_string(r.seq - 1));
  }
  if (tree_ok_ && tree_.size() == s.tree_size && ToHex(tree_.Root()) != s.root) {
    add(FindingKind::kSealBroken,
        "its Merkle root is not the root of records 1.." + std::to_string(s.tree_size));
  }
  if (s.prev_tag != (prev_ ? prev_->rec.tag : std::string(kZeroTag))) {
    add(FindingKind::kSealBroken, "prev_tag is not the previous seal's tag");
  }
  if (log_id_.empty()) log_id_ = s.log_id;
  if (s.log_id != log_id_) {
    add(FindingKind::kSealBroken, "log_id " + s.log_id + " is not the log's (" + log_id_ + ")");
  }
  if (s.t_end_micros != r.ts_micros || (prev_ && s.t_start_micros != prev_->rec.t_end_micros) ||
      s.t_start_micros > s.t_end_micros) {
    add(FindingKind::kSealBroken,
        "its window [t_start, t_end] does not run from the previous seal to its own timestamp");
  }
  if (span_records_ > 0 &&
      (span_max_ts_ > s.t_end_micros || (!span_clock_step_ && span_min_ts_ < s.t_start_micros))) {
    add(FindingKind::kSealWindow,
        "a record it covers is stamped outside its window (records moved under a later seal)");
  }
  bool tag_checkable = true;
  CheckEpochs(s, add, &tag_checkable);
  if (deriver_ && tag_checkable && !SealTagMatches(r.event_json, s, deriver_->MacKeyFor(s.epoch))) {
    add(FindingKind::kSealTagMismatch,
        "its tag does not verify with the key of epoch " + std::to_string(s.epoch) +
            " (forged or altered, or this is not the log's verification key)");
  }
  if (log_id_ == s.log_id) max_base_ = std::max(max_base_, BaseOf(s));
  prev_ = PrevSeal{std::move(*parsed), r.seq};
  span_records_ = 0;
  span_clock_step_ = false;
}

void SealChecker::Finish(SealReport* out) {
  out->sealed = sealed_dir_ || seals_ > 0 || key_ != nullptr;
  if (!out->sealed) return;
  out->tags_checked = key_ != nullptr;
  out->seals = seals_;
  out->interval_ms = interval_ms_;
  out->unclean_restarts = unclean_restarts_;
  out->last_record_micros = last_ts_;
  if (seals_ > 0 && !sealed_dir_) {
    add_(Finding{FindingKind::kSealBroken, "seal", 0, 0, std::nullopt,
                 "the log has seal records but no seal/ directory (its seal state was removed)"});
  }
  CheckState();
  const std::int64_t interval = static_cast<std::int64_t>(interval_ms_) * 1000;
  if (!prev_) {
    out->unsealed_records = records_;
    if (key_ != nullptr && records_ > 0 &&
        last_ts_ > key_->schedule.start_ms * 1000 + interval + kWriteSlackMicros &&
        now_micros_ > last_ts_ + interval + kWriteSlackMicros) {
      add_(Finding{FindingKind::kSealGap, "", 0, 0, last_seq_,
                   "no seal in a sealed log: records stamped after sealing began are not sealed"});
    }
    out->live = records_ == 0 ||
                (interval > 0 && now_micros_ - span_oldest_ts_ <= interval + kWriteSlackMicros);
    return;
  }
  out->sealed_through = prev_->rec.last_seq;
  out->last_seal_micros = prev_->rec.t_end_micros;
  out->unsealed_records = last_seq_ > prev_->seq ? last_seq_ - prev_->seq : 0;
  out->clean_end = out->unsealed_records == 0 && prev_->rec.kind == SealKind::kShutdown;
  if (out->clean_end && state_ && state_->schedule.log_id == log_id_ && interval_ms_ != 0) {
    // A writer stops at its shutdown seal: the state's key can only be a little past it (the
    // seal's last fsync). Further on, a later writer ran and its seals were cut off.
    const std::uint64_t slack_epochs =
        std::max<std::uint64_t>(1, (kWriteSlackMicros / 1000 + interval_ms_ - 1) / interval_ms_);
    if (state_->epoch > prev_->rec.epoch + slack_epochs) out->clean_end = false;
  }
  if (interval > 0) {
    const std::int64_t gap = static_cast<std::int64_t>(MaxSealGapEpochs(interval_ms_)) * interval;
    const bool tail_young = out->unsealed_records == 0 ||
                            now_micros_ - span_oldest_ts_ <= 2 * interval + kWriteSlackMicros;
    out->live =
        tail_young && now_micros_ - out->last_seal_micros <= gap + 2 * interval + kWriteSlackMicros;
  }
}

}  // namespace auditlog::internal
