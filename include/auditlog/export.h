// AUDITLOG_EXPORT marks the library's API: the classes and functions a program may call.
// The library is compiled with hidden visibility, so libauditlog.so exports these and
// nothing else (no auditlog::internal symbol, none of a dependency's); in the static library
// the mark changes nothing.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define AUDITLOG_EXPORT [[gnu::visibility("default")]]
#else
#define AUDITLOG_EXPORT
#endif
