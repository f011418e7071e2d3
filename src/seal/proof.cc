// Inclusion and consistency proofs (proof.h).
#include "seal/proof.h"

#include <nlohmann/json.hpp>

#include "auditlog/seal.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "seal/checkpoint_log.h"
#include "seal/seal_state.h"
#include "seal/tile_store.h"
#include "util/json_writer.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Num(std::uint64_t n) { return std::to_string(n); }

void AppendMember(std::string_view name, std::string* out) {
  if (out->back() != '{') out->push_back(',');
  AppendJsonString(name, out);
  out->push_back(':');
}

void AppendHashes(const std::vector<MerkleHash>& hashes, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(ToHex(hashes[i]), out);
  }
  out->push_back(']');
}

// The object of a proof file, with exactly `members` members.
Result<json> ParseObject(std::string_view text, std::size_t members, std::string_view what) {
  if (text.size() > kMaxProofFileBytes) {
    return Status::Corruption(std::string(what) + " is over " + Num(kMaxProofFileBytes) + " bytes");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(std::string(what) + " is not a JSON object");
  }
  if (j.size() != members) {
    return Status::Corruption(std::string(what) + " has " + Num(j.size()) + " members, expected " +
                              Num(members));
  }
  return j;
}

Result<std::uint64_t> GetUint(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) {
    return Status::Corruption(std::string("proof: \"") + name +
                              "\" missing or not an unsigned integer");
  }
  return it->get<std::uint64_t>();
}

Result<std::string> GetString(const json& j, const char* name, std::size_t max_bytes) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return Status::Corruption(std::string("proof: \"") + name + "\" missing or not a string");
  }
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return Status::Corruption(std::string("proof: \"") + name + "\" is too long");
  }
  return s;
}

Result<std::vector<MerkleHash>> GetHashes(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) {
    return Status::Corruption(std::string("proof: \"") + name + "\" missing or not an array");
  }
  if (it->size() > kMaxMerkleProofLength) {
    return Status::Corruption(std::string("proof: \"") + name + "\" holds over " +
                              Num(kMaxMerkleProofLength) + " hashes");
  }
  std::vector<MerkleHash> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    auto h = e.is_string() ? MerkleHashFromHex(e.get_ref<const std::string&>())
                           : Result<MerkleHash>(Status::Corruption("not a string"));
    if (!h.ok()) {
      return Status::Corruption(std::string("proof: \"") + name + "\"[" + Num(i) +
                                "] is not 64 lowercase hex digits");
    }
    out.push_back(*h);
  }
  return out;
}

Status CheckVersion(const json& j) {
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t v, GetUint(j, "version"));
  if (v != 1) return Status::Corruption("proof: unsupported \"version\" " + Num(v));
  return Status::Ok();
}

// The line of record `seq`: the segment found by its first record's seq (binary search),
// then a scan of that segment.
Result<std::string> FindRecordLine(Env* env, const fs::path& dir, std::uint64_t seq) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments, ListLogSegments(env, dir));
  RecordParser parser;
  auto first_seq = [&](std::size_t i) -> Result<std::uint64_t> {
    AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segments[i]));
    std::string_view line;
    std::uint64_t offset = 0;
    AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    RecordView r;
    if (!more || reader->overlong() || !parser.Parse(line, &r, false).ok()) return 0;
    return r.seq;
  };
  std::size_t lo = 0, hi = segments.size();  // the last segment whose first seq <= seq
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t f, first_seq(mid));
    if (f != 0 && f <= seq) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  for (std::size_t i = lo; i < segments.size() && i <= lo + 1; ++i) {
    AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segments[i]));
    std::string_view line;
    std::uint64_t offset = 0;
    std::uint64_t at = 0;
    for (;;) {
      AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
      if (!more || reader->overlong()) break;
      if (at == 0) {
        RecordView r;
        if (!parser.Parse(line, &r, false).ok()) break;
        at = r.seq;
      }
      if (at == seq) return std::string(line);
      ++at;
    }
  }
  return Status::NotFound("record seq " + Num(seq) + " is not in the log " + dir.string());
}

}  // namespace

std::string FormatInclusionProof(const InclusionProofDoc& p) {
  std::string out = "{";
  AppendMember("version", &out);
  AppendUint(1, &out);
  AppendMember("log_id", &out);
  AppendJsonString(p.log_id, &out);
  AppendMember("seq", &out);
  AppendUint(p.seq, &out);
  AppendMember("record", &out);
  AppendJsonString(p.record, &out);
  AppendMember("leaf_index", &out);
  AppendUint(p.leaf_index, &out);
  AppendMember("tree_size", &out);
  AppendUint(p.tree_size, &out);
  AppendMember("inclusion_path", &out);
  AppendHashes(p.inclusion_path, &out);
  AppendMember("checkpoint", &out);
  AppendJsonString(p.checkpoint, &out);
  out += "}\n";
  return out;
}

