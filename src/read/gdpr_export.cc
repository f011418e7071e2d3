// The GDPR data-access export; see auditlog/gdpr_export.h.
//
// The document is written by hand, in one pass per record, in exactly the layout of
// nlohmann::json::dump(2, ' ', ensure_ascii = true, error_handler_t::replace), which is
// what `auditlog export` printed before the export moved into the library (the bytes are
// unchanged). Building an nlohmann::ordered_json document instead would cost time quadratic
// in an event's member count: ordered_json looks up each member linearly as it is inserted
// (a record of kMaxRecordBytes can hold 100k+ members). Each event is re-rendered from a
// SAX parse (linear); strings and floating-point numbers are serialized by nlohmann itself
// (its \u escapes, its replacement of invalid UTF-8, its shortest float form), integers by
// the library's JSON writer.
#include "auditlog/gdpr_export.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "auditlog/query.h"
#include "util/json_writer.h"

namespace auditlog {

namespace {

// Appends JSON text to `*out` in nlohmann's dump(2) layout: "{" / "[", each member or
// element on its own line indented by two spaces per level ("key": value), "," between
// them, the closing bracket on its own line at the container's level; "{}" and "[]" when
// empty. `depth` is the nesting level of the first value written.
class PrettyJson {
 public:
  explicit PrettyJson(std::string* out, int depth = 0) : out_(out), depth_(depth) {}

  void BeginObject() { Begin('{'); }
  void EndObject() { End('}'); }
  void BeginArray() { Begin('['); }
  void EndArray() { End(']'); }
  void Key(std::string_view key) {
    Prefix();
    AppendString(key);
    out_->append(": ");
    after_key_ = true;
  }
  void String(std::string_view s) {
    Prefix();
    AppendString(s);
  }
  void Uint(std::uint64_t v) {
    Prefix();
    internal::AppendUint(v, out_);
  }
  void Int(std::int64_t v) {
    Prefix();
    internal::AppendInt(v, out_);
  }
  void Double(double v) {
    Prefix();
    out_->append(nlohmann::json(v).dump());
  }
  void Bool(bool v) {
    Prefix();
    out_->append(v ? "true" : "false");
  }
  void Null() {
    Prefix();
    out_->append("null");
  }
  // A value rendered by another PrettyJson started at this one's depth.
  void Raw(std::string_view json) {
    Prefix();
    out_->append(json);
  }
  void StringOrNull(std::string_view s) {
    if (s.empty()) {
      Null();
    } else {
      String(s);
    }
  }
  void UintOrNull(const std::optional<std::uint64_t>& v) {
    if (v) {
      Uint(*v);
    } else {
      Null();
    }
  }

  int depth() const { return depth_; }

 private:
  // ensure_ascii: every non-ASCII character (and DEL) is a \u escape; a byte that is not
  // UTF-8 becomes \ufffd.
  void AppendString(std::string_view s) {
    out_->append(
        nlohmann::json(std::string(s))
            .dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace));
  }
  void Prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;  // the outermost value
    out_->append(first_.back() ? "\n" : ",\n");
    first_.back() = false;
    out_->append(static_cast<std::size_t>(2 * depth_), ' ');
  }
  void Begin(char bracket) {
    Prefix();
    out_->push_back(bracket);
    first_.push_back(true);
    ++depth_;
  }
  void End(char bracket) {
    --depth_;
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) {
      out_->push_back('\n');
      out_->append(static_cast<std::size_t>(2 * depth_), ' ');
    }
    out_->push_back(bracket);
  }

  std::string* out_;
  int depth_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Renders an event (JSON text) through PrettyJson while it is parsed, and picks up the
// top-level members the export looks at. nlohmann's own parser, as a SAX stream: the
// values it reports are exactly those its DOM parser would hold.
class EventRenderer final : public nlohmann::json_sax<nlohmann::json> {
 public:
  EventRenderer(std::string* out, int depth) : w_(out, depth) {}

  bool root_is_object() const { return root_is_object_; }
  const std::optional<std::string>& customer_id() const { return customer_id_; }
  const std::optional<std::string>& model_ref() const { return model_ref_; }
  const std::optional<std::uint64_t>& tokens_processed() const { return tokens_; }

