// The log directory's names; see log_dir.h and docs/FORMAT.md §1, §9.1.
#include "format/log_dir.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>

#include "util/civil_time.h"

namespace auditlog::internal {

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Number(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string SegmentFileName(std::uint64_t index, std::int64_t created_micros) {
  // The day of the creation second (micros / 10^6 rounds toward zero, as it always did).
  const CivilDate date = CivilFromDays(UtcDay(created_micros / 1000000 * 1000000));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%010llu-%04lld-%02u-%02u.audit",
                static_cast<unsigned long long>(index), static_cast<long long>(date.year),
                date.month, date.day);
  return buf;
}

std::optional<std::uint64_t> ParseSegmentFileName(std::string_view name) {
  // 0123456789 0 1234567890 ......
  // NNNNNNNNNN - YYYY-MM-DD .audit
  if (name.size() != 10 + 1 + 10 + kSegmentSuffix.size()) return std::nullopt;
  if (!EndsWith(name, kSegmentSuffix) || name[10] != '-') return std::nullopt;
  const std::string_view date = name.substr(11, 10);
  if (date[4] != '-' || date[7] != '-' || !AllDigits(date.substr(0, 4)) ||
      !AllDigits(date.substr(5, 2)) || !AllDigits(date.substr(8, 2))) {
    return std::nullopt;
  }
  if (!DaysFromCivil(Number(date.substr(0, 4)), static_cast<unsigned>(Number(date.substr(5, 2))),
                     static_cast<unsigned>(Number(date.substr(8, 2))))) {
    return std::nullopt;
  }
  if (!AllDigits(name.substr(0, 10))) return std::nullopt;
  std::uint64_t index = 0;
  std::from_chars(name.data(), name.data() + 10, index);  // 10 digits always fit
  if (index == 0) return std::nullopt;                    // indexes start at 1
  return index;
}

std::string ArchiveFileName(std::string_view segment) {
  return std::string(segment) + std::string(kArchiveSuffix);
}

std::string ChecksumFileName(std::string_view segment) {
  return std::string(segment) + std::string(kChecksumSuffix);
}

std::string QuarantineFileName(std::string_view segment, std::uint64_t offset) {
  return std::string(segment) + std::string(kTornMarker) + std::to_string(offset);
}

bool IsValidArchiveName(std::string_view archive, std::string_view segment) {
  return IsValidSegmentName(segment) && archive.size() == segment.size() + kArchiveSuffix.size() &&
         archive.substr(0, segment.size()) == segment && EndsWith(archive, kArchiveSuffix);
}

std::optional<QuarantineName> ParseQuarantineFileName(std::string_view name) {
  const std::size_t at = name.find(kTornMarker);
  if (at == std::string_view::npos) return std::nullopt;
  QuarantineName q;
  q.segment = name.substr(0, at);
  if (!IsValidSegmentName(q.segment)) return std::nullopt;
  const std::string_view digits = name.substr(at + kTornMarker.size());
  if (!AllDigits(digits) || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), q.offset);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return q;
}

LogFileName ClassifyLogFileName(std::string_view name) {
  LogFileName out;
  if (name == kManifestFileName) {
    out.kind = LogFileKind::kManifest;
    return out;
  }
  if (name == kLockFileName) {
    out.kind = LogFileKind::kLock;
    return out;
  }
  if (auto index = ParseSegmentFileName(name)) {
    out = {LogFileKind::kSegment, name, *index, 0};
    return out;
  }
  if (auto q = ParseQuarantineFileName(name)) {
    out = {LogFileKind::kQuarantine, q->segment, *ParseSegmentFileName(q->segment), q->offset};
    return out;
  }
  // The remaining kinds are a base name plus one suffix.
  auto base_with = [&](std::string_view suffix) -> std::optional<std::string_view> {
    if (!EndsWith(name, suffix)) return std::nullopt;
    return name.substr(0, name.size() - suffix.size());
  };
  if (auto base = base_with(kArchiveSuffix); base && IsValidSegmentName(*base)) {
    out = {LogFileKind::kArchive, *base, *ParseSegmentFileName(*base), 0};
  } else if (auto base = base_with(kChecksumSuffix); base && IsValidSegmentName(*base)) {
    out = {LogFileKind::kChecksum, *base, *ParseSegmentFileName(*base), 0};
  } else if (auto base = base_with(kTempSuffix); base) {
    const LogFileName inner = ClassifyLogFileName(*base);
    if (inner.kind == LogFileKind::kManifest || inner.kind == LogFileKind::kChecksum) {
      out = inner;
      out.kind = LogFileKind::kTemp;
    }
  }
  return out;
}

Result<std::filesystem::path> LogFilePath(const std::filesystem::path& dir, std::string_view name) {
  if (ClassifyLogFileName(name).kind == LogFileKind::kOther) {
    std::string shown;
    for (char c : name.substr(0, 80)) {  // the name is hostile: show it printable only
      shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return Status::Corruption("\"" + shown + "\" is not a file name of a log directory");
  }
  return dir / std::string(name);
}

Result<std::vector<ListedSegment>> ListSegmentNames(Env* env, const std::filesystem::path& dir) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::map<std::pair<std::uint64_t, std::string>, ListedSegment> found;
  for (const std::string& name : names) {
    const LogFileName f = ClassifyLogFileName(name);
    if (f.kind != LogFileKind::kSegment && f.kind != LogFileKind::kArchive) continue;
    ListedSegment& s = found[{f.index, std::string(f.segment)}];
    s.index = f.index;
    s.name = std::string(f.segment);
    (f.kind == LogFileKind::kSegment ? s.plain : s.archive) = true;
  }
  std::vector<ListedSegment> out;
  out.reserve(found.size());
  for (auto& [key, segment] : found) out.push_back(std::move(segment));
  return out;
}

}  // namespace auditlog::internal
