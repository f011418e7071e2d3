// Tests of src/seal/checkpoint.h: the C2SP tlog-checkpoint.md example and Go's sumdb/tlog
// golden tree note parse and format byte for byte; the strict parser refuses every
// non-canonical or hostile body (leading zeros, signs, missing lines, bad base64, a 31-byte
// root, CR, NUL, too many extensions) naming the line; OpenCheckpoint checks the signature
// before the body, then the origin.
#include "seal/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seal/base64.h"
#include "seal/signed_note.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

using ::testing::HasSubstr;

// C2SP tlog-checkpoint.md (its key is not published).
const std::string kSpecBody =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const std::string kSpecCheckpoint =
    kSpecBody +
    "\n\xE2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+"
    "zyWE+xeMcTOAYQ8=\n";
constexpr std::string_view kRoot = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

std::string Body(std::string_view origin, std::string_view size, std::string_view root,
                 std::string_view rest = "") {
  return std::string(origin) + "\n" + std::string(size) + "\n" + std::string(root) + "\n" +
         std::string(rest);
}

TEST(CheckpointTest, SpecificationExampleParsesAndFormatsBack) {
  ASSERT_OK_AND_ASSIGN(const Checkpoint c, ParseCheckpointBody(kSpecBody));
  EXPECT_EQ(c.origin, "example.com/behind-the-sofa");
  EXPECT_EQ(c.tree_size, 20852163u);
  EXPECT_EQ(Base64Encode(std::span<const std::uint8_t>(c.root)), kRoot);
  EXPECT_TRUE(c.extensions.empty());
  EXPECT_EQ(FormatCheckpointBody(c), kSpecBody);
  // Its signature is by a key we do not know: refused, and only for that reason.
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey ours, Ed25519SigningKey::Generate("auditlog/x"));
  const Result<Checkpoint> r =
      OpenCheckpoint(kSpecCheckpoint, ours.verifier(), "example.com/behind-the-sofa");
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  EXPECT_THAT(r.status().message(), HasSubstr("\"example.com/behind-the-sofa+"));
}

TEST(CheckpointTest, GoTlogGoldenTreeNote) {
  // golang/mod sumdb/tlog/note_test.go: FormatTree(Tree{123456789012, RecordHash("hello
  // world")}), where RecordHash is the RFC 6962 leaf hash SHA-256(0x00 || data).
  const std::string golden =
      "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  Checkpoint c;
  c.origin = "go.sum database tree";
  c.tree_size = 123456789012;
  c.root = Sha256(std::string("\0hello world", 12));
  EXPECT_EQ(FormatCheckpointBody(c), golden);
  ASSERT_OK_AND_ASSIGN(const Checkpoint back, ParseCheckpointBody(golden));
  EXPECT_EQ(back, c);
  // Go's bad trees.
  EXPECT_FALSE(ParseCheckpointBody(
                   "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")
                   .ok());
  EXPECT_FALSE(
      ParseCheckpointBody(
          "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n")
          .ok());
}

