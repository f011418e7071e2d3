// The checkpoint history of a sealed log, DIR/seal/checkpoints (docs/FORMAT.md §12.10): one line
// per signed C2SP checkpoint, the standard base64 (with padding) of the signed note's bytes, ending
// in "\n". Append-only; the writer appends at most one checkpoint per kCheckpointIntervalMicros
// while the tree grows, and one at a clean shutdown, each for the tree size and root of the newest
// durable seal. The last line is the latest checkpoint.
//
// CheckpointWriter is the writer thread's half (one owner). ReadLatestCheckpoint and
// CheckCheckpointLog read the file as hostile input: bounded lines, every note opened with
// the verifier key before its text is used. Pure functions otherwise; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "seal/checkpoint.h"
#include "seal/merkle.h"
#include "seal/signing_key.h"

namespace auditlog::internal {

inline constexpr std::string_view kCheckpointLogFileName = "checkpoints";
// The writer signs a checkpoint at most this often (and at shutdown).
inline constexpr std::int64_t kCheckpointIntervalMicros = 60'000'000;
// A line of the checkpoint log longer than this (base64 of a signed note) is refused.
inline constexpr std::size_t kMaxCheckpointLogLineBytes = 8192;

std::filesystem::path CheckpointLogPath(const std::filesystem::path& dir);

class CheckpointWriter {
 public:
  // Loads DIR/seal/checkpoint.key and reads the latest checkpoint of DIR/seal/checkpoints
  // (cutting off a torn last line a crash left). kNotFound/kInvalidArgument/kCorruption when
  // the key or the file cannot be used (the caller reports it and writes no checkpoints).
  static Result<std::unique_ptr<CheckpointWriter>> Open(Env* env, const std::filesystem::path& dir,
                                                        std::string_view log_id);
  // The tree size of the latest checkpoint in the file (0: none).
  std::uint64_t last_tree_size() const { return last_tree_size_; }
  // True when a checkpoint of a tree of `tree_size` is due at monotonic time `mono_micros`:
  // the tree grew since the last one, and the interval has passed (or `force`).
  bool Due(std::uint64_t tree_size, std::int64_t mono_micros, bool force) const;
  // Signs the checkpoint (origin, tree_size, root) and appends it durably (fsync).
  Status Append(std::uint64_t tree_size, const MerkleHash& root, std::int64_t mono_micros);

 private:
  CheckpointWriter(Env* env, std::filesystem::path path, Ed25519SigningKey key, std::string origin)
      : env_(env), path_(std::move(path)), key_(std::move(key)), origin_(std::move(origin)) {}
  Env* env_;
  std::filesystem::path path_;
  Ed25519SigningKey key_;
  std::string origin_;
  std::uint64_t last_tree_size_ = 0;
  std::optional<std::int64_t> last_mono_;
  std::uint64_t file_size_ = 0;  // bytes of complete lines
};

// The signed notes of the checkpoint log, in order (each line base64-decoded; no signature
// checked). kNotFound when there is no log; kCorruption naming the line for a line that is
// not canonical base64 or is too long; a torn last line (no "\n") is ignored.
Result<std::vector<std::string>> ReadCheckpointNotes(Env* env, const std::filesystem::path& dir);

// The latest signed note (the last complete line), reading only the file's tail.
Result<std::string> ReadLatestCheckpointNote(Env* env, const std::filesystem::path& dir);

struct CheckpointLogCheck {
  std::uint64_t checkpoints = 0;
  std::optional<Checkpoint> latest;
  std::vector<std::string> problems;  // each names the line and what is wrong; empty: OK
};

// What verify calls: every checkpoint of DIR/seal/checkpoints must open with `key` and
// origin `origin` (signature first), tree sizes must strictly increase, and each checkpoint's
// root must equal `root_at(tree_size)` — the root verify recomputed for that size (for the
// writer's checkpoints, always the size of a seal), or nullopt when verify has no root for
// it. For a checkpoint whose root verify cannot give, `tiles` (may be null) proves
// consistency with the previous checkpoint (RFC 6962 consistency proof from the tiles,
// verified against both signed roots). No checkpoint log at all is not a problem here.
// Returns an error only for I/O failures.
Result<CheckpointLogCheck> CheckCheckpointLog(
    Env* env, const std::filesystem::path& dir, const Ed25519VerifierKey& key,
    std::string_view origin, const std::function<std::optional<MerkleHash>(std::uint64_t)>& root_at,
    MerkleHashSource* tiles);

}  // namespace auditlog::internal