std::string FormatConsistencyProof(const ConsistencyProofDoc& p) {
  std::string out = "{";
  AppendMember("version", &out);
  AppendUint(1, &out);
  AppendMember("log_id", &out);
  AppendJsonString(p.log_id, &out);
  AppendMember("old_size", &out);
  AppendUint(p.old_size, &out);
  AppendMember("new_size", &out);
  AppendUint(p.new_size, &out);
  AppendMember("consistency_path", &out);
  AppendHashes(p.consistency_path, &out);
  out += "}\n";
  return out;
}

Result<InclusionProofDoc> ParseInclusionProof(std::string_view text) {
  AUDITLOG_ASSIGN_OR_RETURN(json j, ParseObject(text, 8, "inclusion proof"));
  AUDITLOG_RETURN_IF_ERROR(CheckVersion(j));
  InclusionProofDoc p;
  AUDITLOG_ASSIGN_OR_RETURN(p.log_id, GetString(j, "log_id", kMaxCheckpointLineBytes));
  AUDITLOG_ASSIGN_OR_RETURN(p.seq, GetUint(j, "seq"));
  AUDITLOG_ASSIGN_OR_RETURN(p.record, GetString(j, "record", kMaxRecordBytes));
  AUDITLOG_ASSIGN_OR_RETURN(p.leaf_index, GetUint(j, "leaf_index"));
  AUDITLOG_ASSIGN_OR_RETURN(p.tree_size, GetUint(j, "tree_size"));
  AUDITLOG_ASSIGN_OR_RETURN(p.inclusion_path, GetHashes(j, "inclusion_path"));
  AUDITLOG_ASSIGN_OR_RETURN(p.checkpoint, GetString(j, "checkpoint", 64 * 1024));
  return p;
}

Result<ConsistencyProofDoc> ParseConsistencyProof(std::string_view text) {
  AUDITLOG_ASSIGN_OR_RETURN(json j, ParseObject(text, 5, "consistency proof"));
  AUDITLOG_RETURN_IF_ERROR(CheckVersion(j));
  ConsistencyProofDoc p;
  AUDITLOG_ASSIGN_OR_RETURN(p.log_id, GetString(j, "log_id", kMaxCheckpointLineBytes));
  AUDITLOG_ASSIGN_OR_RETURN(p.old_size, GetUint(j, "old_size"));
  AUDITLOG_ASSIGN_OR_RETURN(p.new_size, GetUint(j, "new_size"));
  AUDITLOG_ASSIGN_OR_RETURN(p.consistency_path, GetHashes(j, "consistency_path"));
  return p;
}

Result<InclusionProofDoc> ProveRecordInclusion(Env* env, const fs::path& dir, std::uint64_t seq) {
  if (seq == 0) return Status::InvalidArgument("seq must be at least 1");
  AUDITLOG_ASSIGN_OR_RETURN(SealState state, ReadSealState(env, dir));
  AUDITLOG_ASSIGN_OR_RETURN(
      Ed25519SigningKey signer,
      Ed25519SigningKey::LoadFile(env, dir / kSealDirName / kCheckpointKeyFileName));
  const std::string origin = CheckpointOrigin(state.schedule.log_id);
  AUDITLOG_ASSIGN_OR_RETURN(std::string note, ReadLatestCheckpointNote(env, dir));
  AUDITLOG_ASSIGN_OR_RETURN(Checkpoint c, OpenCheckpoint(note, signer.verifier(), origin));
  if (c.tree_size < seq) {
    return Status::NotFound("record seq " + Num(seq) + " is not covered by a checkpoint yet " +
                            "(the latest covers seq 1.." + Num(c.tree_size) + ")");
  }
  InclusionProofDoc p{.log_id = state.schedule.log_id,
                      .seq = seq,
                      .leaf_index = seq - 1,
                      .tree_size = c.tree_size,
                      .checkpoint = note};
  AUDITLOG_ASSIGN_OR_RETURN(p.record, FindRecordLine(env, dir, seq));
  AUDITLOG_ASSIGN_OR_RETURN(auto tiles, TileStore::Open(env, dir, TileStore::Mode::kSnapshot));
  AUDITLOG_ASSIGN_OR_RETURN(p.inclusion_path, InclusionProof(*tiles, p.leaf_index, p.tree_size));
  Status ok = VerifyInclusion(MerkleLeafHash(p.record), p.leaf_index, p.tree_size, p.inclusion_path,
                              c.root);
  if (!ok.ok()) {
    return Status::Corruption("the tile store of " + dir.string() +
                              " does not prove the log's record seq " + Num(seq) +
                              " against its checkpoint: " + ok.message());
  }
  return p;
}

