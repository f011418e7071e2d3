// The seal checks of a full Verify (docs/FORMAT.md §12.7): follows the seal records through
// the log in order, recomputing the Merkle tree over the record lines, and checks each seal
// against the records it covers, against the seal before it (tag chain, epochs, gaps,
// windows), and — with the verification key — its tag. Findings go to the verifier; the
// summary to VerifyReport::seal. Hostile seals cost bounded work: a tag is computed only for
// epochs that increase and lie before now, so the key chain is only ever walked forward.
// Thread-compatible: fed from verify's consuming thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "auditlog/verify.h"
#include "format/record_format.h"
#include "seal/merkle.h"
#include "seal/seal_record.h"
#include "seal/verification_key.h"

namespace auditlog::internal {

class SealChecker {
 public:
  using AddFinding = std::function<void(Finding)>;
  // `key`: the verification key, or null (no tag checks). `sealed_dir`: DIR/seal exists.
  // `interval_ms`: the key's, else the state file's (0: unknown; no gap checks then).
  SealChecker(const VerificationKey* key, bool sealed_dir, std::uint32_t interval_ms,
              std::int64_t now_micros, AddFinding add);

  // The seal state (DIR/seal/state.*) as read before the log's segments were listed: its
  // key can never go back, and a writer moves it at most MaxSealGapEpochs past the base of
  // the last durable seal, which it recorded (the log holds it). A state ahead of the log's
  // seals therefore shows seals missing at the end: the log was cut back. Ignored when its
  // log_id is not the log's (a replaced state; the writer reports that itself).
  void SetState(const SealSchedule& schedule, std::uint64_t epoch, std::uint64_t last_seal_seq);

  // Every complete line of the log, in order (`r` valid only when `parsed` is OK).
  void Line(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
            const Status& parsed, const RecordView& r);
  void Finish(SealReport* out);

 private:
  struct PrevSeal {
    SealRecord rec;
    std::uint64_t seq = 0;
  };
  void CheckSeal(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
                 const RecordView& r);
  void CheckEpochs(const SealRecord& s, const std::function<void(FindingKind, std::string)>& add,
                   bool* tag_checkable);
  std::uint64_t BaseOf(const SealRecord& s) const;
  void CheckState();

  const VerificationKey* key_;
  std::optional<SealKeyDeriver> deriver_;
  const bool sealed_dir_;
  const std::uint32_t interval_ms_;
  const std::int64_t now_micros_;
  AddFinding add_;

  MerkleFrontier tree_;
  bool tree_ok_ = true;
  std::uint64_t records_ = 0;
  std::uint64_t first_seq_ = 0, last_seq_ = 0;
  std::int64_t last_ts_ = 0;
  std::string log_id_;
  std::optional<PrevSeal> prev_;
  std::uint64_t max_base_ = 0;  // the largest BaseOf of the seals so far
  struct StateInfo {
    SealSchedule schedule;
    std::uint64_t epoch = 0, last_seal_seq = 0;
  };
  std::optional<StateInfo> state_;
  std::uint64_t seals_ = 0;
  std::uint64_t unclean_restarts_ = 0;
  // The records since the last seal: how many, their timestamps' range, a clock step among
  // them (a step back legitimately stamps a record before the window).
  std::uint64_t span_records_ = 0;
  std::int64_t span_min_ts_ = 0, span_max_ts_ = 0, span_oldest_ts_ = 0;
  bool span_clock_step_ = false;
};

}  // namespace auditlog::internal
