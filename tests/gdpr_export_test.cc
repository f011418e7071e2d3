// The GDPR export (auditlog/gdpr_export.h): which records it holds, the summary, the
// verification statement, and the document's exact layout (that of nlohmann's
// dump(2, ' ', ensure_ascii), which the CLI printed before the export was a library call).
#include "auditlog/gdpr_export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "fake_clock.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

using ojson = nlohmann::ordered_json;
using testing::LogBuilder;
using testing::ScratchDir;
using testing::TestTime;

class ExportTest : public ::testing::Test {
 protected:
  // 1 auth_success alice  2 inference_executed cust-1 (llama, 10 tokens)  | rotation |
  // 3 gdpr_data_access_request cust-1  4 inference_executed cust-2  5 job_id "cust-1" only
  // 6 data_deleted cust-1
  void WriteLog() {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    ASSERT_OK(log->Add(AuthSuccess{.actor = {.user_id = "alice"}}, TestTime(0)).status());
    ASSERT_OK(log->Add(InferenceExecuted{.customer_id = "cust-1",
                                         .job_id = "job-1",
                                         .model_ref = "llama",
                                         .tokens_processed = 10},
                       TestTime(1))
                  .status());
    ASSERT_OK(log->Rotate());
    ASSERT_OK(
        log->Add(GdprDataAccessRequest{.customer_id = "cust-1", .requester = "dpo"}, TestTime(2))
            .status());
    ASSERT_OK(log->Add(InferenceExecuted{.customer_id = "cust-2",
                                         .job_id = "job-2",
                                         .model_ref = "mistral",
                                         .tokens_processed = 5},
                       TestTime(3))
                  .status());
    ASSERT_OK(
        log->AddRawEvent(R"({"event_type":"custom_job","job_id":"cust-1"})", TestTime(4)).status());
    ASSERT_OK(
        log->Add(
               DataDeleted{.customer_id = "cust-1", .data_types = {"prompts"}, .reason = "erasure"},
               TestTime(5))
            .status());
    ASSERT_OK(log->Close());
  }

  // The document as nlohmann would have dumped it: it must be byte for byte the same.
  static void ExpectNlohmannLayout(const std::string& doc) {
    ASSERT_FALSE(doc.empty());
    EXPECT_EQ(doc.back(), '\n');
    const ojson j = ojson::parse(doc);
    EXPECT_EQ(j.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) + "\n", doc);
    for (const char c : doc) {
      EXPECT_LT(static_cast<unsigned char>(c), 0x80u) << "not ASCII";
      if (static_cast<unsigned char>(c) >= 0x80) break;
    }
  }

  ScratchDir dir_;
};

