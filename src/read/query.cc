// Streaming queries over a log; see auditlog/query.h.
#include "auditlog/query.h"

#include <simdjson.h>

#include <algorithm>

#include "format/record_format.h"
#include "read/line_reader.h"
#include "read/query_internal.h"
#include "util/civil_time.h"
#include "util/json_writer.h"

namespace auditlog {

namespace fs = std::filesystem;
using internal::LineReader;
using internal::SegmentFile;

// ---- time arguments ---------------------------------------------------------------------

std::int64_t TimeToMicros(Time t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

Time MicrosToTime(std::int64_t micros) {
  return Time(std::chrono::duration_cast<Time::duration>(std::chrono::microseconds(micros)));
}

std::string FormatTime(Time t) {
  std::string s;
  internal::AppendTimestamp(TimeToMicros(t), &s);
  return s;
}

namespace {

constexpr std::string_view kTimeForms =
    "expected an RFC 3339 date-time (2026-11-27T10:00:00Z, 2026-11-27T10:00:00.5+02:00) or a "
    "date (2026-11-27)";

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<Time> ParseTime(std::string_view s, TimeBound bound) {
  const Status bad = Status::InvalidArgument(std::string(kTimeForms));
  int year = 0, mon = 0, day = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mon) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return bad;
  }
  int hour = 0, min = 0, sec = 0;
  std::int64_t micros = 0;
  std::int64_t offset_secs = 0;
  bool date_only = s.size() == 10;
  if (!date_only) {
    if (s.size() < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &min) || s[16] != ':' ||
        !Digits(s, 17, 2, &sec)) {
      return bad;
    }
    std::size_t pos = 19;
    if (s[pos] == '.') {
      ++pos;
      std::size_t n = 0;
      std::int64_t frac = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (n < 6) frac = frac * 10 + (s[pos] - '0');
        ++n;
        ++pos;
      }
      if (n == 0) return bad;
      for (std::size_t k = n; k < 6; ++k) frac *= 10;
      micros = frac;  // digits past the sixth are truncated (records hold microseconds)
    }
    if (pos >= s.size()) return bad;
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
        return bad;
      }
      offset_secs = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      pos += 6;
    } else {
      return bad;
    }
    if (pos != s.size()) return bad;
  }
  if (hour > 23 || min > 59 || sec > 60) return bad;
  // A leap second is accepted as the first second of the next minute, but not when that
  // is the next day.
  if (sec == 60 && hour == 23 && min == 59) return bad;
  const auto days =
      internal::DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  if (!days) return bad;  // Feb 30
  // Time counts nanoseconds in an int64: it ends in 2262 (and begins in 1677). A date
  // beyond is refused rather than wrapped into a wrong instant (issue 8 case 17).
  constexpr std::int64_t kMinSecs = -9223200000;  // 1677-09-23T00:00:00Z
  constexpr std::int64_t kMaxSecs = 9223199999;   // 2262-04-09T23:59:59Z
  const std::int64_t local = *days * 86400 + hour * 3600 + min * 60 + sec;
  if (local < kMinSecs || local > kMaxSecs) {
    return Status::InvalidArgument(
        "out of range: only dates from 1677-09-23 to 2262-04-09 can be represented");
  }
  std::int64_t total = (local - offset_secs) * 1000000 + micros;
  if (date_only && bound == TimeBound::kEnd) total += 86400LL * 1000000 - 1;
  return MicrosToTime(total);
}

// ---- event matching ---------------------------------------------------------------------

namespace {

// simdjson needs padded input; a thread's parser keeps its buffers between calls.
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool StringMember(simdjson::dom::object obj, std::string_view key, std::string_view want) {
  std::string_view value;
  return obj[key].get_string().get(value) == simdjson::SUCCESS && value == want;
}

// `value` as a JSON string, quotes included: what CannotContain looks for.
std::string Needle(std::string_view value) {
  std::string needle;
  internal::AppendJsonString(value, &needle);
  return needle;
}

// Cheap rejection: when the event text has no backslash, its strings are their own JSON
// text, so a value whose JSON form (`needle`) is not a substring of it cannot match.
bool CannotContain(std::string_view event_json, std::string_view needle) {
  if (event_json.find('\\') != std::string_view::npos) return false;
  return event_json.find(needle) == std::string_view::npos;
}

bool MatchesActor(std::string_view event_json, std::string_view actor, std::string_view needle) {
  if (CannotContain(event_json, needle)) return false;
  simdjson::dom::object obj;
  if (ThreadParser().parse(event_json.data(), event_json.size()).get_object().get(obj)) {
    return false;
  }
  simdjson::dom::object actor_obj;
  if (obj["actor"].get_object().get(actor_obj) == simdjson::SUCCESS &&
      StringMember(actor_obj, "user_id", actor)) {
    return true;
  }
  return StringMember(obj, "attempted_user", actor) || StringMember(obj, "requester", actor) ||
         StringMember(obj, "subject", actor);
}

bool MatchesResource(std::string_view event_json, std::string_view resource_id,
                     std::string_view needle) {
  if (CannotContain(event_json, needle)) return false;
  simdjson::dom::object obj;
  if (ThreadParser().parse(event_json.data(), event_json.size()).get_object().get(obj)) {
    return false;
  }
  for (auto field : obj) {
    const std::string_view key = field.key;
    if (key == "resource") {
      simdjson::dom::object res;
      if (field.value.get_object().get(res) == simdjson::SUCCESS &&
          (StringMember(res, "resource_id", resource_id) ||
           StringMember(res, "parent_id", resource_id))) {
        return true;
      }
      continue;
    }
    const bool id_member =
        (key.size() > 3 && key.substr(key.size() - 3) == "_id" && key != "service_id") ||
        key == "model_ref";
    std::string_view value;
    if (id_member && field.value.get_string().get(value) == simdjson::SUCCESS &&
        value == resource_id) {
      return true;
    }
  }
  return false;
}

}  // namespace

