// The RFC 6962 / RFC 9162 Merkle tree over the record lines of a sealed log (see
// docs/FORMAT.md §12.8): leaf and node hashing, the compact range (frontier) the writer keeps,
// proof generation over any source of complete-subtree hashes, and proof verification
// exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 state it.
//
// Thread-safety: the free functions are pure and safe to call from any thread (each thread
// reuses its own OpenSSL digest context). A MerkleFrontier or InMemoryMerkleTree is a value:
// one owner at a time. A MerkleHashSource is used by one thread at a time unless an
// implementation says otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "auditlog/status.h"
#include "util/sha256.h"

namespace auditlog::internal {

using MerkleHash = Digest;

// Proofs longer than this are rejected unread: a tree of 2^64 leaves needs at most 64
// inclusion hashes and 65 consistency hashes.
inline constexpr std::size_t kMaxMerkleProofLength = 128;

// SHA-256(0x00 || leaf): the hash of one record line (without its '\n'). No allocation.
MerkleHash MerkleLeafHash(std::string_view leaf);
// SHA-256(0x01 || left || right).
MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right);
// SHA-256(""), the RFC 6962 root of the empty tree (not Go tlog's all-zero hash).
MerkleHash MerkleEmptyRoot();
// MTH of the leaves whose leaf hashes are `leaf_hashes` (any count; O(n) memory-free fold).
MerkleHash MerkleRootOfLeafHashes(std::span<const MerkleHash> leaf_hashes);
// The root of a perfect tree over `hashes`, whose size must be a power of two (1..256):
// tile entries to the entry one level up. Does not allocate.
MerkleHash MerklePerfectRoot(std::span<const MerkleHash> hashes);

// Parses exactly 64 lowercase hex digits (the form records print roots in).
Result<MerkleHash> MerkleHashFromHex(std::string_view hex);

// The compact range [0, n): the roots of the maximal complete subtrees of the first n leaves,
// one per set bit of n, largest (leftmost) first. What the writer keeps to know the root
// after each record: O(log n) memory, Append costs amortized one node hash.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;
  // From the subtree roots (largest first) a restart reads from the tile store. Fails with
  // kInvalidArgument unless there is exactly one hash per set bit of `size`.
  static Result<MerkleFrontier> FromSubtrees(std::uint64_t size, std::vector<MerkleHash> subtrees);

  void Append(const MerkleHash& leaf_hash) {
    Append(leaf_hash, [](int, const MerkleHash&) {});
  }
  // Append that also calls on_complete(height, hash) for every complete subtree the new leaf
  // completes, in increasing height (0 is the leaf itself): the tile store takes its
  // higher-level entries from here instead of hashing them again.
  template <typename F>
  void Append(const MerkleHash& leaf_hash, F&& on_complete) {
    MerkleHash h = leaf_hash;
    int height = 0;
    on_complete(height, h);
    // Each trailing one bit of size_ is a subtree that merges with the new one.
    for (std::uint64_t s = size_; s & 1; s >>= 1) {
      h = MerkleNodeHash(subtrees_.back(), h);
      subtrees_.pop_back();
      on_complete(++height, h);
    }
    subtrees_.push_back(h);
    ++size_;
  }
  std::uint64_t size() const { return size_; }
  // MTH of the leaves so far (MerkleEmptyRoot() when there are none).
  MerkleHash Root() const;
  // The subtree roots, largest first (the argument FromSubtrees takes).
  const std::vector<MerkleHash>& subtrees() const { return subtrees_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<MerkleHash> subtrees_;
};

// Where proof generation gets hashes from: the root of the complete subtree of 2^height
// leaves whose first leaf is index * 2^height. Errors (a subtree not stored, pruned, or
// beyond the tree) pass through the proof functions unchanged.
class MerkleHashSource {
 public:
  virtual ~MerkleHashSource() = default;
  virtual Result<MerkleHash> CompleteSubtree(int height, std::uint64_t index) = 0;
};

// All levels of a tree in memory (for tests, tools and small trees): 2n hashes for n leaves.
class InMemoryMerkleTree : public MerkleHashSource {
 public:
  void Append(const MerkleHash& leaf_hash);
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  MerkleHash Root() const;
  Result<MerkleHash> CompleteSubtree(int height, std::uint64_t index) override;

 private:
  std::vector<std::vector<MerkleHash>> levels_;  // levels_[h][i]: subtree (h, i)
};

// MTH(D[begin:end]) from complete subtrees (the decomposition of the range into one subtree
// per set bit of end - begin). REQUIRES (else kInvalidArgument): begin < end, and begin a
// multiple of the smallest power of two >= end - begin (begin == 0 always is), which every
// range a proof touches satisfies. An empty range [b, b) is MerkleEmptyRoot().
Result<MerkleHash> RangeRoot(MerkleHashSource& source, std::uint64_t begin, std::uint64_t end);

// RFC 6962 PATH(leaf_index, D[0:tree_size]), bottom-up. REQUIRES leaf_index < tree_size.
Result<std::vector<MerkleHash>> InclusionProof(MerkleHashSource& source, std::uint64_t leaf_index,
                                               std::uint64_t tree_size);
// RFC 6962 PROOF(old_size, D[0:new_size]). REQUIRES old_size <= new_size; empty when
// old_size == 0 or old_size == new_size.
Result<std::vector<MerkleHash>> ConsistencyProof(MerkleHashSource& source, std::uint64_t old_size,
                                                 std::uint64_t new_size);

// RFC 9162 §2.1.3.2. OK, or kCorruption saying what failed.
Status VerifyInclusion(const MerkleHash& leaf_hash, std::uint64_t leaf_index,
                       std::uint64_t tree_size, std::span<const MerkleHash> path,
                       const MerkleHash& root);
// RFC 9162 §2.1.4.2, plus the trivial cases RFC 9162 allows: old_size == new_size (empty
// proof, equal roots) and old_size == 0 (empty proof). OK, or kCorruption saying what failed.
Status VerifyConsistency(std::uint64_t old_size, const MerkleHash& old_root, std::uint64_t new_size,
                         const MerkleHash& new_root, std::span<const MerkleHash> proof);

}  // namespace auditlog::internal
