#include "test_util.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "format/event_codec.h"
#include "storage/record_writer.h"

namespace auditlog::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("auditlog-test-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(counter++) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::vector<std::string> ReadLines(const fs::path& path) {
  const std::string data = ReadFile(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < data.size()) {
    const std::size_t nl = data.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(data.substr(start));
      break;
    }
    lines.push_back(data.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

void WriteLines(const fs::path& path, const std::vector<std::string>& lines) {
  std::string data;
  for (const auto& l : lines) data += l + "\n";
  WriteFile(path, data);
}

std::vector<fs::path> SegmentFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".audit") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string OpenSslSha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xF];
  }
  return hex;
}

std::string FindForbiddenText(std::string_view s) {
  auto at = [](std::size_t i, const char* what) {
    return std::string(what) + " at byte " + std::to_string(i);
  };
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return at(i, "raw control byte");
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return at(i, "invalid UTF-8 lead byte");
    }
    if (i + len > s.size()) return at(i, "truncated UTF-8 sequence");
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return at(i, "bad UTF-8 continuation byte");
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len]) return at(i, "overlong UTF-8");
    if (cp >= 0xD800 && cp <= 0xDFFF) return at(i, "UTF-8 encoded surrogate");
    if (cp > 0x10FFFF) return at(i, "code point above U+10FFFF");
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
        (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0xFEFF) {
      return at(i, "forbidden code point");
    }
    i += len;
  }
  return "";
}

bool HasDuplicateMembers(const std::string& json) {
  std::vector<std::set<std::string>> open;  // member names seen, per open object
  bool duplicate = false;
  nlohmann::json::parser_callback_t cb = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                                             nlohmann::json& parsed) {
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  const nlohmann::json parsed = nlohmann::json::parse(json, cb);
  return duplicate || parsed.is_discarded();
}

Status WriteTestLog(const fs::path& dir, const std::vector<Event>& events,
                    const std::string& service_id, std::int64_t first_ts_micros,
                    std::size_t rotate_every, bool clean_close) {
  internal::RecordWriter::Options options;
  options.env = Env::Default();
  options.dir = dir;
  options.service_id = service_id;
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<internal::RecordWriter> writer,
                            internal::RecordWriter::Open(options));
  internal::EncodedEvent encoded;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (rotate_every > 0 && i > 0 && i % rotate_every == 0) {
      AUDITLOG_RETURN_IF_ERROR(writer->Rotate());
    }
    AUDITLOG_RETURN_IF_ERROR(internal::EncodeEvent(events[i], {}, &encoded));
    std::string batch;
    writer->Frame(first_ts_micros + static_cast<std::int64_t>(i) * 1000000, encoded, &batch);
    AUDITLOG_RETURN_IF_ERROR(writer->Write(batch));
  }
  return clean_close ? writer->Close() : Status::Ok();
}

}  // namespace auditlog::testing
