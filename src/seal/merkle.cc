// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification; see merkle.h.
#include "seal/merkle.h"


#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>

namespace auditlog::internal {

namespace {

std::string Num(std::uint64_t v) { return std::to_string(v); }

Status Bad(std::string what) { return Status::Corruption(std::move(what)); }

// Largest power of two strictly below n. REQUIRES n >= 2.
std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

MerkleHash RootOf(std::span<const MerkleHash> h) {
  if (h.size() == 1) return h[0];
  const std::size_t k = SplitPoint(h.size());
  return MerkleNodeHash(RootOf(h.first(k)), RootOf(h.subspan(k)));
}

}  // namespace

MerkleHash MerkleLeafHash(std::string_view leaf) {
  return Sha256Parts({std::string_view("\x00", 1), leaf});
}

MerkleHash MerkleNodeHash(const MerkleHash& left, const MerkleHash& right) {
  auto view = [](const MerkleHash& h) {
    return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
  };
  return Sha256Parts({std::string_view("\x01", 1), view(left), view(right)});
}

MerkleHash MerkleEmptyRoot() { return Sha256(""); }

MerkleHash MerkleRootOfLeafHashes(std::span<const MerkleHash> leaf_hashes) {
  if (leaf_hashes.empty()) return MerkleEmptyRoot();
  return RootOf(leaf_hashes);
}

MerkleHash MerklePerfectRoot(std::span<const MerkleHash> hashes) {
  // In-place pairwise reduction in a fixed buffer: tiles hold at most 256 entries.
  MerkleHash buf[128];
  std::size_t n = hashes.size();
  if (n == 1) return hashes[0];
  for (std::size_t i = 0; i < n / 2; ++i) buf[i] = MerkleNodeHash(hashes[2 * i], hashes[2 * i + 1]);
  for (n /= 2; n > 1; n /= 2) {
    for (std::size_t i = 0; i < n / 2; ++i) buf[i] = MerkleNodeHash(buf[2 * i], buf[2 * i + 1]);
  }
  return buf[0];
}

Result<MerkleHash> MerkleHashFromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return Status::InvalidArgument("a hash is 64 lowercase hex digits, not " + Num(hex.size()) +
                                   " characters");
  }
  MerkleHash h;
  for (std::size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return Status::InvalidArgument("a hash is 64 lowercase hex digits; character " + Num(i) +
                                     " is not one");
    }
    if (i % 2 == 0) {
      h[i / 2] = static_cast<std::uint8_t>(v << 4);
    } else {
      h[i / 2] |= static_cast<std::uint8_t>(v);
    }
  }
  return h;
}

// ---- MerkleFrontier ------------------------------------------------------------------------

Result<MerkleFrontier> MerkleFrontier::FromSubtrees(std::uint64_t size,
                                                    std::vector<MerkleHash> subtrees) {
  if (subtrees.size() != static_cast<std::size_t>(std::popcount(size))) {
    return Status::InvalidArgument("a frontier of " + Num(size) + " leaves has " +
                                   Num(std::popcount(size)) + " subtrees, not " +
                                   Num(subtrees.size()));
  }
  MerkleFrontier f;
  f.size_ = size;
  f.subtrees_ = std::move(subtrees);
  return f;
}

MerkleHash MerkleFrontier::Root() const {
  if (subtrees_.empty()) return MerkleEmptyRoot();
  MerkleHash r = subtrees_.back();
  for (std::size_t i = subtrees_.size() - 1; i-- > 0;) r = MerkleNodeHash(subtrees_[i], r);
  return r;
}

// ---- InMemoryMerkleTree --------------------------------------------------------------------

void InMemoryMerkleTree::Append(const MerkleHash& leaf_hash) {
  MerkleHash h = leaf_hash;
  for (std::size_t level = 0;; ++level) {
    if (levels_.size() == level) levels_.emplace_back();
    levels_[level].push_back(h);
    if (levels_[level].size() % 2 != 0) break;
    const auto& v = levels_[level];
    h = MerkleNodeHash(v[v.size() - 2], v[v.size() - 1]);
  }
}

