// Shared test helpers: status assertions and scratch directories.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "auditlog/status.h"

namespace auditlog::testing {

MATCHER(IsOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << arg.ToString();
  return false;
}

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::auditlog::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::auditlog::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                         \
  auto AUDITLOG_CONCAT_(tmp_result_, __LINE__) = (expr);        \
  ASSERT_OK(AUDITLOG_CONCAT_(tmp_result_, __LINE__).status());  \
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

}  // namespace auditlog::testing
