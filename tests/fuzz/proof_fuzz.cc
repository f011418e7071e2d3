// libFuzzer target: the proof JSON parsers and the verify-proof path of src/seal/proof.h on
// the input: ParseInclusionProof and ParseConsistencyProof (then VerifyInclusionProofDoc and
// VerifyCheckpointConsistency with a fixed key, as `auditlog verify-proof` and
// `auditlog consistency` run them), and the input as a record line proven in a small tree.
// Properties besides "no crash, no UB, no leak": every rejection names its reason; what is
// accepted formats and parses back to the same document; a proof that verifies was signed
// by the fixed key; a line proven honestly verifies exactly when it is a record line whose
// seq matches its leaf.
#include <array>
#include <string>

#include "format/record_format.h"
#include "fuzz_seal_key.h"
#include "fuzz_util.h"
#include "seal/checkpoint.h"
#include "seal/merkle.h"
#include "seal/proof.h"
#include "seal/signing_key.h"

namespace {

using namespace auditlog::internal;

void CheckInclusion(std::string_view input) {
  auto doc = ParseInclusionProof(input);
  if (!doc.ok()) {
    FUZZ_CHECK(!doc.status().message().empty(), "a rejection names its reason");
    return;
  }
  const std::string text = FormatInclusionProof(*doc);
  auto again = ParseInclusionProof(text);
  FUZZ_CHECK(again.ok() && FormatInclusionProof(*again) == text, text);
  auto c = VerifyInclusionProofDoc(*doc, FuzzKey().verifier());
  if (!c.ok()) {
    FUZZ_CHECK(!c.status().message().empty(), "a failed proof says why");
    return;
  }
  FUZZ_CHECK(c->tree_size == doc->tree_size && doc->leaf_index < c->tree_size, text);
}

void CheckConsistencyDoc(std::string_view input) {
  auto doc = ParseConsistencyProof(input);
  if (!doc.ok()) {
    FUZZ_CHECK(!doc.status().message().empty(), "a rejection names its reason");
    return;
  }
  const std::string text = FormatConsistencyProof(*doc);
  auto again = ParseConsistencyProof(text);
  FUZZ_CHECK(again.ok() && FormatConsistencyProof(*again) == text, text);
  // Against two honest checkpoints of a 5-leaf tree (sizes 2 and 5).
  InMemoryMerkleTree tree;
  for (int i = 0; i < 5; ++i)
    tree.Append(MerkleLeafHash(std::string(1, static_cast<char>('a' + i))));
  auto old_note =
      SignCheckpoint({std::string(kFuzzOrigin), 2, RangeRoot(tree, 0, 2).value(), {}}, FuzzKey());
  auto new_note = SignCheckpoint({std::string(kFuzzOrigin), 5, tree.Root(), {}}, FuzzKey());
  FUZZ_CHECK(old_note.ok() && new_note.ok(), "signing works");
  auditlog::Status s =
      VerifyCheckpointConsistency(*old_note, *new_note, *doc, FuzzKey().verifier());
  if (s.ok()) {
    auto honest = ConsistencyProof(tree, 2, 5);
    FUZZ_CHECK(doc->old_size == 2 && doc->new_size == 5 && honest.ok(), text);
  }
}

// The input as the record line of leaf 1 of a 3-leaf tree, proven honestly.
void CheckRecordLine(std::string_view input) {
  if (input.size() > auditlog::kMaxRecordBytes) return;
  const std::string line(input);
  InMemoryMerkleTree tree;
  tree.Append(MerkleLeafHash("first"));
  tree.Append(MerkleLeafHash(line));
  tree.Append(MerkleLeafHash("third"));
  auto note = SignCheckpoint({std::string(kFuzzOrigin), 3, tree.Root(), {}}, FuzzKey());
  FUZZ_CHECK(note.ok(), note.status().ToString());
  InclusionProofDoc doc{.log_id = "fuzz",
                        .seq = 2,
                        .record = line,
                        .leaf_index = 1,
                        .tree_size = 3,
                        .inclusion_path = InclusionProof(tree, 1, 3).value(),
                        .checkpoint = *note};
  auto c = VerifyInclusionProofDoc(doc, FuzzKey().verifier());
  RecordParser parser;
  RecordView r;
  const bool is_record =
      line.find('\n') == std::string::npos && parser.Parse(line, &r, false).ok() && r.seq == 2;
  FUZZ_CHECK(c.ok() == is_record, c.ok() ? line : c.status().ToString());
  if (!is_record) return;
  // Through the JSON text, the same verdict (record lines are valid UTF-8, as JSON needs).
  auto parsed = ParseInclusionProof(FormatInclusionProof(doc));
  FUZZ_CHECK(parsed.ok() && parsed->record == line, FormatInclusionProof(doc));
  FUZZ_CHECK(VerifyInclusionProofDoc(*parsed, FuzzKey().verifier()).ok(), line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckInclusion(input);
  CheckConsistencyDoc(input);
  CheckRecordLine(input);
  return 0;
}
