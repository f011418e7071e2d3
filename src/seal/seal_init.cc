// InitSealing (auditlog/seal.h).
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auditlog/seal.h"
#include "format/log_dir.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "seal/checkpoint.h"
#include "seal/seal_state.h"
#include "seal/signing_key.h"
#include "seal/verification_key.h"
#include "util/sha256.h"

namespace auditlog {

Result<SealInitResult> InitSealing(const std::filesystem::path& dir,
                                   const SealInitOptions& options) {
  using namespace internal;
  Env* env = options.env ? options.env : Env::Default();
  const auto interval = options.interval.count();
  if (interval < kMinSealIntervalMs || interval > kMaxSealIntervalMs ||
      86'400'000 % interval != 0) {
    return Status::InvalidArgument("seal interval: " + std::to_string(interval) +
                                   " ms is not between 100 ms and 1 h or does not divide a day");
  }
  AUDITLOG_RETURN_IF_ERROR(env->CreateDir(dir));
  AUDITLOG_ASSIGN_OR_RETURN(auto lock, env->LockFile(dir / kLockFileName));
  if (IsSealedLog(env, dir)) {
    return Status::FailedPrecondition((dir / kSealDirName).string() +
                                      " exists: the log is sealed already (seal init refuses to "
                                      "re-initialise it)");
  }
  // The tree's leaf index is seq - 1 from the log's first record: a log whose first records
  // retention deleted cannot rebuild it.
  auto segments = ListLogSegments(env, dir);
  if (segments.ok() && !segments->empty()) {
    AUDITLOG_ASSIGN_OR_RETURN(auto first, PeekFirstLine(env, segments->front()));
    RecordParser parser;
    RecordView r;
    if (first && parser.Parse(*first, &r, false).ok() && r.seq != 1) {
      return Status::FailedPrecondition(
          "the log's first record has seq " + std::to_string(r.seq) +
          " (retention deleted the records before it): sealing needs the log from seq 1");
    }
  }
  std::array<std::uint8_t, 32> secret_bytes;
  std::array<std::uint8_t, 16> id;
  if (RAND_bytes(secret_bytes.data(), 32) != 1 || RAND_bytes(id.data(), 16) != 1) {
    return Status::IOError("seal init: the random number generator failed");
  }
  VerificationKey key{SecretKey(secret_bytes), {}};
  OPENSSL_cleanse(secret_bytes.data(), secret_bytes.size());
  key.schedule.interval_ms = static_cast<std::uint32_t>(interval);
  const std::int64_t now_ms = env->NowMicros() / 1000;
  key.schedule.start_ms = now_ms - now_ms % interval;
  key.schedule.log_id =
      ToHex(Sha256(std::string_view(reinterpret_cast<char*>(id.data()), 16))).substr(0, 32);
  SealState state;
  state.schedule = key.schedule;
  const ForwardKeyChain chain = ForwardKeyChain::FromSecret(key.secret, key.schedule);
  state.epoch = 0;
  state.epoch_key = chain.epoch_key();
  state.next_day_key = chain.next_day_key();
  // The checkpoint signer, named after the checkpoints' origin, so that a verifier holding
  // only its verifier key knows which log's checkpoints it signs.
  AUDITLOG_ASSIGN_OR_RETURN(auto signer,
                            Ed25519SigningKey::Generate(CheckpointOrigin(key.schedule.log_id)));
  AUDITLOG_RETURN_IF_ERROR(CreateSealState(env, dir, std::move(state)));
  AUDITLOG_RETURN_IF_ERROR(signer.SaveFile(env, dir / kSealDirName / kCheckpointKeyFileName));
  return SealInitResult{FormatVerificationKey(key), signer.verifier().ToString(),
                        key.schedule.log_id};
}

}  // namespace auditlog
