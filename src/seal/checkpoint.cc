// C2SP checkpoints; see checkpoint.h.
#include "seal/checkpoint.h"

#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "format/sanitize.h"
#include "seal/base64.h"
#include "seal/signed_note.h"
#include "util/utf8.h"

namespace auditlog::internal {

namespace {

std::string Label(std::size_t line, std::string_view field) {
  return "checkpoint: line " + std::to_string(line) + " (" + std::string(field) + ")";
}

// The origin or an extension line: bounded, well-formed UTF-8, no forbidden code point.
Status CheckTextLine(std::string_view s, std::size_t line, std::string_view field) {
  if (s.size() > kMaxCheckpointLineBytes) {
    return Status::Corruption(Label(line, field) + ": " + std::to_string(s.size()) +
                              " bytes, over the limit of " +
                              std::to_string(kMaxCheckpointLineBytes));
  }
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) {
      return Status::Corruption(Label(line, field) + ": invalid UTF-8 at byte " +
                                std::to_string(i + 1));
    }
    if (IsForbiddenCodePoint(cp)) {
      return Status::Corruption(Label(line, field) + ": a control or invisible character at byte " +
                                std::to_string(i + 1) + " " + QuoteUntrusted(s));
    }
    i += len;
  }
  return Status::Ok();
}

Result<std::uint64_t> ParseTreeSize(std::string_view s) {
  const std::string label = Label(2, "tree size");
  if (s.size() > 19) {  // 2^63 - 1 has 19 digits
    return Status::Corruption(label + ": " + std::to_string(s.size()) + " characters, too long");
  }
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return Status::Corruption(label + ": " + QuoteUntrusted(s) +
                                " is not a decimal number (digits only, no sign)");
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow uint64
  }
  if (s.size() > 1 && s[0] == '0') {
    return Status::Corruption(label + ": " + QuoteUntrusted(s) + " has a leading zero");
  }
  if (v > kMaxCheckpointTreeSize) {
    return Status::Corruption(label + ": " + std::string(s) + " is over 2^63 - 1");
  }
  return v;
}

Result<Digest> ParseRoot(std::string_view s) {
  const std::string label = Label(3, "root hash");
  AUDITLOG_ASSIGN_OR_RETURN(const std::string raw, Base64Decode(s, label));
  Digest root{};
  if (raw.size() != root.size()) {
    return Status::Corruption(label + ": " + std::to_string(raw.size()) +
                              " bytes, want 32 (a SHA-256 hash)");
  }
  std::memcpy(root.data(), raw.data(), root.size());
  return root;
}

}  // namespace

std::string CheckpointOrigin(std::string_view log_id) {
  std::string origin(kCheckpointOriginPrefix);
  origin += log_id;
  return origin;
}

std::string FormatCheckpointBody(const Checkpoint& c) {
  std::string body = c.origin;
  body += "\n";
  body += std::to_string(c.tree_size);
  body += "\n";
  body += Base64Encode(std::span<const std::uint8_t>(c.root));
  body += "\n";
  for (const std::string& e : c.extensions) {
    body += e;
    body += "\n";
  }
  return body;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view body) {
  if (body.empty()) return Status::Corruption("checkpoint: the body is empty");
  if (body.back() != '\n')
    return Status::Corruption("checkpoint: the body does not end in \"\\n\"");
  Checkpoint c;
  std::size_t line = 0;
  while (!body.empty()) {
    ++line;
    if (line > 3 + kMaxCheckpointExtensions) {
      return Status::Corruption("checkpoint: more than " +
                                std::to_string(kMaxCheckpointExtensions) + " extension lines");
    }
    const std::size_t eol = body.find('\n');  // found: the body ends in "\n"
    const std::string_view text = body.substr(0, eol);
    body.remove_prefix(eol + 1);
    if (text.empty()) {
      return Status::Corruption("checkpoint: line " + std::to_string(line) +
                                " is empty (every line of a checkpoint has text)");
    }
    if (line == 1) {
      AUDITLOG_RETURN_IF_ERROR(CheckTextLine(text, 1, "origin"));
      c.origin = std::string(text);
    } else if (line == 2) {
      AUDITLOG_ASSIGN_OR_RETURN(c.tree_size, ParseTreeSize(text));
    } else if (line == 3) {
      AUDITLOG_ASSIGN_OR_RETURN(c.root, ParseRoot(text));
    } else {
      AUDITLOG_RETURN_IF_ERROR(CheckTextLine(text, line, "extension"));
      c.extensions.emplace_back(text);
    }
  }
  if (line < 3) {
    return Status::Corruption("checkpoint: " + std::to_string(line) +
                              " line(s); want the origin, the tree size and the root hash");
  }
  return c;
}

Result<std::string> SignCheckpoint(const Checkpoint& c, const Ed25519SigningKey& key) {
  const std::string body = FormatCheckpointBody(c);
  Result<Checkpoint> back = ParseCheckpointBody(body);
  if (!back.ok()) return Status::InvalidArgument("cannot sign: " + back.status().message());
  if (!(*back == c)) {
    // Only an extension holding "\n" gets here: it splits into more, different lines.
    return Status::InvalidArgument("cannot sign: an extension line contains \"\\n\"");
  }
  return SignNote(body, key);
}

Result<Checkpoint> OpenCheckpoint(std::string_view signed_note, const Ed25519VerifierKey& key,
                                  std::string_view expected_origin) {
  if (expected_origin.empty()) {
    return Status::InvalidArgument("OpenCheckpoint: no expected origin given");
  }
  // The signature first: nothing of an unauthenticated text is interpreted.
  AUDITLOG_ASSIGN_OR_RETURN(const VerifiedNote note,
                            OpenNote(signed_note, std::span<const Ed25519VerifierKey>(&key, 1)));
  AUDITLOG_ASSIGN_OR_RETURN(Checkpoint c, ParseCheckpointBody(note.text));
  if (c.origin != expected_origin) {
    return Status::Corruption("checkpoint: origin " + QuoteUntrusted(c.origin) +
                              " is not the expected " + QuoteUntrusted(expected_origin));
  }
  return c;
}

}  // namespace auditlog::internal