// ---- the cursor -------------------------------------------------------------------------

struct QueryCursor::Impl {
  Env* env = nullptr;
  Query query;
  std::optional<std::int64_t> start, end;     // micros
  std::string actor_needle, resource_needle;  // Needle() of query.actor / query.resource_id
  std::vector<SegmentFile> segments;
  std::size_t next_segment = 0;
  std::unique_ptr<LineReader> reader;
  const SegmentFile* current = nullptr;
  std::uint64_t line_no = 0;
  bool done = false;
  internal::RecordParser parser;

  std::uint64_t scanned = 0, matched = 0, malformed = 0, torn = 0, skipped = 0, bytes = 0;

  // True when segment i holds no record in [start, end]: judged by its own first and last
  // records (see internal::PeekTimeRange), never by manifest.json. Timestamps are only
  // non-decreasing within a segment (a clock step starts a new one), so every segment is
  // judged on its own. When the range cannot be learned, the segment is read.
  bool OutsideRange(std::size_t i) const {
    if (!start && !end) return false;
    auto range = internal::PeekTimeRange(env, segments[i]);
    if (!range.ok() || !range->has_value()) return false;  // reading it reports the error
    return (start && (*range)->last_micros < *start) || (end && (*range)->first_micros > *end);
  }

  bool Matches(const internal::RecordView& r) const {
    if (query.critical_only && !r.critical) return false;
    if (start && r.ts_micros < *start) return false;
    if (end && r.ts_micros > *end) return false;
    if (!query.event_types.empty() && std::find(query.event_types.begin(), query.event_types.end(),
                                                r.event_type) == query.event_types.end()) {
      return false;
    }
    if (query.actor && !MatchesActor(r.event_json, *query.actor, actor_needle)) return false;
    if (query.resource_id && !MatchesResource(r.event_json, *query.resource_id, resource_needle)) {
      return false;
    }
    return true;
  }

  Result<bool> Next(Record* out) {
    if (done) return false;
    if (query.limit && matched >= *query.limit) {
      done = true;
      return false;
    }
    for (;;) {
      if (!reader) {
        if (next_segment >= segments.size()) {
          done = true;
          return false;
        }
        const std::size_t i = next_segment++;
        if (OutsideRange(i)) {
          ++skipped;
          continue;
        }
        current = &segments[i];
        line_no = 0;
        AUDITLOG_ASSIGN_OR_RETURN(reader, LineReader::Open(env, *current));
      }
      std::string_view line;
      std::uint64_t offset = 0;
      AUDITLOG_ASSIGN_OR_RETURN(const bool more, reader->Next(&line, &offset));
      if (!more) {
        if (reader->trailing_bytes() > 0) ++torn;
        reader.reset();
        continue;
      }
      ++line_no;
      bytes += line.size() + 1;
      internal::RecordView r;
      if (!parser.Parse(line, &r, /*compute_hash=*/false).ok()) {
        ++malformed;
        continue;
      }
      ++scanned;
      if (!Matches(r)) continue;
      ++matched;
      internal::FillRecord(r, line, out);
      out->segment = current->name;
      out->line_no = line_no;
      return true;
    }
  }
};

QueryCursor::QueryCursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryCursor::~QueryCursor() = default;

Result<std::unique_ptr<QueryCursor>> QueryCursor::Open(const fs::path& dir, const Query& query,
                                                       const QueryOptions& options) {
  if (query.start_time && query.end_time && *query.start_time > *query.end_time) {
    return Status::InvalidArgument("query: start_time is after end_time");
  }
  if (query.limit && *query.limit == 0) return Status::InvalidArgument("query: limit is 0");
  auto impl = std::make_unique<Impl>();
  impl->env = options.env ? options.env : Env::Default();
  impl->query = query;
  if (query.start_time) impl->start = TimeToMicros(*query.start_time);
  if (query.end_time) impl->end = TimeToMicros(*query.end_time);
  if (query.actor) impl->actor_needle = Needle(*query.actor);
  if (query.resource_id) impl->resource_needle = Needle(*query.resource_id);
  AUDITLOG_ASSIGN_OR_RETURN(impl->segments, internal::ListLogSegments(impl->env, dir));
  return std::unique_ptr<QueryCursor>(new QueryCursor(std::move(impl)));
}

Result<bool> QueryCursor::Next(Record* record) { return impl_->Next(record); }

std::uint64_t QueryCursor::records_scanned() const { return impl_->scanned; }
std::uint64_t QueryCursor::records_matched() const { return impl_->matched; }
std::uint64_t QueryCursor::malformed_lines() const { return impl_->malformed; }
std::uint64_t QueryCursor::torn_segments() const { return impl_->torn; }
std::uint64_t QueryCursor::segments_total() const { return impl_->segments.size(); }
std::uint64_t QueryCursor::segments_skipped() const { return impl_->skipped; }
std::uint64_t QueryCursor::bytes_read() const { return impl_->bytes; }

namespace internal {

void FillRecord(const RecordView& r, std::string_view line, Record* out) {
  out->seq = r.seq;
  out->audit_id.assign(r.audit_id);
  out->timestamp.assign(r.timestamp);
  out->ts_micros = r.ts_micros;
  out->service_id.assign(r.service_id);
  out->critical = r.critical;
  out->event_type.assign(r.event_type);
  out->event_json.assign(r.event_json);
  out->sanitized_json.assign(r.sanitized_json);
  out->prev_hash.assign(r.prev_hash);
  out->hash.assign(r.hash);
  out->line.assign(line);
}

}  // namespace internal

}  // namespace auditlog
