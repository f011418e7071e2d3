// manifest.json reading and writing; see manifest.h and docs/FORMAT.md ("Manifest").
#include "manifest.h"

#include <nlohmann/json.hpp>

#include "json_writer.h"
#include "record_format.h"

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

Result<Manifest> Manifest::Parse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("manifest: not a JSON object");
  auto bad = [](const std::string& what) { return Status::Corruption("manifest: " + what); };
  if (j.value("format", "") != "auditlog-manifest" || j.value("version", 0) != 1) {
    return bad("unknown format or version");
  }
  auto time_of = [](const json& v) -> std::optional<std::int64_t> {
    if (v.is_null()) return 0;
    if (!v.is_string()) return std::nullopt;
    return ParseRecordTimestamp(v.get<std::string>());
  };
  Manifest m;
  try {
    m.service_id = j.at("service_id").get<std::string>();
    auto created = time_of(j.at("created_at"));
    auto updated = time_of(j.at("updated_at"));
    if (!created || !updated) return bad("created_at/updated_at is not a timestamp");
    m.created_micros = *created;
    m.updated_micros = *updated;
    m.clean_shutdown = j.at("clean_shutdown").get<bool>();
    for (const json& e : j.at("segments")) {
      SegmentEntry s;
      s.name = e.at("name").get<std::string>();
      s.index = e.at("index").get<std::uint64_t>();
      const std::string state = e.at("state").get<std::string>();
      if (state == "active")
        s.state = SegmentState::kActive;
      else if (state == "closed")
        s.state = SegmentState::kClosed;
      else if (state == "archived")
        s.state = SegmentState::kArchived;
      else if (state == "deleted")
        s.state = SegmentState::kDeleted;
      else
        return bad("segment " + s.name + ": unknown state \"" + state + "\"");
      s.first_seq = e.at("first_seq").get<std::uint64_t>();
      s.last_seq = e.at("last_seq").get<std::uint64_t>();
      s.first_hash = e.at("first_hash").get<std::string>();
      s.last_hash = e.at("last_hash").get<std::string>();
      s.records = e.at("records").get<std::uint64_t>();
      s.bytes = e.at("bytes").get<std::uint64_t>();
      auto first_ts = time_of(e.at("first_timestamp"));
      auto last_ts = time_of(e.at("last_timestamp"));
      if (!first_ts || !last_ts) {
        return bad("segment " + s.name + ": first/last_timestamp is not a timestamp");
      }
      s.first_ts_micros = *first_ts;
      s.last_ts_micros = *last_ts;
      auto c = time_of(e.at("created_at"));
      auto cl = time_of(e.at("closed_at"));
      if (!c || !cl) return bad("segment " + s.name + ": created_at/closed_at is not a timestamp");
      s.created_micros = *c;
      s.closed_micros = *cl;
      if (!e.at("sha256").is_null()) s.sha256 = e.at("sha256").get<std::string>();
      if (s.state == SegmentState::kArchived) {
        const json& a = e.at("archive");
        s.archive_name = a.at("name").get<std::string>();
        s.archive_bytes = a.at("bytes").get<std::uint64_t>();
        s.archive_sha256 = a.at("sha256").get<std::string>();
      }
      m.segments.push_back(std::move(s));
    }
  } catch (const json::exception& e) {
    return bad(std::string("missing or mistyped member (") + e.what() + ")");
  }
  return m;
}

Result<std::optional<Manifest>> LoadManifest(Env* env, const std::filesystem::path& dir) {
  const auto path = dir / kManifestFileName;
  if (!env->FileExists(path)) return std::optional<Manifest>();
  AUDITLOG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  AUDITLOG_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(text));
  return std::optional<Manifest>(std::move(m));
}

Status SaveManifest(Env* env, const std::filesystem::path& dir, const Manifest& manifest) {
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
