// Helpers of the sealed-log tests (seal_util.h).
#include "seal_util.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/record_clock.h"
#include "format/manifest.h"
#include "format/record_format.h"
#include "seal/merkle.h"
#include "seal/seal_record.h"
#include "seal/seal_state.h"
#include "test_util.h"
#include "util/sha256.h"

namespace auditlog::testing {
namespace fs = std::filesystem;

SealedLog::SealedLog(fs::path dir, FakeClockEnv* clock) : dir_(std::move(dir)), clock_(clock) {}

Status SealedLog::Init() {
  AUDITLOG_ASSIGN_OR_RETURN(init_, InitSealing(dir_, {.env = env_ != nullptr ? env_ : clock_,
                                                      .interval = kSealInterval}));
  return Status::Ok();
}

Config SealedLog::MakeConfig() const {
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{dir_};
  config.flush_mode = flush_mode_;
  config.env = env_ != nullptr ? env_ : clock_;
  if (rotation_bytes_ > 0) config.rotation = RotationPolicy::SizeLimit(rotation_bytes_);
  return config;
}

Status SealedLog::Open() {
  AUDITLOG_ASSIGN_OR_RETURN(logger_, Logger::Open(MakeConfig()));
  return Status::Ok();
}

Status SealedLog::Emit(int n, std::uint64_t* last) {
  for (int i = 0; i < n; ++i) {
    AUDITLOG_ASSIGN_OR_RETURN(
        std::uint64_t seq,
        logger_->Emit(TaskCompleted{.task_id = "task-" + std::to_string(i), .worker_id = "w1"}));
    if (last != nullptr) *last = seq;
  }
  return logger_->Flush();
}

Status SealedLog::AdvanceBy(std::chrono::microseconds d) {
  clock_->Advance(d);
  // The writer looks at the clock after each round of writing: the event makes it run one,
  // whose MaybeSeal queues the marker before that round's fsync (the first Flush); the
  // second Flush waits for the marker itself.
  AUDITLOG_RETURN_IF_ERROR(Emit(1));
  return logger_->Flush();
}

Status SealedLog::Shutdown() {
  if (logger_ == nullptr) return Status::Ok();
  Status s = logger_->Shutdown();
  logger_.reset();
  return s;
}

Status SealedLog::WriteHonest(int epochs, int per_epoch) {
  AUDITLOG_RETURN_IF_ERROR(Init());
  AUDITLOG_RETURN_IF_ERROR(Open());
  for (int e = 0; e < epochs; ++e) {
    AUDITLOG_RETURN_IF_ERROR(Emit(per_epoch));
    AUDITLOG_RETURN_IF_ERROR(AdvanceEpoch());
  }
  return Shutdown();
}

Result<VerifyReport> VerifyWithKey(const fs::path& dir, const std::string& key, Env* env) {
  VerifyOptions options;
  options.env = env;
  options.seal_key = key;
  return Verify(dir, options);
}

bool HasFinding(const VerifyReport& r, FindingKind kind) {
  return std::any_of(r.findings.begin(), r.findings.end(),
                     [&](const Finding& f) { return f.kind == kind; });
}

std::string DescribeFindings(const VerifyReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    out += std::string(FindingKindName(f.kind)) + " (" + f.file + ":" + std::to_string(f.line) +
           "): " + f.reason + "\n";
  }
  return out.empty() ? "no findings\n" : out;
}

bool IsSealLine(const std::string& line) {
  return line.find("\"event\":{\"event_type\":\"log_sealed\"") != std::string::npos;
}

std::vector<std::size_t> SealLineIndexes(const std::vector<std::string>& lines) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (IsSealLine(lines[i])) out.push_back(i);
  }
  return out;
}

std::uint64_t SeqOfLine(const std::string& line) {
  const std::size_t p = line.find("\"seq\":");
  if (p == std::string::npos) return 0;
  return std::stoull(line.substr(p + 6, 20));
}

