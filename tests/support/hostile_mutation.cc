// MutateDirectory (hostile_log.h): one random change to one file of a log directory, as an
// attacker with write access would make it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "hostile_log.h"
#include "test_util.h"

namespace auditlog::testing {

namespace fs = std::filesystem;

namespace {

std::size_t Pick(std::mt19937_64& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

// Start offsets of the lines of `s` (a final line without '\n' included).
std::vector<std::size_t> LineStarts(const std::string& s) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size(); i = s.find('\n', i) + 1) {
    starts.push_back(i);
    if (s.find('\n', i) == std::string::npos) break;
  }
  return starts;
}

std::string LineAt(const std::string& s, std::size_t start) {
  const std::size_t end = s.find('\n', start);
  return end == std::string::npos ? s.substr(start) + "\n" : s.substr(start, end - start + 1);
}

// A plausible other name for `name`: another segment index, a stray suffix, a case change.
std::string OtherName(std::mt19937_64& rng, std::string name) {
  switch (Pick(rng, 3)) {
    case 0:
      if (!name.empty() && name[0] >= '0' && name[0] <= '9') {
        name[9] = static_cast<char>('0' + (name[9] - '0' + 1 + Pick(rng, 8)) % 10);
        return name;
      }
      return name + ".1";
    case 1:
      return name + ".bak";
    default:
      return "x" + name;
  }
}

std::string ManifestAttack(const fs::path& dir, std::mt19937_64& rng, MutationKind kind) {
  const fs::path mpath = dir / "manifest.json";
  if (!fs::exists(mpath)) return "";
  auto m = nlohmann::ordered_json::parse(ReadFile(mpath), nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.contains("segments") || m["segments"].empty()) return "";
  auto& segs = m["segments"];
  std::string what;
  if (kind == MutationKind::kManifestTimestamps) {
    auto& e = segs[Pick(rng, segs.size())];
    e["first_timestamp"] = "2000-01-01T00:00:00.000000Z";
    e["last_timestamp"] = "2000-01-01T00:00:01.000000Z";
    what = "manifest: timestamps of " + e.value("name", std::string()) + " set to 2000";
  } else if (kind == MutationKind::kManifestDeleteOldest) {
    auto& e = segs[0];
    const std::string name = e.value("name", std::string());
    std::error_code ec;
    fs::remove(dir / name, ec);
    fs::remove(dir / (name + ".sha256"), ec);
    fs::remove(dir / (name + ".zst"), ec);
    e["state"] = "deleted";
    what = "deleted oldest segment " + name + " and marked it deleted in the manifest";
  } else {
    m["version"] = "1";
    what = "manifest: version made a string";
  }
  WriteFile(mpath, m.dump(2) + "\n");
  return what;
}

}  // namespace

std::string MutateDirectory(const fs::path& dir, std::mt19937_64& rng, int kinds) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename() != "LOCK") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // directory order is not reproducible
  if (files.empty()) return "";
  const auto kind = static_cast<MutationKind>(Pick(rng, static_cast<std::size_t>(kinds)));
  if (static_cast<int>(kind) >= kFirstManifestAttack) return ManifestAttack(dir, rng, kind);
  const fs::path file = files[Pick(rng, files.size())];
  const std::string name = file.filename().string();
  std::string s = ReadFile(file);
  switch (kind) {
    case MutationKind::kFlipByte: {
      if (s.empty()) return "";
      const std::size_t pos = Pick(rng, s.size());
      const auto mask = static_cast<char>(1 + Pick(rng, 255));
      s[pos] = static_cast<char>(s[pos] ^ mask);
      WriteFile(file, s);
      return "flip byte " + std::to_string(pos) + " of " + name;
    }
    case MutationKind::kTruncate: {
      if (s.empty()) return "";
      const std::size_t size = Pick(rng, s.size());
      s.resize(size);
      WriteFile(file, s);
      return "truncate " + name + " to " + std::to_string(size);
    }
    case MutationKind::kAppendBytes: {
      static const std::string kTails[] = {"\n", "x", "{}\n", "\n\n", " ", std::string(1, '\0')};
      const std::string& tail = kTails[Pick(rng, std::size(kTails))];
      WriteFile(file, s + tail);
      return "append " + std::to_string(tail.size()) + " bytes to " + name;
    }
    case MutationKind::kAppendLineCopy:
    case MutationKind::kDuplicateLine: {
      const auto starts = LineStarts(s);
      if (starts.empty()) return "";
      const std::size_t i = Pick(rng, starts.size());
      const std::string line = LineAt(s, starts[i]);
      if (kind == MutationKind::kAppendLineCopy) {
        if (!s.empty() && s.back() != '\n') s += '\n';
        s += line;
      } else {
        s.insert(starts[i], line);
      }
      WriteFile(file, s);
      return (kind == MutationKind::kAppendLineCopy ? "append a copy of line "
                                                    : "duplicate line ") +
             std::to_string(i + 1) + " of " + name;
    }
    case MutationKind::kDeleteFile:
      fs::remove(file);
      return "delete " + name;
    case MutationKind::kRenameFile: {
      const std::string to = OtherName(rng, name);
      if (fs::exists(dir / to)) return "";
      fs::rename(file, dir / to);
      return "rename " + name + " to " + to;
    }
    default: {  // kSwapFiles: the contents of two files
      const fs::path other = files[Pick(rng, files.size())];
      if (other == file) return "";
      const std::string t = ReadFile(other);
      if (t == s) return "";
      WriteFile(file, t);
      WriteFile(other, s);
      return "swap contents of " + name + " and " + other.filename().string();
    }
  }
}

}  // namespace auditlog::testing
