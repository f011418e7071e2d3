// zstd compression of closed segments (retention's "archive" step) and transparent reading
// of archived segments. Thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "format/log_dir.h"

namespace auditlog::internal {

// kArchiveSuffix (".zst") is in log_dir.h, with the other names of a log directory.

struct CompressResult {
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
  std::string input_sha256;   // of the uncompressed bytes
  std::string output_sha256;  // of the .zst file
};

// Compresses `src` into a new file `dst` (created exclusively, fsync'ed; the caller syncs
// the directory). The frame records the content size, so readers know it up front.
Result<CompressResult> CompressFile(Env* env, const std::filesystem::path& src,
                                    const std::filesystem::path& dst, int level = 9);

// A ReadableFile over the decompressed contents of a .zst file. Reads are meant to be
// sequential (each Read at or after the previous one's end); a read further back restarts
// decompression from the beginning.
Result<std::unique_ptr<ReadableFile>> OpenCompressedFile(Env* env,
                                                         const std::filesystem::path& path);

}  // namespace auditlog::internal
