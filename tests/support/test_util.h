// Shared test helpers: status assertions and scratch directories.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/events.h"
#include "auditlog/status.h"

namespace auditlog::testing {

// True in ASan and TSan builds (GCC and Clang), where code runs several times slower: tests
// that repeat a scenario many times do fewer rounds there, and memory bounds allow for ASan's
// quarantine.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// True in ThreadSanitizer builds: a single-threaded scenario that only costs time there
// (the memory bound of a command reading a decompression bomb) may skip itself.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizedBuild = true;
#else
inline constexpr bool kThreadSanitizedBuild = false;
#endif
#else
inline constexpr bool kThreadSanitizedBuild = false;
#endif

MATCHER(IsOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << arg.ToString();
  return false;
}

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::auditlog::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::auditlog::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto AUDITLOG_CONCAT_(tmp_result_, __LINE__) = (expr);       \
  ASSERT_OK(AUDITLOG_CONCAT_(tmp_result_, __LINE__).status()); \
  lhs = std::move(AUDITLOG_CONCAT_(tmp_result_, __LINE__)).value()

// A fresh empty directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& contents);
// The lines of a file, without their '\n' (a final line without '\n' is included).
std::vector<std::string> ReadLines(const std::filesystem::path& path);
void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines);
// Segment files (*.audit) of a log directory, in name order.
std::vector<std::filesystem::path> SegmentFiles(const std::filesystem::path& dir);

// ---- Independent checks of the record format (written from docs/FORMAT.md, not from src/).

// Lowercase hex SHA-256 of `data`, computed directly with OpenSSL's EVP interface.
std::string OpenSslSha256Hex(std::string_view data);

// "" when `s` is well-formed UTF-8 (RFC 3629) containing no C0 control, DEL, C1 control,
// bidi control (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), U+2028, U+2029 or
// U+FEFF; otherwise a description of the first offence and its byte offset.
std::string FindForbiddenText(std::string_view s);

// True when some JSON object in `json` (at any depth) repeats a member name.
// REQUIRES: `json` is valid JSON.
bool HasDuplicateMembers(const std::string& json);

// Appends one record per event to the log in `dir` through a fresh internal::RecordWriter
// (which starts a new segment). Record i gets timestamp first_ts_micros + i seconds. When
// `rotate_every` > 0 the writer rotates to a new segment after every `rotate_every` records.
// Without `clean_close` the writer is dropped without Close(), as in a crash after the
// records reached the kernel.
Status WriteTestLog(const std::filesystem::path& dir, const std::vector<Event>& events,
                    const std::string& service_id = "queen",
                    std::int64_t first_ts_micros = 1795741062123456, std::size_t rotate_every = 0,
                    bool clean_close = true);

}  // namespace auditlog::testing
