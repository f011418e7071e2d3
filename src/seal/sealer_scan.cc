// The log scans of Sealer::Open (sealer_scan.h).
#include "seal/sealer_scan.h"

#include <algorithm>
#include <vector>

#include "format/record_format.h"
#include "read/line_reader.h"

namespace auditlog::internal {
namespace {

// The bytes that start the event member of a log_sealed record. Inside a JSON string a '"'
// is always escaped, so no caller's string can contain them.
constexpr std::string_view kSealEventMarker = "\"event\":{\"event_type\":\"log_sealed\"";

// Where leaf hashes go: the tile store, or an in-memory frontier.
struct TreeSink {
  TileStore* tiles = nullptr;
  MerkleFrontier* frontier = nullptr;
  std::uint64_t size() const { return tiles ? tiles->size() : frontier->size(); }
  MerkleHash Root() const { return tiles ? tiles->Frontier().Root() : frontier->Root(); }
  Status Append(const MerkleHash& h) {
    if (tiles) return tiles->Append(h);
    frontier->Append(h);
    return Status::Ok();
  }
};

struct SegmentSummary {
  std::uint64_t first_seq = 0;  // 0: no record
  std::optional<SealRecord> last_seal;
  std::uint64_t last_seal_seq = 0;
};

// Reads one segment for its first seq and its last seal. kCorruption-free: problems go to
// *problem.
Status Summarize(Env* env, const SegmentFile& segment, RecordParser& parser, SegmentSummary* out,
                 std::string* problem) {
  AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segment));
  std::string_view line;
  std::uint64_t offset = 0;
  for (std::uint64_t n = 0;; ++n) {
    AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more) return Status::Ok();
    const bool seal = line.find(kSealEventMarker) != std::string_view::npos;
    if (n > 0 && !seal) continue;
    RecordView r;
    if (reader->overlong() || !parser.Parse(line, &r, /*compute_hash=*/false).ok()) {
      *problem = segment.name + " holds a malformed record at offset " + std::to_string(offset);
      return Status::Ok();
    }
    if (n == 0) out->first_seq = r.seq;
    if (seal && r.event_type == kSealEventType) {
      auto parsed = ParseSealEvent(r.event_json);
      if (parsed.ok()) {
        out->last_seal = std::move(*parsed);
        out->last_seal_seq = r.seq;
      }
    }
  }
}

