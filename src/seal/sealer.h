// Sealer: the writer thread's half of sealing (docs/FORMAT.md §12.6). It hashes every framed
// record into the Merkle tree, decides when a seal is due (an epoch with records ended; a
// heartbeat while idle; the first seal of a writer; the last at a clean close), builds each
// seal when its marker reaches the framing step (when the chain hash and the tree over every
// earlier record are known), and steps the key chain forward — erasing old keys from the
// state file — only once the seals made with them are durable.
//
// What an attacker did to the directory never stops logging: a seal state that does not
// match the log (replaced, older, a log cut back under it) is reported as integrity_violation
// records, and sealing goes on from the chain the log holds, so verify still sees the break.
//
// Thread-safety: Open() before the writer thread starts; everything else on the writer thread
// only. Lifetime: owned by the WriterThread.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "format/event_codec.h"
#include "seal/checkpoint_log.h"
#include "seal/key_chain.h"
#include "seal/merkle.h"
#include "seal/seal_record.h"
#include "seal/seal_state.h"
#include "seal/tile_store.h"

namespace auditlog::internal {

class Sealer {
 public:
  struct Opened {
    std::unique_ptr<Sealer> sealer;       // null: the log is not sealed
    std::vector<LibraryEvent> incidents;  // integrity_violation records to queue first
  };
  // Reads the seal state, brings the tile store DIR/tree in step with the log (cut back to
  // what the log and its last seal confirm, then the leaves of the records it lacks, read
  // from the end of the log; the whole log only when the store is empty or untrustworthy)
  // and finds the last seal (for the chain of seals). REQUIRES: the caller holds the directory lock
  // and the RecordWriter has recovered the log (`next_seq` is its next seq). A state that cannot be
  // used gives no sealer and an incident; only an I/O error reading the log is an error.
  static Result<Opened> Open(Env* env, const std::filesystem::path& dir, std::uint64_t next_seq,
                             std::int64_t now_micros);

  // The kind of seal due at `now_micros`, if any. `records_since_marker`: records were
  // queued after the last seal marker.
  std::optional<SealKind> DueAt(std::int64_t now_micros, bool records_since_marker);
  // A marker of `kind` took seq `seq`; fixes the epoch of its seal.
  void MarkerQueued(SealKind kind, std::uint64_t seq, std::int64_t now_micros);
  // The seal of the marker at `seq`, stamped `ts_micros`, after every earlier record went
  // through OnFramed; `chain_hash` is the hash of record seq-1. REQUIRES: MarkerQueued(…, seq).
  Status BuildSeal(std::uint64_t seq, std::int64_t ts_micros, std::string_view chain_hash,
                   EncodedEvent* out);
  // The shutdown seal, framed directly at `seq` (the ring is closed).
  Status BuildShutdownSeal(std::uint64_t seq, std::int64_t ts_micros, std::string_view chain_hash,
                           EncodedEvent* out);
  // A record line (without '\n') was framed: its leaf joins the tree (and the tile store's
  // buffer).
  void OnFramed(std::string_view line) {
    const MerkleHash leaf = MerkleLeafHash(line);
    if (tiles_ != nullptr && tiles_->Append(leaf).ok()) return;
    DropTiles();
    tree_.Append(leaf);
  }
  // Records were written to the log: the tile store writes its buffer (no fsync). Called by
  // OnDurable (once per group commit: fewer, larger writes than once per written chunk);
  // the tiles are fsynced with each checkpoint, and repaired from the log by Open.
  void OnWritten() {
    if (tiles_ != nullptr && !tiles_->Flush().ok()) DropTiles();
  }
  // Everything up to `synced_seq` is durable: seals up to there count as done, and the key
  // chain steps forward as far as the rules allow (saving the state: one fsync).
  // `unsealed_records`: records were queued after the last marker; the key of the epoch
  // just ended then stays, for their seal.
  void OnDurable(std::uint64_t synced_seq, std::int64_t now_micros, bool unsealed_records);
  // The seq of the newest seal marker queued or built (0: none).
  std::uint64_t last_marker_seq() const {
    return pending_.empty() ? last_.seq : pending_.back().seq;
  }
  // When the current epoch ends (Unix micros): the writer looks again then.
  std::int64_t NextBoundaryMicros() const;
  // The last error saving the state (OK if none): the key of an older epoch is still on disk.
  const Status& state_error() const { return state_error_; }
  // The last error appending a checkpoint (OK if none).
  const Status& checkpoint_error() const { return checkpoint_error_; }
  // True while the tile store is kept (false after a write error: the tree lives on in
  // memory, and the next Open repairs the store from the log).
  bool has_tiles() const { return tiles_ != nullptr; }
  // Records whose lines Open hashed (the rest came from the tile store).
  std::uint64_t records_hashed_at_open() const { return records_hashed_at_open_; }