namespace {

// The members of a record line the re-framing needs (the writer's own form: FORMAT.md §3).
struct LineParts {
  std::int64_t ts_micros = 0;
  bool critical = false;
  std::string body;  // `"event":{…}` and what follows it up to `,"prev_hash"`
};

LineParts SplitLine(const std::string& line) {
  LineParts p;
  const std::size_t ts = line.find("\"timestamp\":\"") + 13;
  p.ts_micros = internal::ParseRecordTimestamp(line.substr(ts, 27)).value_or(0);
  const std::size_t crit = line.find(",\"critical\":");
  p.critical = line.compare(crit + 12, 4, "true") == 0;
  const std::size_t body = line.find(',', crit + 12) + 1;
  const std::size_t prev = line.rfind(",\"prev_hash\":\"");
  p.body = line.substr(body, prev - body);
  return p;
}

std::string ServiceOf(const std::string& line) {
  const std::size_t p = line.find("\"service_id\":\"") + 14;
  return line.substr(p, line.find('"', p) - p);
}

// Frames a record as the writer does; returns the line without '\n' and sets `*hash`.
std::string Frame(std::uint64_t seq, std::int64_t ts, const std::string& service, bool critical,
                  const std::string& body, const std::string& prev_hash, std::string* hash) {
  std::string out;
  char h[64];
  internal::FrameRecord(seq, ts, service, critical, body, prev_hash, &out, h);
  out.pop_back();
  hash->assign(h, 64);
  return out;
}

nlohmann::json TimestampOrNull(const std::string& line) {
  if (line.empty()) return nullptr;
  const std::size_t ts = line.find("\"timestamp\":\"") + 13;
  return line.substr(ts, 27);
}

std::string HashOfLine(const std::string& line) { return line.substr(line.size() - 66, 64); }

}  // namespace

std::string EventJsonOfLine(const std::string& line) {
  const std::string body = SplitLine(line).body;  // "event":{...}
  return body.substr(8);
}

std::vector<std::string> Rechain(const std::vector<std::string>& lines, std::uint64_t first_seq,
                                 std::string prev_hash) {
  std::vector<std::string> out;
  std::uint64_t seq = first_seq;
  for (const std::string& line : lines) {
    const LineParts p = SplitLine(line);
    std::string hash;
    out.push_back(Frame(seq++, p.ts_micros, ServiceOf(line), p.critical, p.body, prev_hash, &hash));
    prev_hash = hash;
  }
  return out;
}

fs::path OnlySegment(const fs::path& dir) {
  const auto segments = SegmentFiles(dir);
  return segments.size() == 1 ? segments.front() : fs::path();
}

Status FixManifest(const fs::path& dir) {
  const std::string text = ReadFile(dir / "manifest.json");
  nlohmann::json m = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!m.is_object() || !m["segments"].is_array()) {
    return Status::Corruption("manifest.json unreadable");
  }
  nlohmann::json kept = nlohmann::json::array();
  for (nlohmann::json& e : m["segments"]) {
    const std::string name = e.value("name", "");
    const fs::path path = dir / name;
    if (!fs::exists(path)) continue;
    const std::string contents = ReadFile(path);
    const std::vector<std::string> lines = ReadLines(path);
    const std::string first = lines.empty() ? "" : lines.front();
    const std::string last = lines.empty() ? "" : lines.back();
    e["records"] = lines.size();
    e["bytes"] = contents.size();
    e["first_seq"] = lines.empty() ? 0 : SeqOfLine(first);
    e["last_seq"] = lines.empty() ? 0 : SeqOfLine(last);
    e["first_hash"] = lines.empty() ? "" : HashOfLine(first);
    e["last_hash"] = lines.empty() ? "" : HashOfLine(last);
    e["first_timestamp"] = TimestampOrNull(first);
    e["last_timestamp"] = TimestampOrNull(last);
    if (e.value("state", "") == "closed") {
      const std::string sum = internal::Sha256Hex(contents);
      e["sha256"] = sum;
      WriteFile(dir / (name + ".sha256"), internal::ChecksumFileContents(sum, name));
    }
    kept.push_back(e);
  }
  m["segments"] = kept;
  WriteFile(dir / "manifest.json", m.dump());
  return Status::Ok();
}

