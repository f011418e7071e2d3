// Tests of src/seal/merkle: RFC 6962 test vectors, proof generation and verification for every
// tree size 1..70 and every pair of sizes, hostile proofs, and the frontier.
#include "seal/merkle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace auditlog::internal {
namespace {

using ::auditlog::testing::IsOk;

MerkleHash H(std::string_view hex) {
  auto h = MerkleHashFromHex(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : MerkleHash{};
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// transparency-dev/merkle testonly vectors (tamper-evidence.md §6); the full hex was computed
// once with an independent Python hashlib implementation of RFC 6962 MTH/PATH/SUBPROOF.
const char* const kLeaves[] = {"",
                               "00",
                               "10",
                               "2021",
                               "3031",
                               "40414243",
                               "5051525354555657",
                               "606162636465666768696a6b6c6d6e6f"};
const char* const kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

InMemoryMerkleTree VectorTree(std::size_t n) {
  InMemoryMerkleTree t;
  for (std::size_t i = 0; i < n; ++i) t.Append(MerkleLeafHash(Unhex(kLeaves[i])));
  return t;
}

// Leaf hashes of "leaf 0", "leaf 1", ...
std::vector<MerkleHash> Leaves(std::size_t n) {
  std::vector<MerkleHash> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(MerkleLeafHash("leaf " + std::to_string(i)));
  return v;
}

TEST(MerkleTest, EmptyRootIsSha256OfNothing) {
  EXPECT_EQ(MerkleEmptyRoot(), H(kRoots[0]));
  EXPECT_EQ(MerkleRootOfLeafHashes({}), H(kRoots[0]));
  EXPECT_EQ(MerkleFrontier().Root(), H(kRoots[0]));
  EXPECT_EQ(InMemoryMerkleTree().Root(), H(kRoots[0]));
}

TEST(MerkleTest, RootsMatchRfc6962Vectors) {
  for (std::size_t n = 0; n <= 8; ++n) {
    std::vector<MerkleHash> leaves;
    MerkleFrontier f;
    for (std::size_t i = 0; i < n; ++i) {
      leaves.push_back(MerkleLeafHash(Unhex(kLeaves[i])));
      f.Append(leaves.back());
    }
    EXPECT_EQ(ToHex(MerkleRootOfLeafHashes(leaves)), kRoots[n]) << n;
    EXPECT_EQ(ToHex(f.Root()), kRoots[n]) << n;
    EXPECT_EQ(ToHex(VectorTree(n).Root()), kRoots[n]) << n;
  }
}

TEST(MerkleTest, InclusionPathOfLeaf5MatchesVector) {
  InMemoryMerkleTree t = VectorTree(8);
  ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(t, 5, 8));
  const std::vector<MerkleHash> want = {
      H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
      H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  EXPECT_EQ(path, want);
  EXPECT_OK(VerifyInclusion(MerkleLeafHash(Unhex(kLeaves[5])), 5, 8, path, H(kRoots[8])));
}

TEST(MerkleTest, ConsistencyProof3To8MatchesVector) {
  InMemoryMerkleTree t = VectorTree(8);
  ASSERT_OK_AND_ASSIGN(auto proof, ConsistencyProof(t, 3, 8));
  const std::vector<MerkleHash> want = {
      H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
      H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
      H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
      H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  EXPECT_EQ(proof, want);
  EXPECT_OK(VerifyConsistency(3, H(kRoots[3]), 8, H(kRoots[8]), proof));
}

// Every leaf of every tree size 1..70, and every pair of sizes: generated and verified, and
// a flipped bit in any node, a wrong index or size, a shorter or longer proof fail.
TEST(MerkleTest, AllInclusionProofsUpTo70) {
  const std::vector<MerkleHash> leaves = Leaves(71);
  InMemoryMerkleTree t;
  std::vector<MerkleHash> roots;
  for (std::uint64_t n = 0; n <= 71; ++n) {
    roots.push_back(MerkleRootOfLeafHashes(std::span(leaves).first(n)));
    if (n < 70) t.Append(leaves[n]);
  }
  for (std::uint64_t n = 1; n <= 70; ++n) {
    const MerkleHash& root = roots[n];
    for (std::uint64_t m = 0; m < n; ++m) {
      ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(t, m, n));
      ASSERT_OK(VerifyInclusion(leaves[m], m, n, path, root)) << m << " in " << n;
      if ((m ^ 1) < n) {
        EXPECT_FALSE(VerifyInclusion(leaves[m], m ^ 1, n, path, root).ok());
      }
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[(m + 1) % n], m, n, path, root).ok());
      }
      // The size is bound by the root: a proof never checks against another size's root.
      EXPECT_FALSE(VerifyInclusion(leaves[m], m, n + 1, path, roots[n + 1]).ok());
      if (m < n - 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[m], m, n - 1, path, roots[n - 1]).ok());
      }
      for (std::size_t i = 0; i < path.size(); ++i) {
        auto bad = path;
        bad[i][i % 32] ^= 0x01;
        EXPECT_FALSE(VerifyInclusion(leaves[m], m, n, bad, root).ok());
      }
      if (!path.empty()) {
        auto shorter = path;
        shorter.pop_back();
        EXPECT_FALSE(VerifyInclusion(leaves[m], m, n, shorter, root).ok());
      }
      auto longer = path;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaves[m], m, n, longer, root).ok());
    }
  }
}

