// C2SP checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of the sealed log's
// RFC 6962 Merkle tree, as the text of a signed note (signed_note.h):
//
//   auditlog/<log_id>\n          origin
//   <tree size, decimal>\n       number of leaves (records 1..tree_size)
//   <base64 of the 32-byte root>\n
//   [extension lines\n]          opaque, optional; we write none
//
// Parsing is strict (one accepted text per checkpoint: FormatCheckpointBody(Parse(b)) == b)
// and bounded; docs/FORMAT.md §12.9 is the normative description.
//
// Pure functions over their arguments; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/status.h"
#include "seal/signing_key.h"
#include "util/sha256.h"

namespace auditlog::internal {

// The origin of the checkpoints of the log with id `log_id` is kCheckpointOriginPrefix +
// log_id. We recommend naming the log's signing key with its origin too (the
// specification's SHOULD), so that a verifier holding only the key knows the origin.
inline constexpr std::string_view kCheckpointOriginPrefix = "auditlog/";
// Bounds: the tree size is at most 2^63 - 1 (as Go's tlog.ParseTree reads it); the origin and
// each extension line at most kMaxCheckpointLineBytes; at most kMaxCheckpointExtensions
// extension lines.
inline constexpr std::uint64_t kMaxCheckpointTreeSize = (std::uint64_t{1} << 63) - 1;
inline constexpr std::size_t kMaxCheckpointLineBytes = 1024;
inline constexpr std::size_t kMaxCheckpointExtensions = 16;

struct Checkpoint {
  std::string origin;
  std::uint64_t tree_size = 0;
  Digest root{};  // RFC 6962 Merkle tree hash of leaves 0..tree_size-1 (the MerkleHash)
  std::vector<std::string> extensions;
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// "auditlog/" + log_id.
std::string CheckpointOrigin(std::string_view log_id);

// The note text of `c`: origin, tree size, base64 root, each extension, each ending in "\n".
// REQUIRES (checked by SignCheckpoint, not here): ParseCheckpointBody accepts the result.
std::string FormatCheckpointBody(const Checkpoint& c);

// Parses a checkpoint note text strictly: 3 + up to kMaxCheckpointExtensions non-empty lines,
// each ending in "\n"; the origin (and each extension) well-formed UTF-8 of at most
// kMaxCheckpointLineBytes with no control, bidi or other code point sanitize.h forbids (so
// no CR, NUL, tab); the tree size ASCII digits without sign or leading zero ("0" alone for
// the empty tree), at most kMaxCheckpointTreeSize; the root the canonical base64 of exactly
// 32 bytes. Errors (kCorruption) name the line and the field.
Result<Checkpoint> ParseCheckpointBody(std::string_view body);

// The signed note of `c` by `key`. kInvalidArgument when `c` would not parse back to itself
// (empty or invalid origin, tree size over the bound, bad extension line).
Result<std::string> SignCheckpoint(const Checkpoint& c, const Ed25519SigningKey& key);

// Opens the signed checkpoint `signed_note`: first the signature (OpenNote with `key` as the
// only known key: a note without a valid signature by `key` fails before its text is
// looked at), then the body (ParseCheckpointBody), then the origin, which must equal
// `expected_origin` (kCorruption naming both otherwise). An empty `expected_origin` is
// kInvalidArgument: pass CheckpointOrigin(log_id), or key.name() when the key is named after
// the origin.
Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, const Ed25519VerifierKey& key,
                                  std::string_view expected_origin);

}  // namespace auditlog::internal
