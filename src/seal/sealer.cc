// Sealer (sealer.h).
#include "seal/sealer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "engine/record_clock.h"
#include "format/record_format.h"
#include "seal/sealer_scan.h"

namespace auditlog::internal {
namespace {

IntegrityViolation SealIncident(std::string what, std::string action) {
  return IntegrityViolation{.resource_type = "seal_state",
                            .resource_id = std::move(what),
                            .severity = "critical",
                            .action_taken = std::move(action)};
}

// The tree and the last seal: from the tile store and the log's tail when the store can be
// trusted, else from the whole log. *tiles is reset when it cannot be used.
Result<LogScan> ScanLog(Env* env, const std::filesystem::path& dir, std::uint64_t records,
                        std::unique_ptr<TileStore>* tiles) {
  auto opened = TileStore::Open(env, dir, TileStore::Mode::kRepair);
  if (opened.ok()) {
    *tiles = std::move(*opened);
    bool unusable = false;
    AUDITLOG_ASSIGN_OR_RETURN(LogScan scan,
                              ScanLogIntoTiles(env, dir, records, tiles->get(), &unusable));
    // A store that disagrees with the log's last seal is rebuilt from the whole log.
    if (unusable && (*tiles)->min_index() == 0 && (*tiles)->TruncateTo(0).ok()) {
      AUDITLOG_ASSIGN_OR_RETURN(scan, ScanLogIntoTiles(env, dir, records, tiles->get(), &unusable));
    }
    if (!unusable) return scan;
  }
  tiles->reset();
  return ScanWholeLog(env, dir);
}

}  // namespace

Result<Sealer::Opened> Sealer::Open(Env* env, const std::filesystem::path& dir,
                                    std::uint64_t next_seq, std::int64_t now_micros) {
  Opened out;
  if (!IsSealedLog(env, dir)) return out;
  constexpr const char* kNotSealing =
      "records are not sealed by this writer (verify fails from here)";
  auto state = ReadSealState(env, dir);
  if (!state.ok()) {
    out.incidents.push_back(
        SealIncident("seal state unusable: " + state.status().message(), kNotSealing));
    return out;
  }
  std::unique_ptr<TileStore> tiles;
  AUDITLOG_ASSIGN_OR_RETURN(LogScan scan, ScanLog(env, dir, next_seq - 1, &tiles));
  if (scan.problem.empty() && scan.last_seq != next_seq - 1) {
    scan.problem = "the log's last record is seq " + std::to_string(scan.last_seq) + ", not " +
                   std::to_string(next_seq - 1);
  }
  if (!scan.problem.empty()) {
    out.incidents.push_back(SealIncident("log cannot be sealed: " + scan.problem, kNotSealing));
    return out;
  }
  constexpr const char* kGoingOn = "sealing continues from the log's last seal";
  if (scan.last_seal && scan.last_seal->log_id != state->schedule.log_id) {
    out.incidents.push_back(
        SealIncident("seal state replaced: its log_id " + state->schedule.log_id +
                         " is not the log_id of the log's seals (" + scan.last_seal->log_id + ")",
                     kGoingOn));
  }
  // A last seal whose records retention deleted (the log now starts after it) is not a cut.
  const bool seal_deleted =
      !scan.last_seal && scan.first_known && scan.first_seq > state->last_seal_seq;
  if (state->last_seal_seq > scan.last_seal_seq && !seal_deleted) {
    out.incidents.push_back(
        SealIncident("log cut back: the seal state's last durable seal is seq " +
                         std::to_string(state->last_seal_seq) + ", the log's last seal is " +
                         (scan.last_seal ? "seq " + std::to_string(scan.last_seal_seq) : "none"),
                     kGoingOn));
  }
  AUDITLOG_ASSIGN_OR_RETURN(auto file, SealStateFile::Open(env, dir, *state));
  std::unique_ptr<Sealer> s(new Sealer(env, std::move(*state), std::move(file)));
  s->chain_ = ForwardKeyChain::FromState(s->state_.epoch, s->state_.schedule.epochs_per_day(),
                                         s->state_.epoch_key, s->state_.next_day_key);
  s->saved_epoch_ = s->state_.epoch;
  s->saved_seal_seq_ = s->state_.last_seal_seq;
  s->gap_epochs_ = MaxSealGapEpochs(s->state_.schedule.interval_ms);
  s->tree_ = std::move(scan.tree);
  s->tiles_ = std::move(tiles);
  s->records_hashed_at_open_ = scan.records_read;
  s->first_seq_ = scan.first_known ? scan.first_seq : 1;
  s->first_ts_micros_ = scan.first_ts_micros;
  if (scan.last_seal) {
    const SealRecord& l = *scan.last_seal;
    auto root = MerkleHashFromHex(l.root);
    s->last_ = SealInfo{l.kind,
                        l.epoch,
                        scan.last_seal_seq,
                        l.last_seq,
                        scan.last_seal_ts,
                        l.tag,
                        root.ok() ? *root : MerkleHash{}};
    s->last_durable_ = s->last_;
    s->has_head_ = true;
    s->head_epoch_ = l.epoch;
    s->head_base_ = s->BaseOf(s->last_);
  }
  auto checkpoints = CheckpointWriter::Open(env, dir, s->state_.schedule.log_id);
  if (checkpoints.ok()) {
    s->checkpoints_ = std::move(*checkpoints);
  } else {
    out.incidents.push_back(SealIncident("checkpoints unusable: " + checkpoints.status().message(),
                                         "no checkpoints are written (records are still sealed)"));
  }
  s->EpochNow(now_micros);
  out.sealer = std::move(s);
  return out;
}

std::uint64_t Sealer::EpochNow(std::int64_t now_micros) {
  epoch_clock_ = std::max(epoch_clock_, state_.schedule.EpochAt(now_micros / 1000));
  return epoch_clock_;
}

std::uint64_t Sealer::BaseOf(const SealInfo& s) const {
  if (s.kind != SealKind::kResume) return s.epoch;
  return std::max(s.epoch, state_.schedule.EpochAt(s.t_end_micros / 1000));
}

std::uint64_t Sealer::ChooseEpoch(std::uint64_t target, bool may_share_epoch) const {
  // A successor's epoch lies in (head.epoch, base(head) + gap] (FORMAT.md §12.6) — a resume
  // or shutdown seal may also share head's epoch, so a writer opened and closed within one
  // interval never seals ahead of the clock — and its key must still be held
  // (>= chain_.epoch()). The rules of OnDurable keep lo <= hi.
  const std::uint64_t after = has_head_ ? head_epoch_ + (may_share_epoch ? 0 : 1) : 0;
  const std::uint64_t lo = std::max(after, chain_.epoch());
  const std::uint64_t hi = has_head_ ? head_base_ + gap_epochs_ : kMaxSealEpoch;
  return std::clamp(target, lo, std::max(lo, hi));
}

std::optional<SealKind> Sealer::DueAt(std::int64_t now_micros, bool records_since_marker) {
  const std::uint64_t e = EpochNow(now_micros);
  if (e == 0) return std::nullopt;
  if (records_since_marker && (!has_head_ || e - 1 > head_epoch_)) return SealKind::kData;
  if (has_head_ && e - 1 >= head_base_ + gap_epochs_) return SealKind::kIdle;
  return std::nullopt;
}

void Sealer::MarkerQueued(SealKind kind, std::uint64_t seq, std::int64_t now_micros) {
  const std::uint64_t e = EpochNow(now_micros);
  std::uint64_t target = e == 0 ? 0 : e - 1;
  if (kind == SealKind::kResume) target = 0;  // the oldest key held: it proves the writer's past
  const std::uint64_t epoch = ChooseEpoch(target, kind == SealKind::kResume);
  pending_.push_back(Pending{kind, epoch, seq});
  has_head_ = true;
  head_epoch_ = epoch;
  head_base_ = kind == SealKind::kResume ? std::max(epoch, e) : epoch;
}

Status Sealer::BuildSeal(std::uint64_t seq, std::int64_t ts_micros, std::string_view chain_hash,
                         EncodedEvent* out) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return p.seq == seq && !p.built; });
  if (it == pending_.end()) {
    return Status::FailedPrecondition("no seal marker queued at seq " + std::to_string(seq));
  }
  AUDITLOG_RETURN_IF_ERROR(Build(it->kind, it->epoch, seq, ts_micros, chain_hash, out));
  it->built = true;
  it->info = last_;
  return Status::Ok();
}