Result<std::vector<std::string>> ForgeSealedLines(const std::vector<std::string>& records,
                                                  const ForgePlan& plan) {
  std::vector<std::string> out;
  internal::MerkleFrontier tree;
  std::string prev_hash(64, '0');
  std::string prev_tag(internal::kZeroTag);
  std::uint64_t prev_seal_seq = 0;
  std::int64_t prev_t_end = records.empty() ? 0 : SplitLine(records.front()).ts_micros;
  std::int64_t last_ts = prev_t_end;
  std::size_t seal_no = 0, since_seal = 0;
  auto append = [&](const std::string& line) {
    tree.Append(internal::MerkleLeafHash(line));
    out.push_back(line);
  };
  auto add_seal = [&]() -> Status {
    const std::uint64_t seq = out.size() + 1;
    const std::int64_t ts = plan.ts_of(seal_no, last_ts);
    LogSealed seal{.log_id = plan.log_id,
                   .kind = "data",
                   .epoch = plan.epoch_of(seal_no),
                   .t_start = internal::TimeOf(prev_t_end),
                   .t_end = internal::TimeOf(ts),
                   .first_seq = prev_seal_seq != 0 ? prev_seal_seq : 1,
                   .last_seq = seq - 1,
                   .chain = prev_hash,
                   .tree_size = seq - 1,
                   .root = internal::ToHex(tree.Root()),
                   .prev_tag = prev_tag};
    internal::EncodedEvent encoded;
    AUDITLOG_RETURN_IF_ERROR(
        internal::EncodeSealEvent(std::move(seal), plan.mac_key_of(seal_no), &encoded));
    std::string hash;
    append(Frame(seq, ts, "queen", encoded.critical, encoded.body, prev_hash, &hash));
    prev_hash = hash;
    prev_tag = encoded.body.substr(encoded.body.size() - 66, 64);
    prev_seal_seq = seq;
    prev_t_end = ts;
    last_ts = ts;
    ++seal_no;
    since_seal = 0;
    return Status::Ok();
  };
  for (const std::string& r : records) {
    const LineParts p = SplitLine(r);
    std::string hash;
    append(Frame(out.size() + 1, p.ts_micros, ServiceOf(r), p.critical, p.body, prev_hash, &hash));
    prev_hash = hash;
    last_ts = std::max(last_ts, p.ts_micros);
    if (++since_seal == plan.records_per_seal) AUDITLOG_RETURN_IF_ERROR(add_seal());
  }
  if (since_seal > 0 || seal_no == 0) AUDITLOG_RETURN_IF_ERROR(add_seal());
  return out;
}

Status MatchStateToLog(const fs::path& dir, Env* env) {
  const auto lines = ReadLines(OnlySegment(dir));
  const auto seals = SealLineIndexes(lines);
  if (seals.empty()) return Status::FailedPrecondition("no seal in the log");
  const std::string& last = lines[seals.back()];
  AUDITLOG_ASSIGN_OR_RETURN(auto seal, internal::ParseSealEvent(EventJsonOfLine(last)));
  AUDITLOG_ASSIGN_OR_RETURN(internal::SealState state, internal::ReadSealState(env, dir));
  state.generation += 1;
  state.last_seal_seq = SeqOfLine(last);
  state.last_seal_epoch = seal.epoch;
  for (std::size_t i = 0; i < 32; ++i) {
    state.last_tag[i] =
        static_cast<std::uint8_t>(std::stoi(seal.tag.substr(2 * i, 2), nullptr, 16));
  }
  WriteFile(dir / "seal" / "state.a", internal::EncodeSealStateSlot(state));
  WriteFile(dir / "seal" / "state.b", "");
  return Status::Ok();
}

void ReplaceDirectory(const fs::path& from, const fs::path& to) {
  for (const auto& e : fs::directory_iterator(to)) fs::remove_all(e.path());
  fs::copy(from, to, fs::copy_options::recursive);
}

}  // namespace auditlog::testing
