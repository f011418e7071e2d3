// Inclusion and consistency proofs of a sealed log (docs/FORMAT.md §12.10): generated from the tile
// store DIR/tree against the signed checkpoints of DIR/seal/checkpoints, written as JSON, and
// verified without the log from the proof, a checkpoint and the checkpoint key alone.
//
// Proof files are hostile input: parsing is strict and bounded (kMaxProofFileBytes, at most
// kMaxMerkleProofLength hashes), and verification opens the checkpoint's signature before
// anything in the proof steers it. No exception escapes.
//
// Thread-safety: pure functions over their arguments (the Env must be safe to share).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "seal/checkpoint.h"
#include "seal/merkle.h"
#include "seal/signing_key.h"

namespace auditlog::internal {

inline constexpr std::size_t kMaxProofFileBytes = std::size_t{4} << 20;

struct InclusionProofDoc {
  std::string log_id;
  std::uint64_t seq = 0;
  std::string record;  // the record's exact line, without '\n'
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  std::vector<MerkleHash> inclusion_path;
  std::string checkpoint;  // the signed note the proof is against
};

struct ConsistencyProofDoc {
  std::string log_id;
  std::uint64_t old_size = 0;
  std::uint64_t new_size = 0;
  std::vector<MerkleHash> consistency_path;
};

// JSON (one object, members in the order of docs/FORMAT.md §12.10, then "\n").
std::string FormatInclusionProof(const InclusionProofDoc& p);
std::string FormatConsistencyProof(const ConsistencyProofDoc& p);
// Strict: every member present with its type, no other member, hashes 64 lowercase hex.
// kCorruption naming the member otherwise.
Result<InclusionProofDoc> ParseInclusionProof(std::string_view json);
Result<ConsistencyProofDoc> ParseConsistencyProof(std::string_view json);

// The proof of record `seq` against the latest checkpoint covering it (the log's own key
// must open it). kNotFound when no checkpoint covers seq yet or the record is gone;
// kCorruption when the tiles disagree with the record (the proof is checked before it is
// returned).
Result<InclusionProofDoc> ProveRecordInclusion(Env* env, const std::filesystem::path& dir,
                                               std::uint64_t seq);
// The proof that the tree of `new_size` leaves extends that of `old_size`, from the tiles.
Result<ConsistencyProofDoc> ProveTreeConsistency(Env* env, const std::filesystem::path& dir,
                                                 std::uint64_t old_size, std::uint64_t new_size);

// Checks, in this order: the checkpoint's signature by `key` with origin key.name(); its
// origin is CheckpointOrigin(log_id); its tree size is the proof's; the record parses and
// its seq is leaf_index + 1 and the proof's seq; the inclusion path leads from the record's
// leaf hash to the checkpoint's root. The checkpoint, or kCorruption saying what failed.
Result<Checkpoint> VerifyInclusionProofDoc(const InclusionProofDoc& p,
                                           const Ed25519VerifierKey& key);

// Opens both signed checkpoints with `key` (origin key.name()), then checks that `proof`
// (sizes equal to theirs) shows NEW extends OLD. Equal sizes need equal roots; OLD larger
// than NEW fails.
Status VerifyCheckpointConsistency(std::string_view old_note, std::string_view new_note,
                                   const ConsistencyProofDoc& proof, const Ed25519VerifierKey& key);

}  // namespace auditlog::internal