Status Sealer::BuildShutdownSeal(std::uint64_t seq, std::int64_t ts_micros,
                                 std::string_view chain_hash, EncodedEvent* out) {
  const std::uint64_t epoch = ChooseEpoch(EpochNow(ts_micros), /*may_share_epoch=*/true);
  AUDITLOG_RETURN_IF_ERROR(Build(SealKind::kShutdown, epoch, seq, ts_micros, chain_hash, out));
  pending_.push_back(Pending{SealKind::kShutdown, epoch, seq, true, last_});
  has_head_ = true;
  head_epoch_ = head_base_ = epoch;
  return Status::Ok();
}

Status Sealer::Build(SealKind kind, std::uint64_t epoch, std::uint64_t seq, std::int64_t ts_micros,
                     std::string_view chain_hash, EncodedEvent* out) {
  if (Tree().size() != seq - 1) {
    return Status::FailedPrecondition("seal at seq " + std::to_string(seq) + ": the tree holds " +
                                      std::to_string(Tree().size()) + " records");
  }
  if (epoch < chain_.epoch()) {
    return Status::FailedPrecondition("seal at seq " + std::to_string(seq) +
                                      ": its epoch's key is gone");
  }
  const MerkleHash root = Tree().Root();
  LogSealed seal{.log_id = state_.schedule.log_id,
                 .kind = std::string(SealKindName(kind)),
                 .epoch = epoch,
                 .t_start = TimeOf(last_.seq != 0 ? last_.t_end_micros
                                                  : std::min(first_ts_micros_, ts_micros)),
                 .t_end = TimeOf(ts_micros),
                 .first_seq = last_.seq != 0 ? last_.seq : first_seq_,
                 .last_seq = seq - 1,
                 .chain = std::string(chain_hash),
                 .tree_size = seq - 1,
                 .root = ToHex(root),
                 .prev_tag = last_.tag};
  if (last_.seq == 0 && seq == 1) seal.t_start = seal.t_end;  // an empty log
  ForwardKeyChain at = chain_;
  at.SeekForward(epoch);
  AUDITLOG_RETURN_IF_ERROR(EncodeSealEvent(std::move(seal), at.MacKey(), out));
  // The body ends in `,"tag":"<64 hex>"}`.
  last_ = SealInfo{
      kind, epoch, seq, seq - 1, ts_micros, out->body.substr(out->body.size() - 66, 64), root};
  return Status::Ok();
}

