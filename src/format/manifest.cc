// manifest.json reading and writing; see manifest.h and docs/FORMAT.md ("Manifest").
#include "format/manifest.h"

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "auditlog/config.h"
#include "format/record_format.h"
#include "util/json_writer.h"

namespace auditlog::internal {

// ordered_json keeps members in the order written, so the file reads top-down.
using json = nlohmann::ordered_json;

std::string_view SegmentStateName(SegmentState s) {
  switch (s) {
    case SegmentState::kActive:
      return "active";
    case SegmentState::kClosed:
      return "closed";
    case SegmentState::kArchived:
      return "archived";
    case SegmentState::kDeleted:
      return "deleted";
  }
  return "active";
}

SegmentEntry* Manifest::Find(std::string_view name) {
  for (auto& s : segments) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const SegmentEntry* Manifest::Find(std::string_view name) const {
  return const_cast<Manifest*>(this)->Find(name);
}

namespace {
json Time(std::int64_t micros) {
  return micros == 0 ? json(nullptr) : json(FormatTimestamp(micros));
}
}  // namespace

std::string Manifest::ToJson() const {
  json j;
  j["format"] = "auditlog-manifest";
  j["version"] = 1;
  j["service_id"] = service_id;
  j["created_at"] = Time(created_micros);
  j["updated_at"] = Time(updated_micros);
  j["clean_shutdown"] = clean_shutdown;
  json segs = json::array();
  for (const SegmentEntry& s : segments) {
    json e;
    e["name"] = s.name;
    e["index"] = s.index;
    e["state"] = SegmentStateName(s.state);
    e["first_seq"] = s.first_seq;
    e["last_seq"] = s.last_seq;
    e["first_hash"] = s.first_hash;
    e["last_hash"] = s.last_hash;
    e["records"] = s.records;
    e["bytes"] = s.bytes;
    e["first_timestamp"] = Time(s.first_ts_micros);
    e["last_timestamp"] = Time(s.last_ts_micros);
    e["created_at"] = Time(s.created_micros);
    e["closed_at"] = Time(s.closed_micros);
    e["sha256"] = s.sha256.empty() ? json(nullptr) : json(s.sha256);
    if (s.state == SegmentState::kArchived) {
      e["archive"] = {
          {"name", s.archive_name}, {"bytes", s.archive_bytes}, {"sha256", s.archive_sha256}};
    }
    segs.push_back(std::move(e));
  }
  j["segments"] = std::move(segs);
  return j.dump(2) + "\n";
}

namespace {

Status Bad(const std::string& what) { return Status::Corruption("manifest: " + what); }

// Depth and value count of `text` within the limits, before any DOM is built. Strings are
// skipped (their brackets and commas are not structure); the parser checks the rest.
Status CheckStructure(std::string_view text) {
  int depth = 0;
  std::size_t values = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxManifestDepth) {
        return Bad("nested deeper than " + std::to_string(kMaxManifestDepth) + " levels");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',') {
      ++values;
    }
  }
  if (values > kMaxManifestValues) {
    return Bad("more than " + std::to_string(kMaxManifestValues) + " JSON values");
  }
  return Status::Ok();
}

// Typed, checked access to the members of one JSON object. `where` names the object in
// errors ("" for the top level, "segments[3] (NAME)" for an entry).
class Members {
 public:
  Members(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Status Get(std::string_view key, const json** out) const {
    const auto it = object_.find(std::string(key));
    if (it == object_.end()) return Fail(key, "is missing");
    *out = &*it;
    return Status::Ok();
  }
  Status U64(std::string_view key, std::uint64_t* out) const {
    const json* v = nullptr;
    AUDITLOG_RETURN_IF_ERROR(Get(key, &v));
    if (!v->is_number_unsigned()) return Fail(key, "is not an unsigned integer", v);
    *out = v->get<std::uint64_t>();
    return Status::Ok();
  }
  Status String(std::string_view key, std::string* out) const {
    const json* v = nullptr;
    AUDITLOG_RETURN_IF_ERROR(Get(key, &v));
    if (!v->is_string()) return Fail(key, "is not a string", v);
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out) const {
    const json* v = nullptr;
    AUDITLOG_RETURN_IF_ERROR(Get(key, &v));
    if (!v->is_boolean()) return Fail(key, "is not a boolean", v);
    *out = v->get<bool>();
    return Status::Ok();
  }
  // null (0) or a timestamp in the record form.
  Status Time(std::string_view key, std::int64_t* out) const {
    const json* v = nullptr;
    AUDITLOG_RETURN_IF_ERROR(Get(key, &v));
    if (v->is_null()) {
      *out = 0;
      return Status::Ok();
    }
    if (!v->is_string()) return Fail(key, "is not a timestamp or null", v);
    const auto micros = ParseRecordTimestamp(v->get_ref<const std::string&>());
    if (!micros) return Fail(key, "is not a timestamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)");
    *out = *micros;
    return Status::Ok();
  }
  // 64 lowercase hex digits; also "" when `allow_empty`, and null ("") when `allow_null`.
  Status Hash(std::string_view key, std::string* out, bool allow_empty, bool allow_null) const {
    const json* v = nullptr;
    AUDITLOG_RETURN_IF_ERROR(Get(key, &v));
    if (allow_null && v->is_null()) {
      out->clear();
      return Status::Ok();
    }
    if (!v->is_string()) return Fail(key, "is not a string", v);
    *out = v->get<std::string>();
    if ((allow_empty && out->empty()) || IsLowerHex64(*out)) return Status::Ok();
    return Fail(key, "is not 64 lowercase hex digits");
  }

  Status Fail(std::string_view key, std::string_view problem, const json* v = nullptr) const {
    std::string msg = where_.empty() ? "" : where_ + ": ";
    msg += "\"" + std::string(key) + "\" " + std::string(problem);
    if (v != nullptr) msg += std::string(" (it is ") + v->type_name() + ")";
    return Bad(msg);
  }

 private:
  const json& object_;
  std::string where_;
};

// A name from the file, fit for an error message (it may hold anything).
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

Status ParseState(const Members& m, SegmentState* state) {
  std::string name;
  AUDITLOG_RETURN_IF_ERROR(m.String("state", &name));
  for (SegmentState s : {SegmentState::kActive, SegmentState::kClosed, SegmentState::kArchived,
                         SegmentState::kDeleted}) {
    if (name == SegmentStateName(s)) {
      *state = s;
      return Status::Ok();
    }
  }
  return m.Fail("state", "is not one of active, closed, archived, deleted");
}

Status ParseEntry(const json& e, std::size_t i, SegmentEntry* s) {
  std::string where = "segments[" + std::to_string(i) + "]";
  if (!e.is_object()) return Bad(where + " is not an object");
  const auto name = e.find("name");
  if (name != e.end() && name->is_string()) {
    where += " (" + Printable(name->get_ref<const std::string&>()) + ")";
  }
  const Members m(e, where);
  AUDITLOG_RETURN_IF_ERROR(m.String("name", &s->name));
  if (!IsValidSegmentName(s->name)) {
    return m.Fail("name", "is not a segment file name (NNNNNNNNNN-YYYY-MM-DD.audit)");
  }
  AUDITLOG_RETURN_IF_ERROR(m.U64("index", &s->index));
  AUDITLOG_RETURN_IF_ERROR(ParseState(m, &s->state));
  AUDITLOG_RETURN_IF_ERROR(m.U64("first_seq", &s->first_seq));
  AUDITLOG_RETURN_IF_ERROR(m.U64("last_seq", &s->last_seq));
  AUDITLOG_RETURN_IF_ERROR(m.Hash("first_hash", &s->first_hash, true, false));
  AUDITLOG_RETURN_IF_ERROR(m.Hash("last_hash", &s->last_hash, true, false));
  AUDITLOG_RETURN_IF_ERROR(m.U64("records", &s->records));
  AUDITLOG_RETURN_IF_ERROR(m.U64("bytes", &s->bytes));
  AUDITLOG_RETURN_IF_ERROR(m.Time("first_timestamp", &s->first_ts_micros));
  AUDITLOG_RETURN_IF_ERROR(m.Time("last_timestamp", &s->last_ts_micros));
  AUDITLOG_RETURN_IF_ERROR(m.Time("created_at", &s->created_micros));
  AUDITLOG_RETURN_IF_ERROR(m.Time("closed_at", &s->closed_micros));
  AUDITLOG_RETURN_IF_ERROR(m.Hash("sha256", &s->sha256, false, true));
  const auto archive = e.find("archive");
  if (s->state != SegmentState::kArchived) {
    if (archive != e.end()) return m.Fail("archive", "is present on an entry that is not archived");
    return Status::Ok();
  }
  if (archive == e.end()) return m.Fail("archive", "is missing on an archived entry");
  if (!archive->is_object()) return m.Fail("archive", "is not an object", &*archive);
  const Members a(*archive, where + ": archive");
  AUDITLOG_RETURN_IF_ERROR(a.String("name", &s->archive_name));
  AUDITLOG_RETURN_IF_ERROR(a.U64("bytes", &s->archive_bytes));
  return a.Hash("sha256", &s->archive_sha256, false, false);
}

// Records every member name of every object; `duplicate` receives the first repeated one.
struct DuplicateFinder {
  std::vector<std::set<std::string>> open;
  std::optional<std::string> duplicate;

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second && !duplicate) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  }
};