TEST(MerkleTest, AllConsistencyProofsUpTo70) {
  const std::vector<MerkleHash> leaves = Leaves(71);
  InMemoryMerkleTree t;
  std::vector<MerkleHash> roots;
  for (std::uint64_t n = 0; n <= 71; ++n) {
    roots.push_back(MerkleRootOfLeafHashes(std::span(leaves).first(n)));
    if (n < 70) t.Append(leaves[n]);
  }
  for (std::uint64_t n = 1; n <= 70; ++n) {
    for (std::uint64_t m = 0; m <= n; ++m) {
      ASSERT_OK_AND_ASSIGN(auto proof, ConsistencyProof(t, m, n));
      ASSERT_OK(VerifyConsistency(m, roots[m], n, roots[n], proof)) << m << " -> " << n;
      if (m == 0 || m == n) {
        EXPECT_TRUE(proof.empty());
        continue;
      }
      EXPECT_FALSE(VerifyConsistency(m, roots[m], n, roots[m], proof).ok());
      EXPECT_FALSE(VerifyConsistency(m, roots[n], n, roots[n], proof).ok());
      EXPECT_FALSE(VerifyConsistency(m, roots[m], n + 1, roots[n + 1], proof).ok());
      EXPECT_FALSE(VerifyConsistency(m - 1, roots[m - 1], n, roots[n], proof).ok());
      if (m + 1 < n) {
        EXPECT_FALSE(VerifyConsistency(m + 1, roots[m + 1], n, roots[n], proof).ok());
      }
      for (std::size_t i = 0; i < proof.size(); ++i) {
        auto bad = proof;
        bad[i][31 - i % 32] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, roots[m], n, roots[n], bad).ok()) << m << "->" << n;
      }
      auto shorter = proof;
      shorter.pop_back();
      EXPECT_FALSE(VerifyConsistency(m, roots[m], n, roots[n], shorter).ok());
      auto longer = proof;
      longer.push_back(roots[n]);
      EXPECT_FALSE(VerifyConsistency(m, roots[m], n, roots[n], longer).ok());
    }
  }
}

TEST(MerkleTest, VerificationErrorsSayWhatFailed) {
  const std::vector<MerkleHash> leaves = Leaves(8);
  const MerkleHash root = MerkleRootOfLeafHashes(leaves);
  InMemoryMerkleTree t;
  for (const auto& l : leaves) t.Append(l);
  ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(t, 3, 8));
  path[1][0] ^= 1;
  Status s = VerifyInclusion(leaves[3], 3, 8, path, root);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "inclusion proof does not lead to the root");
  std::vector<MerkleHash> huge(kMaxMerkleProofLength + 1);
  s = VerifyInclusion(leaves[3], 3, 8, huge, root);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("too long"), std::string::npos) << s.message();
  s = VerifyConsistency(3, root, 8, root, huge);
  EXPECT_NE(s.message().find("too long"), std::string::npos) << s.message();
  s = VerifyInclusion(leaves[3], 8, 8, {}, root);
  EXPECT_NE(s.message().find("leaf index 8"), std::string::npos) << s.message();
  s = VerifyConsistency(9, root, 8, root, {});
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_FALSE(VerifyConsistency(3, root, 8, root, {}).ok());
  EXPECT_FALSE(VerifyConsistency(0, root, 8, root, path).ok());     // must be empty
  EXPECT_FALSE(VerifyConsistency(8, root, 8, leaves[0], {}).ok());  // equal sizes, other root
  EXPECT_OK(VerifyConsistency(8, root, 8, root, {}));
  EXPECT_FALSE(VerifyConsistency(8, root, 8, root, path).ok());
}

