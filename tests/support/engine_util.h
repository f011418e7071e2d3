// Helpers for the writer-engine tests: numbered test events, and a log read back as records.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "auditlog/events.h"

namespace auditlog::testing {

// A custom "test_event" carrying who emitted it and its number: {"producer":p,"n":n}.
Event NumberedEvent(int producer, std::int64_t n, bool critical = false);

struct LogRecord {
  std::uint64_t seq = 0;
  std::int64_t ts_micros = 0;
  bool critical = false;
  std::string event_type;
  std::string event_json;
  // For NumberedEvent records; -1 otherwise.
  std::int64_t producer = -1;
  std::int64_t n = -1;
};

// Every complete record line of every segment of `dir`, in file order. A line that does not
// parse fails the current test (ADD_FAILURE) and is skipped.
std::vector<LogRecord> ReadRecords(const std::filesystem::path& dir);

}  // namespace auditlog::testing
