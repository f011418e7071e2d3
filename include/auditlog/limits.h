// Input limits shared by the writer and every reader; see docs/FORMAT.md.
#pragma once

#include <cstddef>

namespace auditlog { inline constexpr std::size_t kMaxRecordBytes = 1 << 20; }
