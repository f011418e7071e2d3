// Tests of the format-level guarantees of internal::RecordWriter (src/record_writer.cc):
// seq and chain state, framing versus writing, segment naming and rotation, resuming the
// chain after a restart, and that a failed write never leaves a partial record behind.
#include "storage/record_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "auditlog/verify.h"
#include "format/record_format.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

constexpr std::int64_t kTs = 1795741062123456;  // 2026-11-27T00:57:42.123456Z

// Fixed clock; optionally makes the next Append write half its data and fail.
class TestEnv : public EnvWrapper {
 public:
  TestEnv() : EnvWrapper(Env::Default()) {}
  std::int64_t NowMicros() override { return kTs; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        OpenMode mode) override {
    AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f,
                              target()->NewWritableFile(path, mode));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
  }

  bool fail_next_append = false;

 private:
  class File : public WritableFile {
   public:
    File(TestEnv* env, std::unique_ptr<WritableFile> f) : env_(env), f_(std::move(f)) {}
    Status Append(std::string_view data) override {
      if (env_->fail_next_append) {
        env_->fail_next_append = false;
        f_->Append(data.substr(0, data.size() / 2)).IgnoreError();  // a short write
        return Status::IOError("injected short write");
      }
      return f_->Append(data);
    }
    Status Sync() override { return f_->Sync(); }
    Status Truncate(std::uint64_t size) override { return f_->Truncate(size); }
    Status Close() override { return f_->Close(); }
    std::uint64_t Size() const override { return f_->Size(); }
    Result<bool> StillLinked() const override { return f_->StillLinked(); }

   private:
    TestEnv* env_;
    std::unique_ptr<WritableFile> f_;
  };
};

class RecordWriterTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<RecordWriter>> Open() {
    RecordWriter::Options options;
    options.env = &env_;
    options.dir = dir_.path() / "log";
    options.service_id = "queen";
    return RecordWriter::Open(options);
  }
  static EncodedEvent Encoded(const Event& e) {
    EncodedEvent out;
    EXPECT_OK(EncodeEvent(e, {}, &out));
    return out;
  }
  std::filesystem::path LogDir() const { return dir_.path() / "log"; }

  TestEnv env_;
  testing::ScratchDir dir_;
};

TEST_F(RecordWriterTest, NewLogStartsAtSeqOneWithTheGenesisHash) {
  ASSERT_OK_AND_ASSIGN(auto w, Open());
  EXPECT_EQ(w->next_seq(), 1u);
  EXPECT_EQ(w->last_hash(), std::string(kGenesisHash));
  EXPECT_EQ(w->segment_index(), 1u);
  EXPECT_EQ(w->segment_path().filename(), "0000000001-2026-11-27.audit");
  ASSERT_OK(w->Close());
}

TEST_F(RecordWriterTest, FrameAdvancesTheChainAndWriteAppendsTheLines) {
  ASSERT_OK_AND_ASSIGN(auto w, Open());
  std::string batch;
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "a"}), &batch);
  w->Frame(kTs + 1, Encoded(AuthFailure{.reason = "r", .ip = "1.2.3.4"}), &batch);
  EXPECT_EQ(w->next_seq(), 3u);
  EXPECT_EQ(w->segment_bytes(), 0u);  // framed, not written
  const std::size_t nl = batch.find('\n');
  const std::string first = batch.substr(0, nl);
  const std::string second = batch.substr(nl + 1, batch.size() - nl - 2);
  EXPECT_EQ(w->last_hash(), ComputeLineHash(second));
  EXPECT_NE(second.find("\"prev_hash\":\"" + ComputeLineHash(first) + "\""), std::string::npos);
  EXPECT_NE(second.find("\"critical\":true"), std::string::npos);
  ASSERT_OK(w->Write(batch));
  EXPECT_EQ(w->segment_bytes(), batch.size());
  ASSERT_OK(w->Close());
  EXPECT_EQ(testing::ReadFile(LogDir() / "0000000001-2026-11-27.audit"), batch);
}

