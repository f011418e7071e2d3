// The on-disk record format (version 1). docs/FORMAT.md is the normative description; this
// header holds its constants and the two operations every component shares: framing a
// record (writer) and parsing one line back (verify, query, recovery). Thread-compatible:
// a RecordParser is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auditlog/limits.h"
#include "auditlog/status.h"
#include "format/log_dir.h"  // segment file names (SegmentFileName, ParseSegmentFileName)

namespace auditlog::internal {

inline constexpr int kFormatVersion = 1;
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
// A line ends with `,"hash":"` + 64 hex digits + `"}`; the hash covers everything before it.
inline constexpr std::string_view kHashMemberPrefix = ",\"hash\":\"";
inline constexpr std::size_t kHashSuffixBytes = 9 + 64 + 2;  // 75

// The most bytes FrameRecord adds around an event body: every envelope member at its
// longest (seq and the audit_id's seq of 20 digits, a 64-byte service_id, a timestamp of a
// year beyond 9999 as strftime renders it, "critical":false) and the hash suffix. A body of
// at most kMaxEventBodyBytes therefore frames to at most kMaxRecordBytes (record_format_test).
inline constexpr std::size_t kMaxEnvelopeBytes =
    std::string_view(R"({"v":1,"seq":,"audit_id":"-","timestamp":"","service_id":"",)"
                     R"("critical":false,,"prev_hash":"")")
        .size() +
    20 + 64 + 20 + 40 + 64 + 64 + kHashSuffixBytes;
inline constexpr std::size_t kMaxEventBodyBytes = kMaxRecordBytes - kMaxEnvelopeBytes;

// The record's optional "origin" member: the process a record was written for, as the
// kernel reported it (auditlogd). `exe` is neutralized like an event string (FORMAT.md §7
// rules 1-2) and cut at kMaxOriginExeBytes; then "exe_altered":true follows it.
inline constexpr std::size_t kMaxOriginExeBytes = 4096;
// The longest `,"origin":{…}` AppendOrigin writes: three 10-digit numbers, the exe with every
// byte escaped as \\ or \" (the markers of neutralized bytes are plain ASCII), and the flag.
inline constexpr std::size_t kMaxOriginBytes =
    std::string_view(R"(,"origin":{"uid":,"gid":,"pid":,"exe":"","exe_altered":true})").size() +
    3 * 10 + 2 * kMaxOriginExeBytes;
// Appends `,"origin":{"uid":U,"gid":G,"pid":P,"exe":"…"}` to an EncodedEvent body.
void AppendOrigin(std::uint32_t uid, std::uint32_t gid, std::uint32_t pid, std::string_view exe,
                  std::string* body);

// The hash of a line (without its '\n'), computed over all but its last 75 bytes.
// REQUIRES: line.size() > kHashSuffixBytes.
std::string ComputeLineHash(std::string_view line);

// "<service_id>-<seq>", e.g. "queen-42".
std::string MakeAuditId(std::string_view service_id, std::uint64_t seq);

// True when `s` is 64 lowercase hex digits.
bool IsLowerHex64(std::string_view s);

// Appends one complete record line, ending in '\n', to `*out`, and writes its 64-hex hash to
// `hash_out`. `body` is EncodedEvent::body; `prev_hash` is 64 lowercase hex digits.
void FrameRecord(std::uint64_t seq, std::int64_t ts_micros, std::string_view service_id,
                 bool critical, std::string_view body, std::string_view prev_hash, std::string* out,
                 char hash_out[64]);

// What a record line says about itself. Views point into the parsed line or the parser and
// stay valid until the next Parse() on the same parser.
struct RecordView {
  std::uint64_t seq = 0;
  std::string_view audit_id;
  std::string_view timestamp;
  std::int64_t ts_micros = 0;
  std::string_view service_id;
  bool critical = false;
  std::string_view event_type;
  std::string_view event_json;      // the raw text of the "event" member's value
  std::string_view sanitized_json;  // the raw "sanitized" value, empty when absent
  bool has_origin = false;          // the record carries an "origin" member (validated)
  std::string_view prev_hash;
  std::string_view hash;      // as stored in the line
  bool hash_matches = false;  // stored hash == SHA-256 of the covered bytes
  // The line's RFC 6962 leaf hash, when verify's pipeline was asked for it (else null).
  const std::array<std::uint8_t, 32>* leaf_hash = nullptr;
};

// Parses one line (without its '\n') and checks its form: no raw control bytes, valid UTF-8
// JSON object, exactly the version-1 members in their order, no duplicate member names at
// any depth, types and formats of every envelope member. A line that fails returns
// kCorruption with a reason naming the member. The hash is recomputed (hash_matches) but a
// mismatch is not an error here: the verifier decides what it means.
class RecordParser {
 public:
  RecordParser();
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  Status Parse(std::string_view line, RecordView* out, bool compute_hash = true);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "YYYY-MM-DDTHH:MM:SS.ffffffZ" exactly (the record form). nullopt if malformed.
std::optional<std::int64_t> ParseRecordTimestamp(std::string_view ts);

}  // namespace auditlog::internal
