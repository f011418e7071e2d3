// zstd archives of segments; see zstd_file.h.
#include "storage/zstd_file.h"

#include <zstd.h>

#include <algorithm>

#include "util/sha256.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kReadChunk = 1 << 20;
// 16 MiB: archives written by CompressFile (level 9 and even 19) use at most 2^23.
constexpr int kMaxWindowLog = 24;

Status ZstdError(const fs::path& path, std::size_t code) {
  return Status::IOError("zstd " + path.string() + ": " + ZSTD_getErrorName(code));
}

// Reads the compressed file sequentially and decompresses into an internal window.
class ZstdReadableFile final : public ReadableFile {
 public:
  ZstdReadableFile(fs::path path, std::unique_ptr<ReadableFile> file, std::uint64_t content_size)
      : path_(std::move(path)), file_(std::move(file)), content_size_(content_size) {}
  ~ZstdReadableFile() override { ZSTD_freeDStream(stream_); }

  Status Read(std::uint64_t offset, std::size_t n, std::string* out) const override {
    out->clear();
    if (offset < out_pos_ || stream_ == nullptr) AUDITLOG_RETURN_IF_ERROR(Restart());
    // Skip forward to `offset`, then collect `n` bytes.
    while (out->size() < n) {
      if (window_pos_ == window_.size()) {
        AUDITLOG_RETURN_IF_ERROR(Fill());
        if (window_.empty()) break;  // end of data
      }
      const std::size_t avail = window_.size() - window_pos_;
      if (out_pos_ < offset) {
        const std::size_t skip =
            static_cast<std::size_t>(std::min<std::uint64_t>(avail, offset - out_pos_));
        window_pos_ += skip;
        out_pos_ += skip;
        continue;
      }
      const std::size_t take = std::min(avail, n - out->size());
      out->append(window_, window_pos_, take);
      window_pos_ += take;
      out_pos_ += take;
    }
    return Status::Ok();
  }

  Result<std::uint64_t> Size() const override { return content_size_; }

 private:
  Status Restart() const {
    if (stream_ == nullptr) {
      stream_ = ZSTD_createDStream();
      if (stream_ == nullptr) return Status::IOError("zstd " + path_.string() + ": out of memory");
      // The decoder's window is all it holds (output is streamed out in ZSTD_DStreamOutSize()
      // pieces): refuse frames that ask for more than kMaxWindowLog, whatever they claim.
      ZSTD_DCtx_setParameter(stream_, ZSTD_d_windowLogMax, kMaxWindowLog);
    }
    ZSTD_DCtx_reset(stream_, ZSTD_reset_session_only);
    in_offset_ = 0;
    in_.clear();
    in_pos_ = 0;
    window_.clear();
    window_pos_ = 0;
    out_pos_ = 0;
    return Status::Ok();
  }

  // Decompresses the next piece into window_ (empty at the end of the data).
  Status Fill() const {
    window_.resize(ZSTD_DStreamOutSize());
    window_pos_ = 0;
    for (;;) {
      if (in_pos_ == in_.size()) {
        AUDITLOG_RETURN_IF_ERROR(file_->Read(in_offset_, kReadChunk, &in_));
        in_offset_ += in_.size();
        in_pos_ = 0;
        if (in_.empty()) {
          window_.clear();
          return Status::Ok();
        }
      }
      ZSTD_inBuffer input{in_.data(), in_.size(), in_pos_};
      ZSTD_outBuffer output{window_.data(), window_.size(), 0};
      const std::size_t rc = ZSTD_decompressStream(stream_, &output, &input);
      in_pos_ = input.pos;
      if (ZSTD_isError(rc)) return ZstdError(path_, rc);
      if (output.pos > 0) {
        window_.resize(output.pos);
        return Status::Ok();
      }
    }
  }

  fs::path path_;
  std::unique_ptr<ReadableFile> file_;
  std::uint64_t content_size_;
  // Decompression state: Read() is logically const (the file does not change).
  mutable ZSTD_DStream* stream_ = nullptr;
  mutable std::uint64_t in_offset_ = 0;
  mutable std::string in_;
  mutable std::size_t in_pos_ = 0;
  mutable std::string window_;
  mutable std::size_t window_pos_ = 0;
  mutable std::uint64_t out_pos_ = 0;  // decompressed offset of window_[window_pos_]
};

}  // namespace

Result<CompressResult> CompressFile(Env* env, const fs::path& src, const fs::path& dst, int level) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> in, env->NewReadableFile(src));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, in->Size());
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out,
                            env->NewWritableFile(dst, OpenMode::kCreateExclusive));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setPledgedSrcSize(cctx, size);
  CompressResult result;
  Sha256Stream in_hash, out_hash;
  std::string chunk, buf(ZSTD_CStreamOutSize(), '\0');
  Status s;
  std::uint64_t offset = 0;
  for (bool last = false; s.ok() && !last;) {
    s = in->Read(offset, kReadChunk, &chunk);
    if (!s.ok()) break;
    offset += chunk.size();
    last = offset >= size || chunk.empty();
    in_hash.Update(chunk);
    ZSTD_inBuffer input{chunk.data(), chunk.size(), 0};
    const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    for (bool done = false; !done && s.ok();) {
      ZSTD_outBuffer output{buf.data(), buf.size(), 0};
      const std::size_t remaining = ZSTD_compressStream2(cctx, &output, &input, mode);
      if (ZSTD_isError(remaining)) {
        s = ZstdError(dst, remaining);
        break;
      }
      const std::string_view piece(buf.data(), output.pos);
      out_hash.Update(piece);
      s = out->Append(piece);
      result.output_bytes += piece.size();
      done = last ? remaining == 0 : input.pos == input.size;
    }
  }
  ZSTD_freeCCtx(cctx);
  if (s.ok() && offset != size)
    s = Status::IOError(src.string() + " changed size while compressing");
  if (s.ok()) s = out->Sync();
  const Status closed = out->Close();
  if (s.ok()) s = closed;
  if (!s.ok()) {
    env->RemoveFile(dst).IgnoreError();  // the source is untouched; a partial archive is useless
    return s;
  }
  result.input_bytes = size;
  result.input_sha256 = ToHex(in_hash.Finish());
  result.output_sha256 = ToHex(out_hash.Finish());
  return result;
}

Result<std::unique_ptr<ReadableFile>> OpenCompressedFile(Env* env, const fs::path& path) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, env->NewReadableFile(path));
  std::string head;
  constexpr std::size_t kMaxFrameHeader = 18;  // ZSTD_FRAMEHEADERSIZE_MAX (static API only)
  AUDITLOG_RETURN_IF_ERROR(file->Read(0, kMaxFrameHeader, &head));
  const unsigned long long size = ZSTD_getFrameContentSize(head.data(), head.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption(path.string() + ": not a zstd archive with a known content size");
  }
  return std::unique_ptr<ReadableFile>(
      std::make_unique<ZstdReadableFile>(path, std::move(file), size));
}

}  // namespace auditlog::internal