void Sealer::OnDurable(std::uint64_t synced_seq, std::int64_t now_micros, bool unsealed_records) {
  while (!pending_.empty() && pending_.front().built && pending_.front().seq <= synced_seq) {
    last_durable_ = pending_.front().info;
    pending_.pop_front();
  }
  OnWritten();  // the tile hashes of what is now durable go to their files (no fsync)
  MaybeCheckpoint();
  // The oldest key still needed: that of the oldest seal not yet durable, and never beyond
  // what the newest durable seal lets a successor use (its base + gap); without any durable
  // seal, the first seal's (epoch 0 or the state's) stays.
  std::uint64_t target = EpochNow(now_micros);
  if (unsealed_records && target > 0) --target;
  if (!pending_.empty()) target = std::min(target, pending_.front().epoch);
  if (last_durable_.seq == 0) {
    target = std::min(target, chain_.epoch());
  } else {
    target = std::min(target, BaseOf(last_durable_) + gap_epochs_);
  }
  if (target > chain_.epoch()) chain_.SeekForward(target);
  // Saved when the key moved, and when a newer seal became durable (so that a clean close
  // within one epoch still names its shutdown seal: a log cut back to the seal before shows
  // against the state). At most about once an interval.
  if (chain_.epoch() == saved_epoch_ && last_durable_.seq == saved_seal_seq_) return;
  state_.epoch = chain_.epoch();
  state_.epoch_key = chain_.epoch_key();
  state_.next_day_key = chain_.next_day_key();
  state_.last_seal_seq = last_durable_.seq;
  state_.last_seal_epoch = last_durable_.epoch;
  for (int i = 0; i < 32; ++i) {
    state_.last_tag[i] = static_cast<std::uint8_t>(
        std::stoi(last_durable_.tag.substr(static_cast<std::size_t>(2 * i), 2), nullptr, 16));
  }
  state_error_ = file_->Save(&state_);
  if (state_error_.ok()) {
    saved_epoch_ = state_.epoch;
    saved_seal_seq_ = state_.last_seal_seq;
  }
}

void Sealer::MaybeCheckpoint() {
  if (checkpoints_ == nullptr || last_durable_.seq == 0) return;
  const bool shutdown = last_durable_.kind == SealKind::kShutdown;
  const std::int64_t mono = env_->MonotonicMicros();
  if (!checkpoints_->Due(last_durable_.last_seq, mono, shutdown)) return;
  // The tiles go to disk with each checkpoint (at most once per 60 s, and at a clean close),
  // not once an epoch: TileStore::Sync fsyncs every tile file written since the last one
  // (one per 256 records), which at a few 100k records/s costs more than the writer has.
  // They are derivable: after a crash Open repairs them from the log.
  if (tiles_ != nullptr && !tiles_->Sync().ok()) DropTiles();
  checkpoint_error_ = checkpoints_->Append(last_durable_.last_seq, last_durable_.root, mono);
}

std::int64_t Sealer::NextBoundaryMicros() const {
  return state_.schedule.EpochStartMs(epoch_clock_ + 1) * 1000;
}

}  // namespace auditlog::internal
