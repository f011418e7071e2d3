// The forward-secure key chain (alseal-v1), the verification key text, the two-slot seal state
// and the seal record's tag: seeking equals stepping, erased keys are gone from the state
// files, hostile state files and keys are refused with a reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "auditlog/env.h"
#include "auditlog/seal.h"
#include "seal/key_chain.h"
#include "seal/seal_record.h"
#include "seal/seal_state.h"
#include "seal/verification_key.h"
#include "test_util.h"
#include "util/sha256.h"

namespace auditlog::internal {
namespace {

using ::auditlog::testing::ScratchDir;

SecretKey KeyOf(std::uint8_t fill) {
  std::array<std::uint8_t, 32> b;
  b.fill(fill);
  return SecretKey(b);
}

SealSchedule Schedule(std::uint32_t interval_ms = 1000) {
  return SealSchedule{.start_ms = 1'796'000'000'000,
                      .interval_ms = interval_ms,
                      .log_id = "0123456789abcdef0123456789abcdef"};
}

std::string Hex(const SecretKey& k) {
  Digest d;
  std::copy(k.data(), k.data() + 32, d.begin());
  return ToHex(d);
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(KeyChainTest, SeekEqualsStepByStepAcrossDays) {
  // 1-minute epochs: 1,440 a day. Step one by one over a day boundary and compare with seeks.
  const SealSchedule s = Schedule(60'000);
  const std::uint64_t per_day = s.epochs_per_day();
  ForwardKeyChain stepped = ForwardKeyChain::FromSecret(KeyOf(7), s);
  stepped.SeekForward(per_day - 3);
  for (std::uint64_t e = per_day - 3; e < per_day + 5; ++e) {
    ASSERT_EQ(stepped.epoch(), e);
    ForwardKeyChain sought = ForwardKeyChain::FromSecret(KeyOf(7), s);
    sought.SeekForward(e);
    EXPECT_EQ(Hex(sought.MacKey()), Hex(stepped.MacKey())) << "epoch " << e;
    EXPECT_EQ(Hex(sought.epoch_key()), Hex(stepped.epoch_key()));
    EXPECT_EQ(Hex(sought.next_day_key()), Hex(stepped.next_day_key()));
    stepped.Evolve();
  }
  // Far ahead (three days and a bit), by seek from scratch and by seek from a resumed state.
  ForwardKeyChain a = ForwardKeyChain::FromSecret(KeyOf(7), s);
  a.SeekForward(3 * per_day + 123);
  ForwardKeyChain b = ForwardKeyChain::FromSecret(KeyOf(7), s);
  b.SeekForward(per_day + 7);
  ForwardKeyChain resumed =
      ForwardKeyChain::FromState(b.epoch(), per_day, b.epoch_key(), b.next_day_key());
  resumed.SeekForward(3 * per_day + 123);
  EXPECT_EQ(Hex(a.MacKey()), Hex(resumed.MacKey()));
  SealKeyDeriver deriver(KeyOf(7), s);
  EXPECT_EQ(Hex(deriver.MacKeyFor(3 * per_day + 123)), Hex(a.MacKey()));
  // Behind the cached position: restarts from D_0, same answer.
  ForwardKeyChain c = ForwardKeyChain::FromSecret(KeyOf(7), s);
  c.SeekForward(5);
  EXPECT_EQ(Hex(deriver.MacKeyFor(5)), Hex(c.MacKey()));
}

TEST(KeyChainTest, KeysDifferPerEpochSecretAndLog) {
  std::set<std::string> seen;
  ForwardKeyChain chain = ForwardKeyChain::FromSecret(KeyOf(1), Schedule());
  for (int i = 0; i < 100; ++i, chain.Evolve()) {
    EXPECT_TRUE(seen.insert(Hex(chain.MacKey())).second);
    EXPECT_TRUE(seen.insert(Hex(chain.epoch_key())).second);  // the MAC key is never E itself
  }
  EXPECT_TRUE(seen.insert(Hex(ForwardKeyChain::FromSecret(KeyOf(2), Schedule()).MacKey())).second);
  SealSchedule other = Schedule();
  other.log_id = "fedcba9876543210fedcba9876543210";
  EXPECT_TRUE(seen.insert(Hex(ForwardKeyChain::FromSecret(KeyOf(1), other).MacKey())).second);
}

TEST(SealStateTest, SavedStatesHoldNoEarlierKey) {
  ScratchDir dir;
  Env* env = Env::Default();
  const SealSchedule s = Schedule();
  ForwardKeyChain chain = ForwardKeyChain::FromSecret(KeyOf(9), s);
  SealState state{.schedule = s,
                  .epoch = 0,
                  .epoch_key = chain.epoch_key(),
                  .next_day_key = chain.next_day_key()};
  ASSERT_OK(CreateSealState(env, dir.path(), state));
  ASSERT_OK_AND_ASSIGN(SealState read, ReadSealState(env, dir.path()));
  ASSERT_OK_AND_ASSIGN(auto file, SealStateFile::Open(env, dir.path(), read));
  std::vector<std::string> old_keys;
  for (int i = 1; i <= 5; ++i) {
    old_keys.push_back(std::string(reinterpret_cast<const char*>(chain.epoch_key().data()), 32));
    chain.Evolve();
    read.epoch = chain.epoch();
    read.epoch_key = chain.epoch_key();
    read.next_day_key = chain.next_day_key();
    ASSERT_OK(file->Save(&read));
    ASSERT_OK_AND_ASSIGN(SealState back, ReadSealState(env, dir.path()));
    EXPECT_EQ(back.epoch, static_cast<std::uint64_t>(i));
    EXPECT_EQ(Hex(back.epoch_key), Hex(chain.epoch_key()));
    // No byte sequence of an earlier epoch key is left in either slot file.
    const std::string files =
        ReadAll(dir.path() / "seal" / "state.a") + ReadAll(dir.path() / "seal" / "state.b");
    EXPECT_EQ(files.size(), kSealStateSlotBytes);
    for (const std::string& k : old_keys) EXPECT_EQ(files.find(k), std::string::npos);
  }
  EXPECT_EQ(CreateSealState(env, dir.path(), state).code(), StatusCode::kFailedPrecondition);
}

TEST(SealStateTest, HostileSlotsAreRefusedWithTheirReason) {
  ScratchDir dir;
  Env* env = Env::Default();
  const SealSchedule s = Schedule();
  ForwardKeyChain chain = ForwardKeyChain::FromSecret(KeyOf(3), s);
  SealState state{
      .schedule = s, .epoch_key = chain.epoch_key(), .next_day_key = chain.next_day_key()};
  ASSERT_OK(CreateSealState(env, dir.path(), state));
  const auto a = dir.path() / "seal" / "state.a";
  std::string good = ReadAll(a);
  auto write = [&](const std::string& bytes) { std::ofstream(a, std::ios::binary) << bytes; };
  std::string flipped = good;
  flipped[80] ^= 1;
  write(flipped);
  auto r = ReadSealState(env, dir.path());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("state.a: checksum mismatch"));
  write(good.substr(0, 100));
  EXPECT_THAT(ReadSealState(env, dir.path()).status().message(),
              ::testing::HasSubstr("state.a: size 100"));
  std::filesystem::remove(a);
  std::filesystem::create_symlink("/etc/passwd", a);
  EXPECT_FALSE(ReadSealState(env, dir.path()).ok());
  std::filesystem::remove(a);
  std::filesystem::remove(dir.path() / "seal" / "state.b");
  EXPECT_EQ(ReadSealState(env, dir.path()).status().code(), StatusCode::kNotFound);
}

TEST(VerificationKeyTest, RoundTripAndStrictParse) {
  VerificationKey key{KeyOf(0x5a), Schedule(500)};
  const std::string text = FormatVerificationKey(key);
  ASSERT_EQ(text.rfind("alsk1:", 0), 0u);
  ASSERT_OK_AND_ASSIGN(VerificationKey back, ParseVerificationKey("  " + text + "\n"));
  EXPECT_EQ(Hex(back.secret), Hex(key.secret));
  EXPECT_EQ(back.schedule.start_ms, key.schedule.start_ms);
  EXPECT_EQ(back.schedule.interval_ms, 500u);
  EXPECT_EQ(back.schedule.log_id, key.schedule.log_id);
  const std::string secret_b64 = text.substr(6, 44);
  for (const std::string& bad :
       {std::string("alsk2:") + text.substr(6), text.substr(0, text.size() - 1), text + ":extra",
        "alsk1:" + secret_b64 + ":01796000000000:500:" + key.schedule.log_id,
        "alsk1:" + secret_b64 + ":1796000000000:700:" + key.schedule.log_id,
        "alsk1:" + secret_b64 + ":1796000000001:500:" + key.schedule.log_id,
        "alsk1:AAAA:1796000000000:500:" + key.schedule.log_id}) {
    auto r = ParseVerificationKey(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().find(secret_b64), std::string::npos) << "quotes the key";
  }
}

TEST(SealRecordTest, TagCoversEveryMemberBeforeIt) {
  LogSealed seal{.log_id = "0123456789abcdef0123456789abcdef",
                 .kind = "data",
                 .epoch = 42,
                 .first_seq = 1,
                 .last_seq = 9,
                 .chain = std::string(64, 'a'),
                 .tree_size = 9,
                 .root = std::string(64, 'b'),
                 .prev_tag = std::string(kZeroTag)};
  EncodedEvent out;
  ASSERT_OK(EncodeSealEvent(seal, KeyOf(1), &out));
  const std::string value = out.body.substr(out.body.find('{'));
  ASSERT_OK_AND_ASSIGN(SealRecord parsed, ParseSealEvent(value));
  EXPECT_EQ(parsed.epoch, 42u);
  EXPECT_EQ(parsed.kind, SealKind::kData);
  EXPECT_TRUE(SealTagMatches(value, parsed, KeyOf(1)));
  EXPECT_FALSE(SealTagMatches(value, parsed, KeyOf(2)));
  // Any change of a member before the tag breaks it (here: the epoch).
  std::string changed = value;
  changed.replace(changed.find("\"epoch\":42"), 10, "\"epoch\":43");
  ASSERT_OK_AND_ASSIGN(SealRecord p2, ParseSealEvent(changed));
  EXPECT_FALSE(SealTagMatches(changed, p2, KeyOf(1)));
  // Strict form: a missing member, an extra one, a bad kind.
  EXPECT_FALSE(ParseSealEvent(std::string(value).replace(value.find("\"kind\":\"data\""), 13,
                                                         "\"kind\":\"oops\""))
                   .ok());
  EXPECT_FALSE(ParseSealEvent("{\"event_type\":\"log_sealed\"}").ok());
}

TEST(SealInitTest, PrintsKeysAndRefusesASealedLog) {
  ScratchDir dir;
  ASSERT_OK_AND_ASSIGN(SealInitResult r, InitSealing(dir.path() / "log"));
  EXPECT_EQ(r.verification_key.rfind("alsk1:", 0), 0u);
  EXPECT_EQ(r.checkpoint_key.rfind("auditlog/" + r.log_id + "+", 0), 0u);
  EXPECT_EQ(r.log_id.size(), 32u);
  // The secret is in no file of the directory.
  ASSERT_OK_AND_ASSIGN(VerificationKey key, ParseVerificationKey(r.verification_key));
  const std::string secret(reinterpret_cast<const char*>(key.secret.data()), 32);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file()) {
      EXPECT_EQ(ReadAll(e.path()).find(secret), std::string::npos);
    }
  }
  EXPECT_EQ(InitSealing(dir.path() / "log").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(InitSealing(dir.path() / "other", {.interval = std::chrono::milliseconds(700)})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace auditlog::internal
