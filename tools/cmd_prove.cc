// The proof commands of a sealed log (docs/CLI.md, "Proofs"; formats in docs/FORMAT.md):
//   auditlog checkpoint DIR                          the latest signed checkpoint
//   auditlog prove DIR --seq N [--out FILE]          inclusion proof of record N
//   auditlog prove DIR --consistency OLD_SIZE [--to NEW_SIZE] [--out FILE]
//   auditlog verify-proof FILE --checkpoint-key KEY  exit 0 proven, 1 not (one-line reason)
//   auditlog consistency OLD NEW --checkpoint-key KEY (--proof FILE | --dir DIR)
// A thin layer over auditlog/seal.h.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "auditlog/env.h"
#include "auditlog/seal.h"
#include "cli_util.h"
#include "commands.h"
#include "terminal.h"

namespace auditlog::cli {
namespace {

// A proof or checkpoint file, bounded before it is read (the library bounds it again).
constexpr std::uint64_t kMaxInputBytes = std::uint64_t{4} << 20;

Result<std::string> ReadInputFile(const std::string& path) {
  Env* env = Env::Default();
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, env->GetFileSize(path));
  if (size > kMaxInputBytes) {
    return Status::InvalidArgument(path + " is larger than " + std::to_string(kMaxInputBytes) +
                                   " bytes");
  }
  return ReadFileToString(env, path);
}

// Writes `text` to `out` (atomically) or to stdout.
int Emit(const char* command, const std::string& out, const std::string& text) {
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  }
  Status s = WriteFileAtomically(Env::Default(), out, text);
  if (!s.ok()) {
    PrintError(command, "--out: " + s.ToString());
    return kExitUsage;
  }
  return kExitOk;
}

struct ProveArgs {
  std::string dir, out;
  std::optional<std::uint64_t> seq, consistency, to;
};

void AddProve(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ProveArgs>();
  CLI::App* cmd = app.add_subcommand(
      "prove", "Write a JSON inclusion proof of record --seq N (or a consistency proof)");
  cmd->add_option("dir", args->dir, "Sealed log directory")->required();
  auto* seq = cmd->add_option("--seq", args->seq, "The record to prove");
  auto* cons = cmd->add_option("--consistency", args->consistency,
                               "Prove that the tree of this size is a prefix of --to");
  seq->excludes(cons);
  cmd->add_option("--to", args->to,
                  "With --consistency: the newer tree size (default: the "
                  "latest checkpoint's)");
  cmd->add_option("-o,--out", args->out, "Write the proof to FILE instead of stdout");
  cmd->callback([args, exit_code] {
    Env* env = Env::Default();
    Result<std::string> proof = Status::InvalidArgument("give --seq N or --consistency OLD_SIZE");
    if (args->seq) {
      proof = ProveRecord(args->dir, *args->seq, env);
    } else if (args->consistency) {
      proof = ProveConsistency(args->dir, *args->consistency, args->to.value_or(0), env);
    }
    if (!proof.ok()) {
      PrintError("prove", proof.status().ToString());
      *exit_code = proof.status().code() == StatusCode::kCorruption ? kExitFindings : kExitUsage;
      return;
    }
    *exit_code = Emit("prove", args->out, *proof);
  });
}

struct VerifyProofArgs {
  std::string file, key;
};

void AddVerifyProof(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<VerifyProofArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify-proof", "Check an inclusion proof against the checkpoint key (no log needed)");
  cmd->add_option("file", args->file, "The proof (from auditlog prove)")->required();
  cmd->add_option("--checkpoint-key", args->key, "NAME+KEYID+BASE64 (from seal init)")->required();
  cmd->callback([args, exit_code] {
    auto text = ReadInputFile(args->file);
    if (!text.ok()) {
      PrintError("verify-proof", text.status().ToString());
      *exit_code = kExitUsage;
      return;
    }
    auto proven = VerifyProof(*text, args->key);
    if (!proven.ok() && proven.status().code() == StatusCode::kInvalidArgument) {
      PrintError("verify-proof", proven.status().ToString());
      *exit_code = kExitUsage;
      return;
    }
    if (!proven.ok()) {
      std::printf("NOT PROVEN: %s\n", SafeText(proven.status().message()).c_str());
      *exit_code = kExitFindings;
      return;
    }
    std::printf("PROVEN: record seq %llu is in the signed tree of %llu records\n",
                static_cast<unsigned long long>(proven->seq),
                static_cast<unsigned long long>(proven->tree_size));
    *exit_code = kExitOk;
  });
}

struct ConsistencyArgs {
  std::string old_file, new_file, key, proof, dir;
};

void AddConsistency(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ConsistencyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "consistency", "Check that checkpoint NEW extends checkpoint OLD (append-only)");
  cmd->add_option("old", args->old_file, "The older signed checkpoint file")->required();
  cmd->add_option("new", args->new_file, "The newer signed checkpoint file")->required();
  cmd->add_option("--checkpoint-key", args->key, "NAME+KEYID+BASE64 (from seal init)")->required();
  auto* proof = cmd->add_option("--proof", args->proof,
                                "Consistency proof (auditlog prove DIR --consistency OLD_SIZE)");
  auto* dir = cmd->add_option("--dir", args->dir, "Make the proof from this log's tiles");
  proof->excludes(dir);
  cmd->callback([args, exit_code] {
    auto old_note = ReadInputFile(args->old_file);
    auto new_note = ReadInputFile(args->new_file);
    Result<std::string> proof_text = std::string();
    if (!args->proof.empty()) proof_text = ReadInputFile(args->proof);
    Status usage = !old_note.ok()     ? old_note.status()
                   : !new_note.ok()   ? new_note.status()
                   : !proof_text.ok() ? proof_text.status()
                   : (args->proof.empty() && args->dir.empty())
                       ? Status::InvalidArgument("give --proof FILE or --dir DIR")
                       : Status::Ok();
    if (!usage.ok()) {
      PrintError("consistency", usage.ToString());
      *exit_code = kExitUsage;
      return;
    }
    Status s = args->proof.empty()
                   ? CheckConsistencyWithLog(args->dir, *old_note, *new_note, args->key)
                   : CheckConsistency(*old_note, *new_note, *proof_text, args->key);
    if (!s.ok() && s.code() != StatusCode::kCorruption) {
      PrintError("consistency", s.ToString());
      *exit_code = kExitUsage;
      return;
    }
    if (!s.ok()) {
      std::printf("NOT CONSISTENT: %s\n", SafeText(s.message()).c_str());
      *exit_code = kExitFindings;
      return;
    }
    std::printf("CONSISTENT: NEW extends OLD\n");
    *exit_code = kExitOk;
  });
}

struct CheckpointArgs {
  std::string dir;
};

void AddCheckpoint(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CheckpointArgs>();
  CLI::App* cmd =
      app.add_subcommand("checkpoint", "Print the latest signed checkpoint of a sealed log");
  cmd->add_option("dir", args->dir, "Sealed log directory")->required();
  cmd->callback([args, exit_code] {
    auto note = LatestCheckpoint(args->dir);
    if (!note.ok()) {
      PrintError("checkpoint", note.status().ToString());
      *exit_code = kExitUsage;
      return;
    }
    std::fwrite(note->data(), 1, note->size(), stdout);
    std::fflush(stdout);
    *exit_code = kExitOk;
  });
}

}  // namespace

void AddProofCommands(CLI::App& app, int* exit_code) {
  AddCheckpoint(app, exit_code);
  AddProve(app, exit_code);
  AddVerifyProof(app, exit_code);
  AddConsistency(app, exit_code);
}

}  // namespace auditlog::cli