TEST(CheckpointTest, ExtensionsAndBoundsRoundTrip) {
  Checkpoint c;
  c.origin = CheckpointOrigin("0123456789abcdef");
  EXPECT_EQ(c.origin, "auditlog/0123456789abcdef");
  c.tree_size = 0;
  EXPECT_EQ(FormatCheckpointBody(c),
            "auditlog/0123456789abcdef\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  c.tree_size = kMaxCheckpointTreeSize;
  for (std::size_t i = 0; i < kMaxCheckpointExtensions; ++i) {
    c.extensions.push_back("ext " + std::to_string(i));
  }
  c.extensions.back() = std::string(kMaxCheckpointLineBytes, 'e');
  const std::string body = FormatCheckpointBody(c);
  EXPECT_THAT(body, HasSubstr("\n9223372036854775807\n"));
  ASSERT_OK_AND_ASSIGN(const Checkpoint back, ParseCheckpointBody(body));
  EXPECT_EQ(back, c);
}

TEST(CheckpointTest, StrictParseRefusesNamingTheLine) {
  const std::string o = "auditlog/abc";
  const std::string r = std::string(kRoot);
  std::string seventeen;
  for (std::size_t i = 0; i <= kMaxCheckpointExtensions; ++i) seventeen += "e\n";
  // 31 and 33 bytes.
  const std::string root31 = Base64Encode(std::string(31, '\x07'));
  const std::string root33 = Base64Encode(std::string(33, '\x07'));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "the body is empty"},
      {o, "does not end in"},
      {o + "\n", "1 line(s)"},
      {o + "\n5\n", "2 line(s)"},
      {Body(o, "5", r).substr(0, Body(o, "5", r).size() - 1), "does not end in"},
      {Body(o, "007", r), "line 2 (tree size): \"007\" has a leading zero"},
      {Body(o, "00", r), "leading zero"},
      {Body(o, "-1", r), "is not a decimal number"},
      {Body(o, "+1", r), "is not a decimal number"},
      {Body(o, " 1", r), "is not a decimal number"},
      {Body(o, "1 ", r), "is not a decimal number"},
      {Body(o, "1e3", r), "is not a decimal number"},
      {Body(o, "0x10", r), "is not a decimal number"},
      {Body(o, "9223372036854775808", r), "over 2^63 - 1"},
      {Body(o, "18446744073709551615", r), "too long"},
      {Body(o, "99999999999999999999", r), "too long"},
      {Body(o, "", r), "line 2 is empty"},
      {Body("", "5", r), "line 1 is empty"},
      {Body(o, "5", ""), "line 3 is empty"},
      {Body(o, "5", root31), "line 3 (root hash): 31 bytes, want 32"},
      {Body(o, "5", root33), "33 bytes, want 32"},
      {Body(o, "5", r.substr(0, 43)), "line 3 (root hash): not canonical base64"},
      {Body(o, "5", r.substr(0, 42) + "3="), "non-zero padding bits"},
      {Body(o, "5", r + " "), "not canonical base64"},
      {Body(o, "5", "Q3NVWWFwR0dQbzRka01nSVVxb20vWGFqajdoMmZCMk1QQTNqMmp4cTJJPQ"),
       "not canonical base64"},
      {Body(o + "\r", "5", r), "line 1 (origin): a control or invisible character at byte 13"},
      {Body(o, "5\r", r), "is not a decimal number"},
      {Body(o, "5", r + "\r"), "not canonical base64"},
      {Body(std::string("audit\0log", 9), "5", r), "line 1 (origin): a control"},
      {Body("a\tb", "5", r), "line 1 (origin): a control"},
      {Body("evil\xE2\x80\xAE", "5", r), "line 1 (origin): a control or invisible"},
      {Body("bad\xFF", "5", r), "line 1 (origin): invalid UTF-8 at byte 4"},
      {Body(std::string(kMaxCheckpointLineBytes + 1, 'o'), "5", r), "over the limit of 1024"},
      {Body(o, "5", r, "\n"), "line 4 is empty"},
      {Body(o, "5", r, "ext\n\n"), "line 5 is empty"},
      {Body(o, "5", r, "ext\x01\n"), "line 4 (extension): a control"},
      {Body(o, "5", r, std::string(kMaxCheckpointLineBytes + 1, 'e') + "\n"), "line 4 (extension)"},
      {Body(o, "5", r, seventeen), "more than 16 extension lines"},
      {Body(o, "5", r, "no newline"), "does not end in"},
  };
  for (const auto& [body, why] : bad) {
    const Result<Checkpoint> c = ParseCheckpointBody(body);
    ASSERT_FALSE(c.ok()) << body;
    EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(c.status().message(), HasSubstr(why)) << body;
  }
  // The same with CRLF line ends throughout.
  EXPECT_FALSE(ParseCheckpointBody(o + "\r\n5\r\n" + r + "\r\n").ok());
  // Origins may hold spaces and '+' (the specification only recommends against them).
  EXPECT_OK(ParseCheckpointBody(Body("go.sum database tree+1", "5", r)).status());
}

class SignedCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Ed25519SigningKey::Generate(CheckpointOrigin("log1"));
    ASSERT_OK(k.status());
    key_ = std::make_unique<Ed25519SigningKey>(std::move(k).value());
    auto other = Ed25519SigningKey::Generate(CheckpointOrigin("log1"));
    ASSERT_OK(other.status());
    other_ = std::make_unique<Ed25519SigningKey>(std::move(other).value());
    cp_.origin = CheckpointOrigin("log1");
    cp_.tree_size = 42;
    cp_.root = Sha256("root");
  }
  std::unique_ptr<Ed25519SigningKey> key_, other_;
  Checkpoint cp_;
};

TEST_F(SignedCheckpointTest, SignThenOpenRoundTrips) {
  ASSERT_OK_AND_ASSIGN(const std::string note, SignCheckpoint(cp_, *key_));
  EXPECT_EQ(note.substr(0, note.find("\n\n") + 1), FormatCheckpointBody(cp_));
  ASSERT_OK_AND_ASSIGN(const Checkpoint back,
                       OpenCheckpoint(note, key_->verifier(), "auditlog/log1"));
  EXPECT_EQ(back, cp_);
  // The key is named after the origin, so a verifier holding only the key can use its name.
  ASSERT_OK(OpenCheckpoint(note, key_->verifier(), key_->name()).status());
  // Cosigned by someone else as well: still opens with our key alone.
  ASSERT_OK_AND_ASSIGN(const std::string other_note, SignNote(FormatCheckpointBody(cp_), *other_));
  const std::string cosigned = note + other_note.substr(other_note.find("\n\n") + 2);
  ASSERT_OK_AND_ASSIGN(const Checkpoint again,
                       OpenCheckpoint(cosigned, key_->verifier(), "auditlog/log1"));
  EXPECT_EQ(again, cp_);
}

TEST_F(SignedCheckpointTest, WrongOriginWrongKeyOrChangedByteFail) {
  ASSERT_OK_AND_ASSIGN(const std::string note, SignCheckpoint(cp_, *key_));
  Result<Checkpoint> r = OpenCheckpoint(note, key_->verifier(), "auditlog/log2");
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r.status().message(),
              HasSubstr("origin \"auditlog/log1\" is not the expected \"auditlog/log2\""));
  r = OpenCheckpoint(note, other_->verifier(), "auditlog/log1");
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  r = OpenCheckpoint(note, key_->verifier(), "");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  for (std::size_t i = 0; i < note.size(); ++i) {
    std::string m = note;
    m[i] = m[i] == '7' ? '8' : '7';
    EXPECT_FALSE(OpenCheckpoint(m, key_->verifier(), "auditlog/log1").ok()) << i;
  }
}

TEST_F(SignedCheckpointTest, SignatureIsCheckedBeforeTheBody) {
  // A malformed body signed by our key: the body error. The same by another key: the
  // signature error, without a word about the body.
  const std::string bad_body = "auditlog/log1\n007\n" + std::string(kRoot) + "\n";
  ASSERT_OK_AND_ASSIGN(const std::string ours, SignNote(bad_body, *key_));
  Result<Checkpoint> r = OpenCheckpoint(ours, key_->verifier(), "auditlog/log1");
  EXPECT_THAT(r.status().message(), HasSubstr("leading zero"));
  ASSERT_OK_AND_ASSIGN(const std::string theirs, SignNote(bad_body, *other_));
  r = OpenCheckpoint(theirs, key_->verifier(), "auditlog/log1");
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("leading zero")));
}

TEST_F(SignedCheckpointTest, SignRefusesWhatWouldNotParseBack) {
  Checkpoint c = cp_;
  c.origin = "";
  EXPECT_EQ(SignCheckpoint(c, *key_).status().code(), StatusCode::kInvalidArgument);
  c = cp_;
  c.origin = "two\nlines";
  EXPECT_FALSE(SignCheckpoint(c, *key_).ok());
  c = cp_;
  c.tree_size = kMaxCheckpointTreeSize + 1;
  EXPECT_THAT(SignCheckpoint(c, *key_).status().message(), HasSubstr("over 2^63 - 1"));
  c = cp_;
  c.extensions = {""};
  EXPECT_FALSE(SignCheckpoint(c, *key_).ok());
  c.extensions = {"a\nb"};
  EXPECT_THAT(SignCheckpoint(c, *key_).status().message(), HasSubstr("contains"));
}

}  // namespace
}  // namespace auditlog::internal