  bool null() override {
    w_.Null();
    return Scalar();
  }
  bool boolean(bool val) override {
    w_.Bool(val);
    return Scalar();
  }
  bool number_integer(number_integer_t val) override {
    w_.Int(val);
    return Scalar();
  }
  bool number_unsigned(number_unsigned_t val) override {
    w_.Uint(val);
    if (level_ == 1 && key_ == "tokens_processed") tokens_ = val;
    return Scalar();
  }
  bool number_float(number_float_t val, const string_t&) override {
    w_.Double(val);
    return Scalar();
  }
  bool string(string_t& val) override {
    w_.String(val);
    if (level_ == 1 && key_ == "customer_id") customer_id_ = val;
    if (level_ == 1 && key_ == "model_ref") model_ref_ = val;
    return Scalar();
  }
  bool binary(binary_t&) override { return false; }  // not in JSON text
  bool start_object(std::size_t) override {
    if (level_ == 0) root_is_object_ = true;
    ++level_;
    w_.BeginObject();
    return true;
  }
  bool key(string_t& val) override {
    if (level_ == 1) key_ = val;
    w_.Key(val);
    return true;
  }
  bool end_object() override {
    --level_;
    w_.EndObject();
    return true;
  }
  bool start_array(std::size_t) override {
    ++level_;
    w_.BeginArray();
    return true;
  }
  bool end_array() override {
    --level_;
    w_.EndArray();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Scalar() { return true; }

  PrettyJson w_;
  int level_ = 0;
  std::string key_;  // the top-level member being read
  bool root_is_object_ = false;
  std::optional<std::string> customer_id_, model_ref_;
  std::optional<std::uint64_t> tokens_;
};

// The export's statement must be exactly true: every exported record lies in the verified
// run. A time range is verified as one contiguous run of seqs, but after a clock step back
// records of the range can lie outside it (timestamps only increase within a segment): then
// the whole log is verified instead (`*report` replaced, `*whole_log` set). `*unverified`:
// the exported records outside what `*report` verified.
Status VerifyCovering(const std::filesystem::path& dir, Env* env,
                      const std::vector<std::uint64_t>& seqs, VerifyReport* report, bool* whole_log,
                      std::uint64_t* unverified) {
  const auto uncovered = [&](const VerifyReport& v) {
    std::uint64_t n = 0;
    for (const std::uint64_t seq : seqs) {
      n += !v.first_seq || !v.last_seq || seq < *v.first_seq || seq > *v.last_seq;
    }
    return n;
  };
  *unverified = uncovered(*report);
  if (*unverified == 0 || *whole_log) return Status::Ok();
  VerifyOptions options;
  options.env = env;
  AUDITLOG_ASSIGN_OR_RETURN(VerifyReport full, Verify(dir, options));
  *report = std::move(full);
  *whole_log = true;
  *unverified = uncovered(*report);
  return Status::Ok();
}

}  // namespace

