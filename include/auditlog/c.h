/* The C API of auditlog: open a log directory, emit events given as JSON, flush, close.
 *
 * A plain C99 header for every language with a C foreign-function interface. Events are
 * the JSON text of a record's "event" member (docs/FORMAT.md §5; the rules of
 * docs/API.md, "Events as JSON"). No C++ exception or type crosses this interface; every
 * function reports failure through its return code and, when `err` is not NULL, a message
 * naming the problem.
 *
 *   auditlog_logger *log = NULL;
 *   auditlog_error err;
 *   if (auditlog_open("/var/lib/audit/billing", "billing", AUDITLOG_FLUSH_HYBRID, &log, &err)
 *       != AUDITLOG_OK) { fprintf(stderr, "%s\n", err.message); return 1; }
 *   uint64_t seq = 0;
 *   const char *ev = "{\"event_type\":\"auth_failure\",\"reason\":\"bad_password\","
 *                    "\"ip\":\"203.0.113.7\"}";
 *   if (auditlog_emit_json(log, ev, strlen(ev), AUDITLOG_EMIT_DURABLE, &seq, &err)
 *       != AUDITLOG_OK) { ... }
 *   auditlog_close(log, &err);
 *
 * Thread-safety: every function but auditlog_close may be called from any number of
 * threads on one logger at once. auditlog_close must be the last call on a logger.
 */
#ifndef AUDITLOG_C_H_
#define AUDITLOG_C_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define AUDITLOG_C_EXPORT __attribute__((visibility("default")))
#else
#define AUDITLOG_C_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The library's status codes (StatusCode in <auditlog/status.h>); the names, lowercased
 * without the prefix ("buffer_full"), are those auditlog_code_name returns. */
typedef enum auditlog_code {
  AUDITLOG_OK = 0,
  AUDITLOG_INVALID_ARGUMENT = 1,
  AUDITLOG_NOT_FOUND = 2,
  AUDITLOG_IO_ERROR = 3,
  AUDITLOG_CORRUPTION = 4,
  AUDITLOG_FAILED_PRECONDITION = 5,
  AUDITLOG_BUFFER_FULL = 6,
  AUDITLOG_DISK_SPACE_LOW = 7,
  AUDITLOG_TIMEOUT = 8
} auditlog_code;

/* The flush modes with their default parameters (docs/API.md, "Flush modes"). */
typedef enum auditlog_flush_mode {
  AUDITLOG_FLUSH_HYBRID = 0, /* routine events every 100 or 1 s; critical ones at once */
  AUDITLOG_FLUSH_IMMEDIATE = 1,
  AUDITLOG_FLUSH_BATCHED = 2 /* every 1000 events or 1 s */
} auditlog_flush_mode;

/* Flags of auditlog_emit_json. */
enum {
  AUDITLOG_EMIT_DURABLE = 1, /* return only once the event is fsync'ed (EmitDurable) */
  AUDITLOG_EMIT_CRITICAL = 2 /* a custom event is critical (built-in types have their own) */
};

/* A failure's code and message. The message is NUL-terminated, cut to fit if longer. */
typedef struct auditlog_error {
  auditlog_code code;
  char message[512];
} auditlog_error;

typedef struct auditlog_logger auditlog_logger; /* opaque */

/* Opens (creating it 0700 if missing) the log directory `dir` for `service_id`
 * ([A-Za-z0-9._-], 1-64 bytes), recovers it, and starts the writer. `flush_mode` is one of
 * auditlog_flush_mode (an int, so that any value a caller passes is well defined and a wrong
 * one is refused). On success *out is the logger; on failure *out is NULL. */
AUDITLOG_C_EXPORT auditlog_code auditlog_open(const char *dir, const char *service_id,
                                              int flush_mode, auditlog_logger **out,
                                              auditlog_error *err);

/* Decodes `json` (`len` bytes, need not be NUL-terminated), validates and emits the
 * event. With AUDITLOG_EMIT_DURABLE it returns once the event is durable. On success
 * *seq (when not NULL) is the event's seq. Hostile strings inside a valid event are
 * neutralized and recorded, never refused. */
AUDITLOG_C_EXPORT auditlog_code auditlog_emit_json(auditlog_logger *logger, const char *json,
                                                   size_t len, int flags, uint64_t *seq,
                                                   auditlog_error *err);

/* Makes every event emitted before the call durable. */
AUDITLOG_C_EXPORT auditlog_code auditlog_flush(auditlog_logger *logger, auditlog_error *err);

/* Drains, fsyncs and closes the log, and frees `logger` (also when it reports an error).
 * NULL is accepted and does nothing. */
AUDITLOG_C_EXPORT auditlog_code auditlog_close(auditlog_logger *logger, auditlog_error *err);

/* "ok", "invalid_argument", ..., "timeout" for the values of auditlog_code; "unknown" for
 * any other int. Static storage. */
AUDITLOG_C_EXPORT const char *auditlog_code_name(int code);

/* The library's version, e.g. "0.1.0". Static storage. */
AUDITLOG_C_EXPORT const char *auditlog_version(void);

#ifdef __cplusplus
}
#endif

#endif /* AUDITLOG_C_H_ */