Result<Manifest> ParseChecked(std::string_view text) {
  AUDITLOG_RETURN_IF_ERROR(CheckStructure(text));
  DuplicateFinder duplicates;
  const json j = json::parse(
      text, [&](int d, json::parse_event_t ev, json& p) { return duplicates(d, ev, p); },
      /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("not valid JSON");
  if (!j.is_object()) return Bad("not a JSON object");
  if (duplicates.duplicate) {
    return Bad("member \"" + Printable(*duplicates.duplicate) + "\" appears twice in an object");
  }
  const Members top(j, "");
  std::string format;
  AUDITLOG_RETURN_IF_ERROR(top.String("format", &format));
  if (format != "auditlog-manifest") return top.Fail("format", "is not \"auditlog-manifest\"");
  std::uint64_t version = 0;
  AUDITLOG_RETURN_IF_ERROR(top.U64("version", &version));
  if (version != 1) return top.Fail("version", "is not 1 (an unknown manifest version)");
  Manifest m;
  AUDITLOG_RETURN_IF_ERROR(top.String("service_id", &m.service_id));
  AUDITLOG_RETURN_IF_ERROR(top.Time("created_at", &m.created_micros));
  AUDITLOG_RETURN_IF_ERROR(top.Time("updated_at", &m.updated_micros));
  AUDITLOG_RETURN_IF_ERROR(top.Bool("clean_shutdown", &m.clean_shutdown));
  const json* segments = nullptr;
  AUDITLOG_RETURN_IF_ERROR(top.Get("segments", &segments));
  if (!segments->is_array()) return top.Fail("segments", "is not an array", segments);
  m.segments.reserve(segments->size());
  for (std::size_t i = 0; i < segments->size(); ++i) {
    SegmentEntry s;
    AUDITLOG_RETURN_IF_ERROR(ParseEntry((*segments)[i], i, &s));
    m.segments.push_back(std::move(s));
  }
  AUDITLOG_RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

// The rules of one entry on its own (see ValidateManifest).
Status ValidateEntry(const SegmentEntry& e, const std::string& where) {
  const auto index = ParseSegmentFileName(e.name);
  if (!index) return Bad(where + ": \"name\" is not a segment file name");
  if (e.index != *index) {
    return Bad(where + ": \"index\" " + std::to_string(e.index) +
               " is not the index in its name (" + std::to_string(*index) + ")");
  }
  if (e.records == 0) {
    if (e.first_seq != 0 || e.last_seq != 0 || !e.first_hash.empty() || !e.last_hash.empty()) {
      return Bad(where + ": has no records but a first/last seq or hash");
    }
  } else if (e.first_seq == 0 || e.first_seq > e.last_seq ||
             e.records - 1 > e.last_seq - e.first_seq) {
    return Bad(where + ": \"records\" " + std::to_string(e.records) + " does not fit seq " +
               std::to_string(e.first_seq) + ".." + std::to_string(e.last_seq));
  } else if (!IsLowerHex64(e.first_hash) || !IsLowerHex64(e.last_hash)) {
    return Bad(where + ": \"first_hash\"/\"last_hash\" is not 64 lowercase hex digits");
  }
  if (!e.sha256.empty() && !IsLowerHex64(e.sha256)) {
    return Bad(where + ": \"sha256\" is not 64 lowercase hex digits");
  }
  const bool closed = e.state == SegmentState::kClosed || e.state == SegmentState::kArchived;
  if (closed && e.sha256.empty()) return Bad(where + ": \"sha256\" is missing on a closed entry");
  if (e.state == SegmentState::kArchived) {
    if (!IsValidArchiveName(e.archive_name, e.name)) {
      return Bad(where + ": archive \"name\" \"" + Printable(e.archive_name) + "\" is not \"" +
                 e.name + std::string(kArchiveSuffix) + "\"");
    }
    if (!IsLowerHex64(e.archive_sha256)) {
      return Bad(where + ": archive \"sha256\" is not 64 lowercase hex digits");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateManifest(const Manifest& m) {
  Status id = ValidateServiceId(m.service_id);
  if (!id.ok()) return Bad("\"service_id\": " + id.message());
  const SegmentEntry* prev = nullptr;
  const SegmentEntry* prev_with_records = nullptr;
  for (std::size_t i = 0; i < m.segments.size(); ++i) {
    const SegmentEntry& e = m.segments[i];
    const std::string where = "segments[" + std::to_string(i) + "] (" + Printable(e.name) + ")";
    AUDITLOG_RETURN_IF_ERROR(ValidateEntry(e, where));
    if (prev != nullptr && e.index <= prev->index) {
      return Bad(where + ": index " + std::to_string(e.index) + " does not follow index " +
                 std::to_string(prev->index) +
                 " of the entry before it (entries must be in "
                 "increasing index order, each segment once)");
    }
    if (e.records > 0 && prev_with_records != nullptr &&
        e.first_seq <= prev_with_records->last_seq) {
      return Bad(where + ": first_seq " + std::to_string(e.first_seq) +
                 " does not follow last_seq " + std::to_string(prev_with_records->last_seq) +
                 " of " + prev_with_records->name);
    }
    if (e.state == SegmentState::kDeleted && prev != nullptr &&
        prev->state != SegmentState::kDeleted) {
      return Bad(where +
                 ": deleted, but an earlier segment is not (retention deletes only "
                 "the oldest segments)");
    }
    if (e.state == SegmentState::kActive && (i + 1 != m.segments.size() || m.clean_shutdown)) {
      return Bad(where + ": active, but " +
                 std::string(m.clean_shutdown ? "the log was shut down cleanly"
                                              : "it is not the newest segment"));
    }
    prev = &e;
    if (e.records > 0) prev_with_records = &e;
  }
  return Status::Ok();
}

Result<Manifest> Manifest::Parse(std::string_view text) {
  // The checks above read only what they have type-checked, so nothing should throw; this
  // is the safety net that keeps any exception (e.g. std::bad_alloc) inside the library.
  try {
    return ParseChecked(text);
  } catch (const std::exception& e) {
    return Bad(std::string("cannot be parsed: ") + e.what());
  } catch (...) {
    return Bad("cannot be parsed");
  }
}

Result<std::optional<Manifest>> LoadManifest(Env* env, const std::filesystem::path& dir) {
  const auto path = dir / kManifestFileName;
  auto file = env->NewReadableFile(path);
  if (!file.ok()) {
    if (file.status().code() == StatusCode::kNotFound) return std::optional<Manifest>();
    return file.status();
  }
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, (*file)->Size());
  if (size > kMaxManifestBytes) {
    return Bad(std::to_string(size) + " bytes, more than the limit of " +
               std::to_string(kMaxManifestBytes) + "; not read");
  }
  // One byte more than the size: a file that grew after Size() is noticed, up to the limit.
  std::string text;
  AUDITLOG_RETURN_IF_ERROR((*file)->Read(0, static_cast<std::size_t>(size) + 1, &text));
  if (text.size() > kMaxManifestBytes) {
    return Bad("more than the limit of " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  AUDITLOG_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(text));
  return std::optional<Manifest>(std::move(m));
}

Status SaveManifest(Env* env, const std::filesystem::path& dir, const Manifest& manifest) {
  AUDITLOG_RETURN_IF_ERROR(ValidateManifest(manifest));
  return WriteFileAtomically(env, dir / kManifestFileName, manifest.ToJson());
}

std::string ChecksumFileContents(std::string_view sha256_hex, std::string_view file_name) {
  std::string s(sha256_hex);
  s += "  ";
  s += file_name;
  s += '\n';
  return s;
}

}  // namespace auditlog::internal