 private:
  struct SealInfo {
    SealKind kind = SealKind::kData;
    std::uint64_t epoch = 0;
    std::uint64_t seq = 0;          // of the seal record; 0: none yet
    std::uint64_t last_seq = 0;     // the last record it covers
    std::int64_t t_end_micros = 0;  // its timestamp
    std::string tag = std::string(kZeroTag);
    MerkleHash root{};  // of the tree it covers (last_seq leaves)
  };
  struct Pending {
    SealKind kind;
    std::uint64_t epoch;
    std::uint64_t seq;
    bool built = false;
    SealInfo info;  // once built
  };

  Sealer(Env* env, SealState state, std::unique_ptr<SealStateFile> file)
      : env_(env), state_(std::move(state)), file_(std::move(file)) {}
  std::uint64_t EpochNow(std::int64_t now_micros);
  // The base a successor seal's epoch counts from (FORMAT.md §12.6).
  std::uint64_t BaseOf(const SealInfo& s) const;
  // The epoch for a seal aimed at `target`. `may_share_epoch`: a resume or shutdown seal,
  // which may have the newest seal's epoch.
  std::uint64_t ChooseEpoch(std::uint64_t target, bool may_share_epoch = false) const;
  const MerkleFrontier& Tree() const { return tiles_ != nullptr ? tiles_->Frontier() : tree_; }
  // Goes on with the in-memory tree alone (the store failed; its frontier holds every leaf).
  void DropTiles() {
    if (tiles_ == nullptr) return;
    tree_ = tiles_->Frontier();
    tiles_.reset();
  }
  void MaybeCheckpoint();
  Status Build(SealKind kind, std::uint64_t epoch, std::uint64_t seq, std::int64_t ts_micros,
               std::string_view chain_hash, EncodedEvent* out);

  Env* const env_;
  SealState state_;  // what the state file holds (epoch_key = the oldest key kept)
  std::unique_ptr<SealStateFile> file_;
  ForwardKeyChain chain_ = ForwardKeyChain::FromState(0, 1, SecretKey(), SecretKey());
  std::uint64_t gap_epochs_ = 1;                   // MaxSealGapEpochs
  MerkleFrontier tree_;                            // the tree, when there is no tile store
  std::unique_ptr<TileStore> tiles_;               // DIR/tree, kept in step with the log
  std::unique_ptr<CheckpointWriter> checkpoints_;  // null: none written
  Status checkpoint_error_;
  std::uint64_t records_hashed_at_open_ = 0;
  std::uint64_t first_seq_ = 1;       // of the log
  std::int64_t first_ts_micros_ = 0;  // of the log's first record
  SealInfo last_;                     // the newest seal queued-and-built, or found in the log
  SealInfo last_durable_;
  std::deque<Pending> pending_;  // markers queued, in seq order, until durable
  // The newest seal queued (or found in the log): what the next one's epoch counts from.
  bool has_head_ = false;
  std::uint64_t head_epoch_ = 0;
  std::uint64_t head_base_ = 0;
  std::uint64_t saved_epoch_ = 0;     // the epoch the state file holds
  std::uint64_t saved_seal_seq_ = 0;  // the last durable seal the state file names
  std::uint64_t epoch_clock_ = 0;     // never goes back, whatever the wall clock does
  Status state_error_;
};

}  // namespace auditlog::internal