Result<ConsistencyProofDoc> ProveTreeConsistency(Env* env, const fs::path& dir,
                                                 std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size > new_size) {
    return Status::InvalidArgument("old size " + Num(old_size) + " is larger than new size " +
                                   Num(new_size));
  }
  AUDITLOG_ASSIGN_OR_RETURN(SealState state, ReadSealState(env, dir));
  AUDITLOG_ASSIGN_OR_RETURN(auto tiles, TileStore::Open(env, dir, TileStore::Mode::kSnapshot));
  if (new_size > tiles->size()) {
    return Status::NotFound("the tile store of " + dir.string() + " holds " + Num(tiles->size()) +
                            " leaves, not " + Num(new_size));
  }
  ConsistencyProofDoc p{
      .log_id = state.schedule.log_id, .old_size = old_size, .new_size = new_size};
  AUDITLOG_ASSIGN_OR_RETURN(p.consistency_path, ConsistencyProof(*tiles, old_size, new_size));
  return p;
}

Result<Checkpoint> VerifyInclusionProofDoc(const InclusionProofDoc& p,
                                           const Ed25519VerifierKey& key) {
  AUDITLOG_ASSIGN_OR_RETURN(Checkpoint c, OpenCheckpoint(p.checkpoint, key, key.name()));
  if (c.origin != CheckpointOrigin(p.log_id)) {
    return Status::Corruption("the checkpoint's origin is not that of log_id " +
                              QuoteUntrusted(p.log_id));
  }
  if (p.tree_size != c.tree_size) {
    return Status::Corruption("tree_size " + Num(p.tree_size) +
                              " is not the checkpoint's tree size " + Num(c.tree_size));
  }
  if (p.leaf_index >= p.tree_size) {
    return Status::Corruption("leaf_index " + Num(p.leaf_index) + " is not below tree_size");
  }
  RecordParser parser;
  RecordView r;
  if (p.record.find('\n') != std::string::npos || !parser.Parse(p.record, &r, false).ok()) {
    return Status::Corruption("record is not a valid record line");
  }
  if (r.seq != p.leaf_index + 1 || r.seq != p.seq) {
    return Status::Corruption("the record's seq " + Num(r.seq) +
                              " does not match leaf_index + 1 = " + Num(p.leaf_index + 1) +
                              " and seq = " + Num(p.seq));
  }
  Status s = VerifyInclusion(MerkleLeafHash(p.record), p.leaf_index, p.tree_size, p.inclusion_path,
                             c.root);
  if (!s.ok()) return Status::Corruption("inclusion: " + s.message());
  return c;
}

Status VerifyCheckpointConsistency(std::string_view old_note, std::string_view new_note,
                                   const ConsistencyProofDoc& proof,
                                   const Ed25519VerifierKey& key) {
  auto old_c = OpenCheckpoint(old_note, key, key.name());
  if (!old_c.ok()) return Status::Corruption("OLD checkpoint: " + old_c.status().message());
  auto new_c = OpenCheckpoint(new_note, key, key.name());
  if (!new_c.ok()) return Status::Corruption("NEW checkpoint: " + new_c.status().message());
  if (old_c->tree_size > new_c->tree_size) {
    return Status::Corruption("OLD checkpoint's tree size " + Num(old_c->tree_size) +
                              " is larger than NEW's " + Num(new_c->tree_size));
  }
  if (proof.old_size != old_c->tree_size || proof.new_size != new_c->tree_size) {
    return Status::Corruption("the proof is for sizes " + Num(proof.old_size) + " -> " +
                              Num(proof.new_size) + ", the checkpoints are " +
                              Num(old_c->tree_size) + " -> " + Num(new_c->tree_size));
  }
  Status s = VerifyConsistency(old_c->tree_size, old_c->root, new_c->tree_size, new_c->root,
                               proof.consistency_path);
  if (!s.ok()) return Status::Corruption("consistency: " + s.message());
  return Status::Ok();
}

}  // namespace auditlog::internal

