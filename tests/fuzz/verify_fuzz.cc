// libFuzzer target: auditlog::Verify (and a full QueryCursor walk) on a log directory built
// from the fuzz bytes. Input format, so the fuzzer can learn the layout from the seeds:
//
//   @@ NAME\n<contents of NAME>\n@@ NAME2\n<contents>...
//
// Each "@@ " at the start of a line begins a file; its contents run to the '\n' before the
// next header (or to the end). NAME must be a plain file name ([A-Za-z0-9._-], not "." or
// "..", at most 100 bytes) — anything else is skipped, so nothing is written outside the
// scratch directory. A NAME ending in ".zst" whose contents do not start with the zstd
// magic number is compressed here (the seeds hold archived segments as plain text, so
// mutations reach the records inside; raw frames still reach the decompressor).
// Properties: no crash, no escaping exception, no hang (libFuzzer's -timeout), bounded
// memory (-rss_limit_mb); an error Status names its problem.
#include <unistd.h>
#include <zstd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "fuzz_util.h"

namespace {

namespace fs = std::filesystem;

bool PlainName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string MaybeCompress(std::string_view name, std::string_view contents) {
  static constexpr std::string_view kMagic = "\x28\xB5\x2F\xFD";
  if (!name.ends_with(".zst") || contents.starts_with(kMagic)) return std::string(contents);
  // As the library archives (src/zstd_file.cc), so a seed's archive matches its manifest.
  static ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 9);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(contents.size()), '\0');
  const std::size_t n =
      ZSTD_compress2(cctx, out.data(), out.size(), contents.data(), contents.size());
  if (ZSTD_isError(n)) return std::string(contents);
  out.resize(n);
  return out;
}

void WriteFiles(const fs::path& dir, std::string_view in) {
  std::size_t pos = in.starts_with("@@ ") ? 0 : in.find("\n@@ ");
  if (pos == std::string_view::npos) return;
  if (pos != 0) ++pos;  // at the header
  while (pos < in.size()) {
    const std::size_t name_end = in.find('\n', pos);
    const std::string_view name =
        in.substr(pos + 3, (name_end == std::string_view::npos ? in.size() : name_end) - pos - 3);
    if (name_end == std::string_view::npos) break;
    std::size_t next = in.find("\n@@ ", name_end);
    const std::string_view contents =
        in.substr(name_end + 1, (next == std::string_view::npos ? in.size() : next) - name_end - 1);
    if (PlainName(name)) {
      const std::string bytes = MaybeCompress(name, contents);
      std::ofstream(dir / name, std::ios::binary | std::ios::trunc)
          .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fs::path dir =
      fs::temp_directory_path() / ("auditlog-fuzz-verify-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directory(dir);
  WriteFiles(dir, std::string_view(reinterpret_cast<const char*>(data), size));

  auditlog::VerifyOptions options;
  options.threads = 1;
  auto report = auditlog::Verify(dir, options);
  if (!report.ok()) {
    FUZZ_CHECK(!report.status().message().empty(), "an error names its problem");
  } else {
    static const bool verbose = std::getenv("AUDITLOG_FUZZ_VERBOSE") != nullptr;
    for (const auditlog::Finding& f : report->findings) {
      FUZZ_CHECK(!f.reason.empty(), std::string(auditlog::FindingKindName(f.kind)));
      if (verbose) {
        std::fprintf(stderr, "finding %s %s:%llu %s\n", auditlog::FindingKindName(f.kind).data(),
                     f.file.c_str(), static_cast<unsigned long long>(f.line), f.reason.c_str());
      }
    }
    if (verbose) std::fprintf(stderr, "%llu records\n", (unsigned long long)report->records);
  }
  auto cursor = auditlog::QueryCursor::Open(dir, auditlog::Query{});
  if (cursor.ok()) {
    auditlog::Record r;
    for (int i = 0; i < 100000; ++i) {
      auto more = (*cursor)->Next(&r);
      if (!more.ok() || !*more) break;
    }
  }
  fs::remove_all(dir, ec);
  return 0;
}
