// Tail: the last records of a log, then the new ones as they are written, across rotations
// to new segment files (what `auditlog tail -f` prints). A TailCursor remembers a position
// (a segment and the byte offset just past the last complete line it returned) and reads
// on from there each time it is polled; memory stays bounded whatever the log holds.
//
// A tail reads; it does not verify (see Verify). Lines that are not well-formed records are
// skipped and counted (malformed_lines()); an incomplete last line (a record still being
// written, or torn by a crash) is not returned until it is complete. Segments are found
// only through the directory listing (valid segment names, archived ones decompressed), so
// nothing outside the directory is read. I/O errors are a Status; nothing throws.
// Thread-safety: one thread at a time per cursor; any number of cursors, and a Logger
// appending to the log, may run concurrently. The cursor holds no file open between calls.
//
// Example (tail -f):
//   auto tail = auditlog::TailCursor::Open("/var/lib/audit/queen", {.last_n = 10});
//   if (!tail.ok()) return tail.status();
//   auditlog::Record r;
//   for (;;) {
//     auto more = (*tail)->Next(&r);
//     if (!more.ok()) return more.status();
//     if (*more) std::cout << r.line << "\n";
//     else std::this_thread::sleep_for(std::chrono::milliseconds(200));  // caught up: poll
//   }
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "auditlog/env.h"
#include "auditlog/export.h"
#include "auditlog/query.h"
#include "auditlog/status.h"

namespace auditlog {

struct TailOptions {
  // The first records returned are the last `last_n` complete lines of the log as it is at
  // Open (fewer when it holds fewer; malformed ones among them are skipped, not replaced).
  // 0: start at the end (only records written after Open are returned).
  std::uint64_t last_n = 10;
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the cursor
};

class AUDITLOG_EXPORT TailCursor {
 public:
  // Lists the log's segments and finds where the last `options.last_n` lines begin (by
  // counting lines back from the newest segment). kNotFound when `dir` does not exist,
  // kIOError. An empty directory is not an error: every record written later is returned.
  static Result<std::unique_ptr<TailCursor>> Open(const std::filesystem::path& dir,
                                                  const TailOptions& options = {});
  ~TailCursor();
  TailCursor(const TailCursor&) = delete;
  TailCursor& operator=(const TailCursor&) = delete;

  // Fills `*record` with the next record after the position (in file order, which is seq
  // order) and returns true; false once it has caught up with the log. Each round of calls
  // up to a false reads the segments listed at its start (the first round: those listed by
  // Open); the call after a false starts a new round, which lists the directory again and
  // picks up records appended since, and new segments (a segment is finished once the
  // next one exists, so none of its records is missed). Poll by calling Next() again after
  // a false. record->segment and record->line_no say where the record is.
  Result<bool> Next(Record* record);

  // Complete lines skipped because they are not well-formed records.
  std::uint64_t malformed_lines() const;

 private:
  struct Impl;
  explicit TailCursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace auditlog