// The "until LSB(fn) or fn == 0" loop at fn == 0: leaf 0 of a tree whose first path step
// hits fn == sn (here tree_size 1 with a bogus path, and hostile huge sizes) must end.
TEST(MerkleTest, HostileProofsTerminate) {
  const MerkleHash leaf = MerkleLeafHash("x");
  std::vector<MerkleHash> path(64, leaf);
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 1, path, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, 0, ~std::uint64_t{0}, path, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, ~std::uint64_t{0} - 1, ~std::uint64_t{0}, path, leaf).ok());
  EXPECT_FALSE(VerifyConsistency(1, leaf, ~std::uint64_t{0}, leaf, path).ok());
  EXPECT_FALSE(VerifyConsistency(std::uint64_t{1} << 63, leaf, ~std::uint64_t{0}, leaf, path).ok());
  // Leaf 0 of 2: fn = 0 == sn after one shift; the inner loop must stop at fn == 0.
  InMemoryMerkleTree t;
  t.Append(leaf);
  t.Append(MerkleLeafHash("y"));
  ASSERT_OK_AND_ASSIGN(auto p, InclusionProof(t, 1, 2));
  EXPECT_OK(VerifyInclusion(MerkleLeafHash("y"), 1, 2, p, t.Root()));
}

TEST(MerkleTest, GenerationRejectsOutOfRangeArguments) {
  InMemoryMerkleTree t;
  for (const auto& l : Leaves(5)) t.Append(l);
  auto r = InclusionProof(t, 5, 5);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("leaf index 5"), std::string::npos);
  EXPECT_EQ(InclusionProof(t, 2, 9).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(t, 4, 3).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(t, 3, 7).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RangeRoot(t, 1, 3).status().code(), StatusCode::kInvalidArgument);  // unaligned
  EXPECT_EQ(RangeRoot(t, 3, 2).status().code(), StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto whole, RangeRoot(t, 0, 5));
  EXPECT_EQ(whole, t.Root());
  ASSERT_OK_AND_ASSIGN(auto right, RangeRoot(t, 4, 5));
  EXPECT_EQ(right, Leaves(5)[4]);
}

TEST(MerkleTest, FrontierMatchesRootForEverySizeTo300) {
  const std::vector<MerkleHash> leaves = Leaves(300);
  MerkleFrontier f;
  for (std::uint64_t n = 0; n <= 300; ++n) {
    ASSERT_EQ(f.size(), n);
    ASSERT_EQ(f.Root(), MerkleRootOfLeafHashes(std::span(leaves).first(n))) << n;
    ASSERT_OK_AND_ASSIGN(MerkleFrontier copy, MerkleFrontier::FromSubtrees(n, f.subtrees()));
    ASSERT_EQ(copy.Root(), f.Root());
    if (n < 300) {
      copy.Append(leaves[n]);
      f.Append(leaves[n]);
      ASSERT_EQ(copy.Root(), f.Root());
    }
  }
  EXPECT_EQ(MerkleFrontier::FromSubtrees(3, {leaves[0]}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MerkleFrontier::FromSubtrees(0, {leaves[0]}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(MerkleTest, PerfectRootAndHex) {
  const std::vector<MerkleHash> leaves = Leaves(256);
  for (std::size_t w = 1; w <= 256; w *= 2) {
    EXPECT_EQ(MerklePerfectRoot(std::span(leaves).first(w)),
              MerkleRootOfLeafHashes(std::span(leaves).first(w)));
  }
  EXPECT_EQ(ToHex(H(kRoots[3])), kRoots[3]);
  EXPECT_FALSE(MerkleHashFromHex(std::string(kRoots[3]).substr(1)).ok());
  std::string upper = kRoots[3];
  upper[0] = 'A';
  EXPECT_FALSE(MerkleHashFromHex(upper).ok());
  upper[0] = 'g';
  EXPECT_EQ(MerkleHashFromHex(upper).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace auditlog::internal
