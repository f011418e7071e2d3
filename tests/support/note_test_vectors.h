// Published keys of the C2SP signed-note tests (golang/mod sumdb/note/note_test.go), shared
// by the signing-key and signed-note suites.
#pragma once

#include <string_view>

namespace auditlog::testing {

// golang/mod sumdb/note/note_test.go.
inline constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
inline constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
inline constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

}  // namespace auditlog::testing