MerkleHash InMemoryMerkleTree::Root() const {
  const std::uint64_t n = size();
  if (n == 0) return MerkleEmptyRoot();
  // The stored subtrees of the set bits of n, largest first, folded from the right.
  std::vector<MerkleHash> parts;
  std::uint64_t at = 0;
  for (int h = 63; h >= 0; --h) {
    if (!((n >> h) & 1)) continue;
    parts.push_back(levels_[h][at >> h]);
    at += std::uint64_t{1} << h;
  }
  MerkleHash r = parts.back();
  for (std::size_t i = parts.size() - 1; i-- > 0;) r = MerkleNodeHash(parts[i], r);
  return r;
}

Result<MerkleHash> InMemoryMerkleTree::CompleteSubtree(int height, std::uint64_t index) {
  if (height < 0 || static_cast<std::size_t>(height) >= levels_.size() ||
      index >= levels_[height].size()) {
    return Status::InvalidArgument("subtree of height " + Num(height) + " at index " + Num(index) +
                                   " is not in a tree of " + Num(size()) + " leaves");
  }
  return levels_[height][index];
}

// ---- Proof generation ----------------------------------------------------------------------

Result<MerkleHash> RangeRoot(MerkleHashSource& source, std::uint64_t begin, std::uint64_t end) {
  if (begin > end) {
    return Status::InvalidArgument("range [" + Num(begin) + ", " + Num(end) + ") is reversed");
  }
  if (begin == end) return MerkleEmptyRoot();
  const std::uint64_t n = end - begin;
  if (begin != 0 && (n > (std::uint64_t{1} << 63) || begin % std::bit_ceil(n) != 0)) {
    return Status::InvalidArgument("range [" + Num(begin) + ", " + Num(end) +
                                   ") is not aligned to a subtree of the tree");
  }
  // One complete subtree per set bit of n, largest first, folded from the right.
  std::vector<MerkleHash> parts;
  std::uint64_t at = begin;
  for (int h = 63; h >= 0; --h) {
    if (!((n >> h) & 1)) continue;
    AUDITLOG_ASSIGN_OR_RETURN(MerkleHash part, source.CompleteSubtree(h, at >> h));
    parts.push_back(part);
    at += std::uint64_t{1} << h;
  }
  MerkleHash r = parts.back();
  for (std::size_t i = parts.size() - 1; i-- > 0;) r = MerkleNodeHash(parts[i], r);
  return r;
}

