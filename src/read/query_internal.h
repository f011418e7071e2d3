// Internal helpers shared by the query and tail cursors.
#pragma once

#include <string_view>

#include "auditlog/query.h"
#include "format/record_format.h"

namespace auditlog::internal {

// Copies what a parsed record line says into `*out` (reusing its strings' capacity), and
// `line` itself. Leaves out->segment and out->line_no alone.
void FillRecord(const RecordView& r, std::string_view line, Record* out);

}  // namespace auditlog::internal