Result<GdprExport> BuildGdprExport(const std::filesystem::path& dir,
                                   const GdprExportOptions& options) {
  if (options.customer_id.empty()) {
    return Status::InvalidArgument("export: customer_id must not be empty");
  }
  if (options.since && options.until && *options.since > *options.until) {
    return Status::InvalidArgument("export: since is after until");
  }
  Env* env = options.env ? options.env : Env::Default();

  // 1. Verify the range the export covers (anchored on the record before it).
  VerifyOptions vopts;
  vopts.env = env;
  vopts.since = options.since;
  vopts.until = options.until;
  AUDITLOG_ASSIGN_OR_RETURN(VerifyReport report, Verify(dir, vopts));

  // 2. Collect the customer's records, rendered as the elements of "records" (depth 2).
  Query q;
  q.resource_id = options.customer_id;  // pre-filter; the customer_id member is checked below
  q.start_time = options.since;
  q.end_time = options.until;
  QueryOptions qopts;
  qopts.env = env;
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<QueryCursor> cursor, QueryCursor::Open(dir, q, qopts));
  std::string records_text;
  PrettyJson records(&records_text, 1);
  records.BeginArray();
  std::vector<std::uint64_t> seqs;
  std::map<std::string, std::uint64_t> by_type;
  std::set<std::string> models;
  std::uint64_t inference = 0, tokens = 0, exports = 0, deletions = 0, requests = 0;
  Record r;
  std::string event_text;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(const bool more, cursor->Next(&r));
    if (!more) break;
    event_text.clear();
    EventRenderer event(&event_text, records.depth() + 1);
    if (!nlohmann::json::sax_parse(r.event_json.begin(), r.event_json.end(), &event) ||
        !event.root_is_object()) {
      continue;
    }
    if (event.customer_id() != options.customer_id) continue;
    ++by_type[r.event_type];
    if (r.event_type == "inference_executed") {
      ++inference;
      if (event.tokens_processed()) tokens += *event.tokens_processed();
    }
    if (event.model_ref()) models.insert(*event.model_ref());
    if (r.event_type == "gdpr_data_export") ++exports;
    if (r.event_type == "data_deleted" || r.event_type == "gdpr_right_to_erasure") ++deletions;
    if (r.event_type == "gdpr_data_access_request") ++requests;
    seqs.push_back(r.seq);
    records.BeginObject();
    records.Key("seq");
    records.Uint(r.seq);
    records.Key("audit_id");
    records.String(r.audit_id);
    records.Key("timestamp");
    records.String(r.timestamp);
    records.Key("service_id");
    records.String(r.service_id);
    records.Key("critical");
    records.Bool(r.critical);
    records.Key("event_type");
    records.String(r.event_type);
    records.Key("event");
    records.Raw(event_text);
    records.Key("hash");
    records.String(r.hash);
    records.Key("segment");
    records.String(r.segment);
    records.Key("line_no");
    records.Uint(r.line_no);
    records.Key("line");
    records.String(r.line);
    records.EndObject();
  }
  records.EndArray();

  GdprExport out;
  out.records = seqs.size();
  out.whole_log = !options.since && !options.until;
  AUDITLOG_RETURN_IF_ERROR(
      VerifyCovering(dir, env, seqs, &report, &out.whole_log, &out.unverified_records));
  out.chain_verified = report.intact() && out.unverified_records == 0;

  std::string& doc = out.document;
  doc.reserve(records_text.size() + 4096);
  PrettyJson w(&doc);
  w.BeginObject();
  w.Key("report");
  w.String("gdpr_data_access");
  w.Key("customer_id");
  w.String(options.customer_id);
  w.Key("generated_at");
  w.String(FormatTime(MicrosToTime(env->NowMicros())));
  w.Key("log");
  w.String(dir.string());
  w.Key("range");
  w.BeginObject();
  w.Key("since");
  w.StringOrNull(options.since ? FormatTime(*options.since) : "");
  w.Key("until");
  w.StringOrNull(options.until ? FormatTime(*options.until) : "");
  w.EndObject();
  w.Key("summary");
  w.BeginObject();
  w.Key("records");
  w.Uint(seqs.size());
  w.Key("by_type");
  w.BeginObject();
  for (const auto& [type, n] : by_type) {
    w.Key(type);
    w.Uint(n);
  }
  w.EndObject();
  w.Key("inference_count");
  w.Uint(inference);
  w.Key("tokens_processed");
  w.Uint(tokens);
  w.Key("models_accessed");
  w.BeginArray();
  for (const std::string& m : models) w.String(m);
  w.EndArray();
  w.Key("export_count");
  w.Uint(exports);
  w.Key("deletion_count");
  w.Uint(deletions);
  w.Key("access_requests");
  w.Uint(requests);
  w.EndObject();
  w.Key("records");
  w.Raw(records_text);
  records_text = std::string();  // its memory back before the rest is appended
  const std::string how_to_check =
      std::string(
          "Each record's hash is the SHA-256 of its \"line\" without the final 75 bytes "
          "(docs/FORMAT.md). Re-run ") +
      (out.whole_log ? "`auditlog verify LOG --json`"
                     : "`auditlog verify LOG --since SINCE --until UNTIL --json`") +
      " on the log: it must report the same records_in_range, first_hash, last_hash and "
      "anchor_hash, and every exported hash must appear in that range.";
  w.Key("verification");
  w.BeginObject();
  w.Key("chain_verified");
  w.Bool(out.chain_verified);
  w.Key("scope");
  w.String(out.whole_log ? "log" : "range");
  w.Key("unverified_records");
  w.Uint(out.unverified_records);
  w.Key("tampered");
  w.Bool(report.tampered());
  w.Key("torn_tail");
  w.Bool(report.torn_tail());
  w.Key("records_in_range");
  w.Uint(report.records);
  w.Key("first_seq");
  w.UintOrNull(report.first_seq);
  w.Key("last_seq");
  w.UintOrNull(report.last_seq);
  w.Key("first_timestamp");
  w.StringOrNull(report.first_timestamp);
  w.Key("last_timestamp");
  w.StringOrNull(report.last_timestamp);
  w.Key("first_hash");
  w.StringOrNull(report.first_hash);
  w.Key("last_hash");
  w.StringOrNull(report.last_hash);
  w.Key("anchor_seq");
  w.UintOrNull(report.anchor_seq);
  w.Key("anchor_hash");
  w.StringOrNull(report.anchor_hash);
  w.Key("findings");
  w.BeginArray();
  for (const Finding& f : report.findings) {
    w.BeginObject();
    w.Key("kind");
    w.String(FindingKindName(f.kind));
    w.Key("file");
    w.String(f.file);
    w.Key("line");
    w.Uint(f.line);
    w.Key("seq");
    w.UintOrNull(f.seq);
    w.Key("reason");
    w.String(f.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("how_to_check");
  w.String(how_to_check);
  w.EndObject();
  w.EndObject();
  doc.push_back('\n');
  out.verification = std::move(report);
  return out;
}

}  // namespace auditlog