Result<std::vector<MerkleHash>> InclusionProof(MerkleHashSource& source, std::uint64_t leaf_index,
                                               std::uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("leaf index " + Num(leaf_index) + " is not in a tree of " +
                                   Num(tree_size) + " leaves");
  }
  // PATH top-down over D[lo:hi], then reversed: the RFC lists the path bottom-up.
  std::vector<MerkleHash> path;
  std::uint64_t lo = 0;
  std::uint64_t hi = tree_size;
  while (hi - lo > 1) {
    const std::uint64_t k = SplitPoint(hi - lo);
    if (leaf_index < lo + k) {
      AUDITLOG_ASSIGN_OR_RETURN(MerkleHash right, RangeRoot(source, lo + k, hi));
      path.push_back(right);
      hi = lo + k;
    } else {
      AUDITLOG_ASSIGN_OR_RETURN(MerkleHash left,
                                source.CompleteSubtree(std::countr_zero(k), lo / k));
      path.push_back(left);
      lo += k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Result<std::vector<MerkleHash>> ConsistencyProof(MerkleHashSource& source, std::uint64_t old_size,
                                                 std::uint64_t new_size) {
  if (old_size > new_size) {
    return Status::InvalidArgument("old tree size " + Num(old_size) +
                                   " is larger than new tree size " + Num(new_size));
  }
  std::vector<MerkleHash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  // SUBPROOF(m, D[lo:hi], b) top-down, m relative to lo; reversed at the end.
  std::uint64_t lo = 0;
  std::uint64_t hi = new_size;
  std::uint64_t m = old_size;
  bool whole = true;  // b: D[lo:hi] is still the old tree's whole left edge
  for (;;) {
    const std::uint64_t n = hi - lo;
    if (m == n) {
      if (!whole) {
        AUDITLOG_ASSIGN_OR_RETURN(MerkleHash h, RangeRoot(source, lo, hi));
        proof.push_back(h);
      }
      break;
    }
    const std::uint64_t k = SplitPoint(n);
    if (m <= k) {
      AUDITLOG_ASSIGN_OR_RETURN(MerkleHash right, RangeRoot(source, lo + k, hi));
      proof.push_back(right);
      hi = lo + k;
    } else {
      AUDITLOG_ASSIGN_OR_RETURN(MerkleHash left,
                                source.CompleteSubtree(std::countr_zero(k), lo / k));
      proof.push_back(left);
      lo += k;
      m -= k;
      whole = false;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// ---- Verification --------------------------------------------------------------------------

Status VerifyInclusion(const MerkleHash& leaf_hash, std::uint64_t leaf_index,
                       std::uint64_t tree_size, std::span<const MerkleHash> path,
                       const MerkleHash& root) {
  if (leaf_index >= tree_size) {
    return Bad("inclusion proof: leaf index " + Num(leaf_index) + " is not in a tree of " +
               Num(tree_size) + " leaves");
  }
  if (path.size() > kMaxMerkleProofLength) {
    return Bad("inclusion proof too long: " + Num(path.size()) + " hashes");
  }
  std::uint64_t fn = leaf_index;
  std::uint64_t sn = tree_size - 1;
  MerkleHash r = leaf_hash;
  for (const MerkleHash& p : path) {
    if (sn == 0) return Bad("inclusion proof too long for a tree of " + Num(tree_size) + " leaves");
    if ((fn & 1) || fn == sn) {
      r = MerkleNodeHash(p, r);
      // "until LSB(fn) or fn == 0": terminates at fn == 0 (RFC 9162 §2.1.3.2 step 4.b.ii).
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Bad("inclusion proof too short for a tree of " + Num(tree_size) + " leaves");
  if (r != root) return Bad("inclusion proof does not lead to the root");
  return Status::Ok();
}

Status VerifyConsistency(std::uint64_t old_size, const MerkleHash& old_root, std::uint64_t new_size,
                         const MerkleHash& new_root, std::span<const MerkleHash> proof) {
  if (old_size > new_size) {
    return Bad("consistency proof: old tree size " + Num(old_size) +
               " is larger than new tree size " + Num(new_size));
  }
  if (proof.size() > kMaxMerkleProofLength) {
    return Bad("consistency proof too long: " + Num(proof.size()) + " hashes");
  }
  if (old_size == new_size) {
    if (!proof.empty()) return Bad("consistency proof between equal sizes must be empty");
    if (old_root != new_root) return Bad("trees of equal size have different roots");
    return Status::Ok();
  }
  if (old_size == 0) {
    if (!proof.empty()) return Bad("consistency proof from the empty tree must be empty");
    return Status::Ok();
  }
  if (proof.empty()) return Bad("consistency proof is empty");
  // Step 2: a power-of-two old tree is itself the first node; the proof leaves it out.
  const bool prepend = std::has_single_bit(old_size);
  std::size_t next = prepend ? 0 : 1;
  const MerkleHash& first = prepend ? old_root : proof[0];
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  MerkleHash fr = first;
  MerkleHash sr = first;
  for (; next < proof.size(); ++next) {
    const MerkleHash& c = proof[next];
    if (sn == 0) return Bad("consistency proof too long");
    if ((fn & 1) || fn == sn) {
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Bad("consistency proof too short");
  if (fr != old_root) return Bad("consistency proof does not lead to the old root");
  if (sr != new_root) return Bad("consistency proof does not lead to the new root");
  return Status::Ok();
}

}  // namespace auditlog::internal
