// Helpers of the sealed-log attack and crash tests (tests/seal_attack_test.cc,
// tests/seal_crash_test.cc): a sealed log written by the real Logger on a fake clock, so
// that epochs pass when the test says so, and the tools an attacker with write access to
// the directory uses: re-chaining edited lines, fixing manifest.json to match, and forging
// seal records with a key of the attacker's choice. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/seal.h"
#include "auditlog/status.h"
#include "auditlog/verify.h"
#include "fake_clock.h"
#include "seal/key_chain.h"

namespace auditlog::testing {

inline constexpr std::chrono::milliseconds kSealInterval{100};

// A sealed log directory driven by a FakeClockEnv: epochs end only when the test advances
// the clock, and AdvanceEpoch() waits for the writer's seal by Flush, not by sleeping.
class SealedLog {
 public:
  // `dir` must be empty or missing; InitSealing runs on it at the fake clock's time.
  explicit SealedLog(std::filesystem::path dir, FakeClockEnv* clock);
  Status Init();

  Config MakeConfig() const;
  Status Open();
  // Emits `n` routine events (TaskCompleted); the last seq emitted goes to `*last`.
  Status Emit(int n, std::uint64_t* last = nullptr);
  // Ends the current epoch: advances the clock one interval, then emits one event and
  // flushes twice, so the writer sees the boundary (queues the seal marker of the records
  // before), frames that marker and fsyncs it. Afterwards a seal covers every record
  // emitted before the call.
  Status AdvanceEpoch() { return AdvanceBy(kSealInterval); }
  // The same with the clock advanced by `d` (a long idle stretch: heartbeat seals).
  Status AdvanceBy(std::chrono::microseconds d);
  Status Shutdown();
  // Init, Open, `epochs` rounds of `per_epoch` events each ended by AdvanceEpoch, Shutdown.
  Status WriteHonest(int epochs, int per_epoch);

  Logger* logger() { return logger_.get(); }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& key() const { return init_.verification_key; }
  const std::string& log_id() const { return init_.log_id; }
  FakeClockEnv* clock() { return clock_; }
  // Segments rotate at this size (0: no size rotation; one segment).
  void set_rotation_bytes(std::uint64_t bytes) { rotation_bytes_ = bytes; }
  // The Env the log is written through (a FaultEnv over the clock; default the clock).
  // REQUIRES: its clocks are the clock's. Must outlive this object's Logger.
  void set_env(Env* env) { env_ = env; }
  void set_flush_mode(FlushMode mode) { flush_mode_ = mode; }

 private:
  std::filesystem::path dir_;
  FakeClockEnv* clock_;
  SealInitResult init_;
  std::unique_ptr<Logger> logger_;
  std::uint64_t rotation_bytes_ = 0;
  Env* env_ = nullptr;  // null: clock_
  FlushMode flush_mode_ = Immediate{};
};

// Verify with the key (and the fake clock's now, so the epochs are not "in the future").
Result<VerifyReport> VerifyWithKey(const std::filesystem::path& dir, const std::string& key,
                                   Env* env);
// True when some finding is of `kind`.
bool HasFinding(const VerifyReport& r, FindingKind kind);
// "kind: reason" of every finding, one a line (for failure messages).
std::string DescribeFindings(const VerifyReport& r);

// ---- attacker tools ----------------------------------------------------------------------

// True when `line` is a log_sealed record.
bool IsSealLine(const std::string& line);
// Indexes (into `lines`) of the seal records.
std::vector<std::size_t> SealLineIndexes(const std::vector<std::string>& lines);
// The seq of a record line (0 if it has none).
std::uint64_t SeqOfLine(const std::string& line);
// The record's "event" member value, as it is on disk.
std::string EventJsonOfLine(const std::string& line);

// Re-frames every line as the writer would after the change: seq and audit_id renumbered
// from `first_seq`, prev_hash chained from `prev_hash`, every hash recomputed. Event bodies
// and timestamps are kept byte for byte. The plain chain of the result is consistent.
std::vector<std::string> Rechain(const std::vector<std::string>& lines, std::uint64_t first_seq = 1,
                                 std::string prev_hash = std::string(64, '0'));

// Rewrites manifest.json to describe the segments as they now are (records, seqs, hashes,
// timestamps, bytes, sha256 and NAME.sha256 files of closed entries; entries of segments no
// longer present removed), so that only the seals can tell what was done.
Status FixManifest(const std::filesystem::path& dir);

// The single segment of `dir` (a test's logs are written without rotation).
std::filesystem::path OnlySegment(const std::filesystem::path& dir);

// Builds a sealed log from `records` (record lines without seals; re-framed and re-chained)
// with a seal after every `records_per_seal` records (and one at the end), as an attacker
// holding a MAC key would: every seal's coverage, chain hash, Merkle root, prev_tag and
// window consistent. Seal i (from 0) gets epoch `epoch_of(i)`, timestamp `ts_of(i, last
// covered record's ts)` and the tag of `mac_key_of(i)`.
struct ForgePlan {
  std::string log_id;
  std::size_t records_per_seal = 3;
  std::function<std::uint64_t(std::size_t)> epoch_of;
  std::function<std::int64_t(std::size_t, std::int64_t)> ts_of;
  std::function<internal::SecretKey(std::size_t)> mac_key_of;
};
Result<std::vector<std::string>> ForgeSealedLines(const std::vector<std::string>& records,
                                                  const ForgePlan& plan);

// Rewrites the seal state's record of the last durable seal (seq, epoch, tag) to the last
// seal of the log's only segment, as an attacker who cut the log back does (the slots are
// checksummed, not keyed). The key in it stays: no one can move it back.
Status MatchStateToLog(const std::filesystem::path& dir, Env* env);

// Copies every file of `from` (seal/ included) over `to`, after removing everything in `to`.
void ReplaceDirectory(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace auditlog::testing