namespace auditlog {
namespace {
Env* EnvOr(Env* env) { return env != nullptr ? env : Env::Default(); }
}  // namespace

Result<std::string> ProveRecord(const std::filesystem::path& dir, std::uint64_t seq, Env* env) {
  AUDITLOG_ASSIGN_OR_RETURN(internal::InclusionProofDoc p,
                            internal::ProveRecordInclusion(EnvOr(env), dir, seq));
  return internal::FormatInclusionProof(p);
}

Result<ProvenRecord> VerifyProof(std::string_view proof_json, std::string_view checkpoint_key) {
  AUDITLOG_ASSIGN_OR_RETURN(auto key, internal::Ed25519VerifierKey::Parse(checkpoint_key));
  AUDITLOG_ASSIGN_OR_RETURN(internal::InclusionProofDoc p,
                            internal::ParseInclusionProof(proof_json));
  AUDITLOG_ASSIGN_OR_RETURN(internal::Checkpoint c, internal::VerifyInclusionProofDoc(p, key));
  return ProvenRecord{.seq = p.seq, .tree_size = c.tree_size, .record = std::move(p.record)};
}

Result<std::string> LatestCheckpoint(const std::filesystem::path& dir, Env* env) {
  env = EnvOr(env);
  AUDITLOG_ASSIGN_OR_RETURN(internal::SealState state, internal::ReadSealState(env, dir));
  AUDITLOG_ASSIGN_OR_RETURN(
      internal::Ed25519SigningKey signer,
      internal::Ed25519SigningKey::LoadFile(
          env, dir / internal::kSealDirName / internal::kCheckpointKeyFileName));
  AUDITLOG_ASSIGN_OR_RETURN(std::string note, internal::ReadLatestCheckpointNote(env, dir));
  AUDITLOG_RETURN_IF_ERROR(
      internal::OpenCheckpoint(note, signer.verifier(),
                               internal::CheckpointOrigin(state.schedule.log_id))
          .status());
  return note;
}

Result<std::string> ProveConsistency(const std::filesystem::path& dir, std::uint64_t old_size,
                                     std::uint64_t new_size, Env* env) {
  if (new_size == 0) {
    AUDITLOG_ASSIGN_OR_RETURN(std::string note, LatestCheckpoint(dir, env));
    AUDITLOG_ASSIGN_OR_RETURN(internal::Checkpoint c,
                              internal::ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1)));
    new_size = c.tree_size;
  }
  AUDITLOG_ASSIGN_OR_RETURN(internal::ConsistencyProofDoc p,
                            internal::ProveTreeConsistency(EnvOr(env), dir, old_size, new_size));
  return internal::FormatConsistencyProof(p);
}

Status CheckConsistency(std::string_view old_checkpoint, std::string_view new_checkpoint,
                        std::string_view proof_json, std::string_view checkpoint_key) {
  AUDITLOG_ASSIGN_OR_RETURN(auto key, internal::Ed25519VerifierKey::Parse(checkpoint_key));
  AUDITLOG_ASSIGN_OR_RETURN(internal::ConsistencyProofDoc p,
                            internal::ParseConsistencyProof(proof_json));
  return internal::VerifyCheckpointConsistency(old_checkpoint, new_checkpoint, p, key);
}

Status CheckConsistencyWithLog(const std::filesystem::path& dir, std::string_view old_checkpoint,
                               std::string_view new_checkpoint, std::string_view checkpoint_key,
                               Env* env) {
  AUDITLOG_ASSIGN_OR_RETURN(auto key, internal::Ed25519VerifierKey::Parse(checkpoint_key));
  auto o = internal::OpenCheckpoint(old_checkpoint, key, key.name());
  if (!o.ok()) return Status::Corruption("OLD checkpoint: " + o.status().message());
  auto n = internal::OpenCheckpoint(new_checkpoint, key, key.name());
  if (!n.ok()) return Status::Corruption("NEW checkpoint: " + n.status().message());
  if (o->tree_size > n->tree_size) {
    return Status::Corruption("OLD checkpoint's tree size " + std::to_string(o->tree_size) +
                              " is larger than NEW's " + std::to_string(n->tree_size));
  }
  AUDITLOG_ASSIGN_OR_RETURN(
      internal::ConsistencyProofDoc p,
      internal::ProveTreeConsistency(EnvOr(env), dir, o->tree_size, n->tree_size));
  return internal::VerifyCheckpointConsistency(old_checkpoint, new_checkpoint, p, key);
}

}  // namespace auditlog