// Hashes the lines of segments[k..] whose seq is beyond `from` into `sink` and records the
// seals on the way (each one's root checked when the tree reaches its size).
Status ScanForward(Env* env, const std::vector<SegmentFile>& segments, std::size_t k,
                   std::uint64_t from, TreeSink sink, LogScan* scan) {
  RecordParser parser;
  std::uint64_t next = 0;  // the seq the next line must have (0: not known yet)
  for (std::size_t i = k; i < segments.size(); ++i) {
    const SegmentFile& segment = segments[i];
    AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segment));
    std::string_view line;
    std::uint64_t offset = 0;
    for (bool first_line = true;; first_line = false) {
      AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
      if (!more) break;
      if (reader->overlong()) {
        scan->problem = segment.name + " holds a line over the record size limit";
        return Status::Ok();
      }
      const bool seal = line.find(kSealEventMarker) != std::string_view::npos;
      if (first_line || seal) {
        RecordView r;
        if (!parser.Parse(line, &r, /*compute_hash=*/false).ok() || (next != 0 && r.seq != next)) {
          scan->problem = segment.name + " holds a malformed or out-of-sequence record at offset " +
                          std::to_string(offset);
          return Status::Ok();
        }
        next = r.seq;
        if (!scan->first_known && i == 0 && first_line) {
          scan->first_known = true;
          scan->first_seq = r.seq;
          scan->first_ts_micros = r.ts_micros;
        }
        if (seal && r.event_type == kSealEventType) {
          auto parsed = ParseSealEvent(r.event_json);
          if (parsed.ok()) {
            if (parsed->tree_size == sink.size() && sink.size() == r.seq - 1 &&
                ToHex(sink.Root()) != parsed->root) {
              scan->problem = "the records before the seal at seq " + std::to_string(r.seq) +
                              " do not match its Merkle root";
            }
            scan->last_seal = std::move(*parsed);
            scan->last_seal_seq = r.seq;
            scan->last_seal_ts = r.ts_micros;
          }
        }
      }
      if (next > from) {
        if (next != sink.size() + 1) {
          scan->problem = "record seq " + std::to_string(next) + " in " + segment.name +
                          " does not follow the tree's " + std::to_string(sink.size()) +
                          " leaves (records are missing)";
          return Status::Ok();
        }
        AUDITLOG_RETURN_IF_ERROR(sink.Append(MerkleLeafHash(line)));
        ++scan->records_read;
      }
      scan->last_seq = next;
      ++next;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<LogScan> ScanWholeLog(Env* env, const std::filesystem::path& dir) {
  LogScan scan;
  auto segments = ListLogSegments(env, dir);
  if (!segments.ok()) {
    if (segments.status().code() == StatusCode::kNotFound) return scan;
    return segments.status();
  }
  AUDITLOG_RETURN_IF_ERROR(ScanForward(env, *segments, 0, 0, TreeSink{nullptr, &scan.tree}, &scan));
  if (scan.problem.empty() && scan.last_seq > 0 && scan.first_seq != 1) {
    scan.problem = "the log's first record has seq " + std::to_string(scan.first_seq) +
                   ", not 1 (its Merkle tree cannot be rebuilt)";
  }
  return scan;
}

Result<LogScan> ScanLogIntoTiles(Env* env, const std::filesystem::path& dir, std::uint64_t records,
                                 TileStore* tiles, bool* tiles_unusable) {
  *tiles_unusable = false;
  LogScan scan;
  std::vector<SegmentFile> segments;
  auto listed = ListLogSegments(env, dir);
  if (listed.ok()) {
    segments = std::move(*listed);
  } else if (listed.status().code() != StatusCode::kNotFound) {
    return listed.status();
  }
  const std::uint64_t have = std::min(tiles->size(), records);
  // From the end: the segments holding the records beyond the store, and the last seal.
  RecordParser parser;
  std::size_t k = segments.size();
  std::optional<SealRecord> seal;
  std::uint64_t earliest_first = 0;
  while (k > 0) {
    SegmentSummary s;
    AUDITLOG_RETURN_IF_ERROR(Summarize(env, segments[k - 1], parser, &s, &scan.problem));
    if (!scan.problem.empty()) return scan;
    --k;
    if (!seal && s.last_seal) seal = s.last_seal;
    if (s.first_seq != 0) earliest_first = s.first_seq;
    const std::uint64_t need = seal ? std::min(have, seal->tree_size) : 0;
    if (seal && s.first_seq != 0 && s.first_seq <= need + 1) break;
  }
  // Without a seal the whole log was read: nothing in the store is trusted then, except
  // the records retention deleted (the log no longer holds them; the store is all there is).
  std::uint64_t from = seal ? std::min(have, seal->tree_size)
                            : std::min(have, earliest_first > 0 ? earliest_first - 1 : 0);
  from = std::max(from, std::min(have, tiles->min_index()));
  if (earliest_first > from + 1) {
    scan.problem = "records " + std::to_string(from + 1) + ".." +
                   std::to_string(earliest_first - 1) +
                   " are neither in the log nor in its tile store";
    return scan;
  }
  if (!tiles->TruncateTo(from).ok()) {
    *tiles_unusable = true;
    return scan;
  }
  if (seal && seal->tree_size == from && ToHex(tiles->Frontier().Root()) != seal->root) {
    *tiles_unusable = true;  // the store or the log was changed: the whole log decides
    return scan;
  }
  Status s = ScanForward(env, segments, k, from, TreeSink{tiles, nullptr}, &scan);
  if (!s.ok()) {
    if (tiles->Flush().ok()) return s;  // the store works: reading the log failed
    *tiles_unusable = true;
    return scan;
  }
  // A root that does not match: the whole log decides whether the log or the store is wrong.
  if (scan.problem.find("Merkle root") != std::string::npos) *tiles_unusable = true;
  return scan;
}

}  // namespace auditlog::internal