TEST_F(ExportTest, HoldsExactlyTheCustomersRecordsWithSummaryAndStatement) {
  WriteLog();
  testing::FakeClockEnv clock(Env::Default(), TestTime(3600));
  ASSERT_OK_AND_ASSIGN(GdprExport e,
                       BuildGdprExport(dir_.path(), {.customer_id = "cust-1", .env = &clock}));
  ExpectNlohmannLayout(e.document);
  EXPECT_EQ(e.records, 3u);
  EXPECT_TRUE(e.chain_verified);
  EXPECT_TRUE(e.whole_log);
  EXPECT_EQ(e.unverified_records, 0u);
  EXPECT_TRUE(e.verification.intact());
  const ojson j = ojson::parse(e.document);
  EXPECT_EQ(j["report"], "gdpr_data_access");
  EXPECT_EQ(j["customer_id"], "cust-1");
  EXPECT_EQ(j["generated_at"], "2026-11-27T01:00:00.000000Z");
  EXPECT_EQ(j["log"], dir_.path().string());
  EXPECT_TRUE(j["range"]["since"].is_null());
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"report", "customer_id", "generated_at", "log", "range",
                                            "summary", "records", "verification"}));
  ASSERT_EQ(j["records"].size(), 3u);
  EXPECT_EQ(j["records"][0]["seq"], 2);
  EXPECT_EQ(j["records"][1]["seq"], 3);
  EXPECT_EQ(j["records"][2]["seq"], 6);  // not 5: its customer_id is not cust-1
  EXPECT_EQ(j["records"][1]["line_no"], 1);
  EXPECT_EQ(j["records"][0]["event"]["model_ref"], "llama");
  const ojson& s = j["summary"];
  EXPECT_EQ(s["records"], 3);
  EXPECT_EQ(s["by_type"]["inference_executed"], 1);
  EXPECT_EQ(s["inference_count"], 1);
  EXPECT_EQ(s["tokens_processed"], 10);
  EXPECT_EQ(s["models_accessed"], ojson::array({"llama"}));
  EXPECT_EQ(s["deletion_count"], 1);
  EXPECT_EQ(s["access_requests"], 1);
  EXPECT_EQ(s["export_count"], 0);
  const ojson& v = j["verification"];
  EXPECT_EQ(v["chain_verified"], true);
  EXPECT_EQ(v["scope"], "log");
  EXPECT_EQ(v["records_in_range"], 6);
  EXPECT_TRUE(v["anchor_seq"].is_null());
  EXPECT_TRUE(v["findings"].empty());
}

TEST_F(ExportTest, EventsOfEveryJsonShapeKeepNlohmannsExactBytes) {
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  ASSERT_OK(
      log->AddRawEvent(
             R"({"event_type":"custom","customer_id":"c","f":1.5,"g":-0.0,"h":1e-7,)"
             R"("i":-42,"j":18446744073709551615,"k":0,"l":[],"m":{},"n":[1,[2,{"o":null}]],)"
             R"("p":true,"q":false,"r":"caf\u00e9 \ud83d\ude00 \u001b[2J \u2028 \"/\\","s":1E5,)"
             R"("t":{"u":{"v":[{"w":"x"}]}},"tokens_processed":7,"model_ref":"m\u00fc"})",
             TestTime(0))
          .status());
  ASSERT_OK(log->AddRawEvent(R"({"event_type":"custom","customer_id":"c"})", TestTime(1)).status());
  ASSERT_OK(log->Close());
  ASSERT_OK_AND_ASSIGN(GdprExport e, BuildGdprExport(dir_.path(), {.customer_id = "c"}));
  ExpectNlohmannLayout(e.document);
  EXPECT_EQ(e.records, 2u);
  const ojson j = ojson::parse(e.document);
  EXPECT_EQ(j["summary"]["models_accessed"], ojson::array({"m\xc3\xbc"}));
  EXPECT_EQ(j["summary"]["tokens_processed"], 0);  // counted for inference_executed only
  // Every member of the event, in the record's order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : j["records"][0]["event"].items()) keys.push_back(key);
  EXPECT_EQ(keys.size(), 18u);
  EXPECT_EQ(keys.front(), "event_type");
  EXPECT_EQ(keys.back(), "model_ref");
}

TEST_F(ExportTest, AnEventWithVeryManyMembersIsExported) {
  std::string event = R"({"event_type":"custom","customer_id":"c")";
  for (int i = 0; i < 20000; ++i) event += ",\"m" + std::to_string(i) + "\":" + std::to_string(i);
  event += "}";
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  ASSERT_OK(log->AddRawEvent(event, TestTime(0)).status());
  ASSERT_OK(log->Close());
  ASSERT_OK_AND_ASSIGN(GdprExport e, BuildGdprExport(dir_.path(), {.customer_id = "c"}));
  EXPECT_EQ(e.records, 1u);
  // nlohmann::json, not ordered_json: the latter's linear member lookup makes this parse
  // quadratic (a minute under ThreadSanitizer).
  const auto j = nlohmann::json::parse(e.document);
  EXPECT_EQ(j["records"][0]["event"].size(), 20002u);
  EXPECT_EQ(j["records"][0]["event"]["m19999"], 19999);
}

