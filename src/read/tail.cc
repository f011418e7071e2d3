// Following a log; see auditlog/tail.h.
#include "auditlog/tail.h"

#include <string>
#include <vector>

#include "format/record_format.h"
#include "read/line_reader.h"
#include "read/query_internal.h"

namespace auditlog {

using internal::LineReader;
using internal::SegmentFile;

struct TailCursor::Impl {
  Env* env = nullptr;
  std::filesystem::path dir;

  // The position: segment `index` (once there is one), the offset just past the last
  // complete line read from it, and that line's number.
  bool has_position = false;
  std::uint64_t index = 0;
  std::uint64_t offset = 0;
  std::uint64_t line_no = 0;

  // The round in progress: the segments listed at its start, the next one to read.
  bool in_round = false;
  bool first_round = true;
  std::vector<SegmentFile> round;
  std::size_t next_segment = 0;
  std::unique_ptr<LineReader> reader;  // on the segment at the position
  std::string segment_name;

  std::uint64_t skip = 0;  // lines still to pass over before the first record (Open's last_n)
  std::uint64_t malformed = 0;
  internal::RecordParser parser;

  Result<bool> Next(Record* out) {
    for (;;) {
      if (reader) {
        std::string_view line;
        std::uint64_t at = 0;
        AUDITLOG_ASSIGN_OR_RETURN(const bool more, reader->Next(&line, &at));
        if (!more) {
          offset = reader->end_of_lines();
          reader.reset();
          continue;
        }
        ++line_no;
        offset = reader->end_of_lines();
        if (skip > 0) {
          --skip;
          continue;
        }
        internal::RecordView r;
        if (!parser.Parse(line, &r, /*compute_hash=*/false).ok()) {
          ++malformed;
          continue;
        }
        internal::FillRecord(r, line, out);
        out->segment = segment_name;
        out->line_no = line_no;
        return true;
      }
      if (!in_round) {
        AUDITLOG_ASSIGN_OR_RETURN(round, internal::ListLogSegments(env, dir));
        next_segment = 0;
        in_round = true;
      }
      if (next_segment >= round.size()) {
        in_round = false;
        if (first_round) {
          first_round = false;
          skip = 0;  // Open's lines are passed; everything after them is new
        }
        return false;
      }
      const SegmentFile& s = round[next_segment++];
      if (has_position && s.index < index) continue;  // read already
      if (!has_position || s.index > index) {
        // A newer segment. The one at the position is finished (a writer never appends to
        // a segment once it has started the next) and was read to its end in this round,
        // after the listing that found the newer one.
        has_position = true;
        index = s.index;
        offset = 0;
        line_no = 0;
      }
      segment_name = s.name;
      AUDITLOG_ASSIGN_OR_RETURN(reader, LineReader::Open(env, s, offset));
    }
  }
};

TailCursor::TailCursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TailCursor::~TailCursor() = default;

Result<std::unique_ptr<TailCursor>> TailCursor::Open(const std::filesystem::path& dir,
                                                     const TailOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->env = options.env ? options.env : Env::Default();
  impl->dir = dir;
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments,
                            internal::ListLogSegments(impl->env, dir));
  // Walk back from the newest segment, counting lines, to the one holding the Nth-last.
  std::size_t start = segments.size();
  std::uint64_t have = 0;
  while (start > 0 && have < options.last_n) {
    --start;
    AUDITLOG_ASSIGN_OR_RETURN(const std::uint64_t n,
                              internal::CountLines(impl->env, segments[start]));
    have += n;
  }
  std::uint64_t skip = have > options.last_n ? have - options.last_n : 0;
  if (!segments.empty()) {
    if (start == segments.size()) {  // last_n 0: pass over every line of the newest segment
      start = segments.size() - 1;
      skip = ~std::uint64_t{0};
    }
    impl->has_position = true;
    impl->index = segments[start].index;
    segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(start));
  }
  impl->skip = skip;
  impl->round = std::move(segments);
  impl->in_round = true;
  return std::unique_ptr<TailCursor>(new TailCursor(std::move(impl)));
}

Result<bool> TailCursor::Next(Record* record) { return impl_->Next(record); }

std::uint64_t TailCursor::malformed_lines() const { return impl_->malformed; }

}  // namespace auditlog