TEST_F(RecordWriterTest, RotateStartsTheNextSegmentAndTheChainContinues) {
  ASSERT_OK_AND_ASSIGN(auto w, Open());
  std::string batch;
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "a"}), &batch);
  ASSERT_OK(w->Write(batch));
  const std::string hash = w->last_hash();
  ASSERT_OK(w->Rotate());
  EXPECT_EQ(w->segment_index(), 2u);
  EXPECT_EQ(w->segment_path().filename(), "0000000002-2026-11-27.audit");
  batch.clear();
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "b"}), &batch);
  EXPECT_NE(batch.find("\"seq\":2,"), std::string::npos);
  EXPECT_NE(batch.find("\"prev_hash\":\"" + hash + "\""), std::string::npos);
  ASSERT_OK(w->Write(batch));
  ASSERT_OK(w->Close());
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(LogDir()));
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.segments, 2u);
  EXPECT_EQ(r.records, 2u);
}

TEST_F(RecordWriterTest, ReopeningResumesTheChainInANewSegment) {
  std::string last_hash;
  {
    ASSERT_OK_AND_ASSIGN(auto w, Open());
    std::string batch;
    for (int i = 0; i < 3; ++i) w->Frame(kTs, Encoded(SealVerified{.shard_id = "a"}), &batch);
    ASSERT_OK(w->Write(batch));
    last_hash = w->last_hash();
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(ChainState state, ReadChainState(&env_, LogDir()));
  EXPECT_EQ(state.next_seq, 4u);
  EXPECT_EQ(state.last_hash, last_hash);
  ASSERT_OK_AND_ASSIGN(auto w, Open());
  EXPECT_EQ(w->next_seq(), 4u);
  EXPECT_EQ(w->last_hash(), last_hash);
  EXPECT_EQ(w->segment_index(), 2u);
  std::string batch;
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "b"}), &batch);
  ASSERT_OK(w->Write(batch));
  ASSERT_OK(w->Close());
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(LogDir()));
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.last_seq, 4u);
}

TEST_F(RecordWriterTest, ReadChainStateReportsATornTail) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, Open());
    std::string batch;
    for (int i = 0; i < 2; ++i) w->Frame(kTs, Encoded(SealVerified{.shard_id = "a"}), &batch);
    ASSERT_OK(w->Write(batch.substr(0, batch.size() - 20)));  // as if cut by a crash
  }
  const auto segments = testing::SegmentFiles(LogDir());
  const std::string data = testing::ReadFile(segments.back());
  TornTail torn;
  ASSERT_OK_AND_ASSIGN(ChainState state, ReadChainState(&env_, LogDir(), &torn));
  EXPECT_EQ(state.next_seq, 2u);
  EXPECT_EQ(torn.offset, data.find('\n') + 1);
  EXPECT_EQ(torn.bytes, data.substr(data.find('\n') + 1));
  EXPECT_FALSE(ReadChainState(&env_, LogDir()).ok());  // without `torn`: an error
}

TEST_F(RecordWriterTest, FailedShortWriteLeavesNoPartialRecord) {
  ASSERT_OK_AND_ASSIGN(auto w, Open());
  std::string first;
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "a"}), &first);
  ASSERT_OK(w->Write(first));
  std::string batch;
  w->Frame(kTs, Encoded(SealVerified{.shard_id = "b"}), &batch);
  env_.fail_next_append = true;
  EXPECT_EQ(w->Write(batch).code(), StatusCode::kIOError);
  EXPECT_EQ(w->segment_bytes(), first.size());
  EXPECT_EQ(testing::ReadFile(w->segment_path()), first);
  ASSERT_OK(w->Write(batch));  // the same batch may be written again
  ASSERT_OK(w->Close());
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(LogDir()));
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.records, 2u);
}

}  // namespace
}  // namespace auditlog::internal