TEST_F(ExportTest, ARangeIsAnchoredAndTamperingIsStated) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(GdprExport e,
                       BuildGdprExport(dir_.path(), {.customer_id = "cust-1",
                                                     .since = MicrosToTime(TestTime(2)),
                                                     .until = MicrosToTime(TestTime(3))}));
  ExpectNlohmannLayout(e.document);
  EXPECT_EQ(e.records, 1u);
  EXPECT_FALSE(e.whole_log);
  EXPECT_TRUE(e.chain_verified);
  EXPECT_EQ(e.verification.anchor_seq, 2u);
  ojson j = ojson::parse(e.document);
  EXPECT_EQ(j["range"]["since"], "2026-11-27T00:00:02.000000Z");
  EXPECT_EQ(j["verification"]["scope"], "range");
  EXPECT_EQ(j["verification"]["records_in_range"], 2);

  const auto seg = testing::SegmentFiles(dir_.path())[1];
  auto lines = testing::ReadLines(seg);
  const std::size_t at = lines[0].find("\"dpo\"");
  ASSERT_NE(at, std::string::npos);
  lines[0].replace(at, 5, "\"eve\"");
  testing::WriteLines(seg, lines);
  ASSERT_OK_AND_ASSIGN(e, BuildGdprExport(dir_.path(), {.customer_id = "cust-1"}));
  ExpectNlohmannLayout(e.document);
  EXPECT_FALSE(e.chain_verified);
  EXPECT_TRUE(e.verification.tampered());
  j = ojson::parse(e.document);
  EXPECT_EQ(j["verification"]["tampered"], true);
  ASSERT_FALSE(j["verification"]["findings"].empty());
  EXPECT_EQ(j["verification"]["findings"][0]["kind"], "hash_mismatch");
}

TEST_F(ExportTest, NoRecordGivesAnEmptyExportNotAnError) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(GdprExport e, BuildGdprExport(dir_.path(), {.customer_id = "nobody"}));
  ExpectNlohmannLayout(e.document);
  EXPECT_EQ(e.records, 0u);
  EXPECT_TRUE(e.chain_verified);
  const ojson j = ojson::parse(e.document);
  EXPECT_TRUE(j["records"].is_array());
  EXPECT_TRUE(j["records"].empty());
  EXPECT_TRUE(j["summary"]["by_type"].empty());
}

TEST_F(ExportTest, HostileCustomerAndDirectoryNamesAreEscaped) {
  ScratchDir root;
  const std::filesystem::path dir = root.path() / "log\x1b[2J\xff";
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir));
  ASSERT_OK(log->Add(GdprDataAccessRequest{.customer_id = "m\xe2\x80\xae", .requester = "dpo"},
                     TestTime(0))
                .status());
  ASSERT_OK(log->Close());
  ASSERT_OK_AND_ASSIGN(GdprExport e, BuildGdprExport(dir, {.customer_id = "m\xe2\x80\xae"}));
  ExpectNlohmannLayout(e.document);
  std::string without_newlines = e.document;
  std::erase(without_newlines, '\n');
  EXPECT_EQ(testing::FindForbiddenText(without_newlines), "");
  EXPECT_NE(e.document.find("\\u001b[2J\\ufffd"), std::string::npos) << e.document;
  EXPECT_EQ(e.records, 0u);  // the record holds the neutralized name, not the raw one
}

TEST_F(ExportTest, BadRequestsAndMissingLogsAreStatuses) {
  WriteLog();
  EXPECT_EQ(BuildGdprExport(dir_.path(), {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildGdprExport(dir_.path(), {.customer_id = "c",
                                          .since = MicrosToTime(TestTime(5)),
                                          .until = MicrosToTime(TestTime(1))})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildGdprExport(dir_.path() / "missing", {.customer_id = "c"}).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace auditlog
