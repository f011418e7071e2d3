/* The C API from C: compiled as C99 with -Wall -Wextra -Wpedantic -Werror (tests/CMakeLists).
 * Usage: c_api_test CLI WORK_DIR — writes a log in a fresh directory under WORK_DIR, checks
 * every entry point's results and errors, then has the `auditlog` tool (CLI) verify the log
 * and find the records. Exit 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include <auditlog/c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static auditlog_code Emit(auditlog_logger *log, const char *json, int flags, uint64_t *seq,
                          auditlog_error *err) {
  return auditlog_emit_json(log, json, strlen(json), flags, seq, err);
}

/* Runs `command`; returns its exit status (or -1). */
static int Run(const char *command) {
  int rc = system(command);
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_api_test CLI WORK_DIR\n");
    return 2;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/log-XXXXXX", argv[2]);
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }

  auditlog_error err;
  auditlog_logger *log = NULL;
  CHECK(auditlog_open(dir, "c-client", AUDITLOG_FLUSH_HYBRID, &log, &err) == AUDITLOG_OK);
  CHECK(log != NULL);
  if (log == NULL) return 1;

  uint64_t seq = 0;
  CHECK(Emit(log,
             "{\"event_type\":\"auth_failure\",\"reason\":\"bad_password\","
             "\"ip\":\"203.0.113.7\",\"path\":\"/login\"}",
             0, &seq, &err) == AUDITLOG_OK);
  CHECK(seq == 1);
  CHECK(Emit(log, "{\"event_type\":\"door_opened\",\"door\":\"north\",\"floor\":-1}",
             AUDITLOG_EMIT_DURABLE | AUDITLOG_EMIT_CRITICAL, &seq, &err) == AUDITLOG_OK);
  CHECK(seq == 2);
  /* A hostile string is neutralized and recorded, not refused. */
  CHECK(Emit(log,
             "{\"event_type\":\"auth_failure\",\"reason\":\"x\\u001b[2Jy\","
             "\"ip\":\"203.0.113.8\"}",
             AUDITLOG_EMIT_DURABLE, &seq, &err) == AUDITLOG_OK);
  CHECK(seq == 3);
  /* JSON need not be NUL-terminated: only `len` bytes are read. */
  const char *padded = "{\"event_type\":\"door_opened\",\"door\":\"south\"}GARBAGE";
  CHECK(auditlog_emit_json(log, padded, strlen(padded) - 7, 0, &seq, &err) == AUDITLOG_OK);
  CHECK(seq == 4);

  /* Errors: a code, and a message that names the problem. */
  CHECK(Emit(log, "{\"event_type\":\"auth_failure\"", 0, &seq, &err) == AUDITLOG_INVALID_ARGUMENT);
  CHECK(err.code == AUDITLOG_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "event: not valid JSON") != NULL);
  CHECK(Emit(log, "{\"event_type\":\"auth_failure\",\"ip\":\"203.0.113.7\"}", 0, &seq, &err) ==
        AUDITLOG_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "reason") != NULL); /* required but empty */
  CHECK(Emit(log, "{\"event_type\":\"auth_failure\",\"colour\":1}", 0, &seq, &err) ==
        AUDITLOG_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "event.colour: is not a field of auth_failure") != NULL);
  CHECK(Emit(log, "{\"event_type\":\"door_opened\"}", 8, &seq, &err) == AUDITLOG_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "flags") != NULL);
  CHECK(auditlog_emit_json(NULL, "{}", 2, 0, &seq, &err) == AUDITLOG_INVALID_ARGUMENT);
  CHECK(auditlog_emit_json(log, NULL, 5, 0, &seq, &err) == AUDITLOG_INVALID_ARGUMENT);
  CHECK(auditlog_emit_json(log, "{\"event_type\":\"x\"}", 18, 0, &seq, NULL) == AUDITLOG_OK);
  CHECK(seq == 5);

  CHECK(auditlog_flush(log, &err) == AUDITLOG_OK);
  CHECK(auditlog_close(log, &err) == AUDITLOG_OK);
  CHECK(auditlog_close(NULL, &err) == AUDITLOG_OK);

  /* A second logger on the directory is refused while the first holds it; after
   * close the log reopens and the chain continues. */
  auditlog_logger *again = NULL;
  CHECK(auditlog_open(dir, "c-client", AUDITLOG_FLUSH_IMMEDIATE, &again, &err) == AUDITLOG_OK);
  auditlog_logger *second = NULL;
  CHECK(auditlog_open(dir, "c-client", AUDITLOG_FLUSH_BATCHED, &second, &err) ==
        AUDITLOG_FAILED_PRECONDITION);
  CHECK(second == NULL);
  CHECK(Emit(again, "{\"event_type\":\"door_opened\",\"door\":\"west\"}", AUDITLOG_EMIT_DURABLE,
             &seq, &err) == AUDITLOG_OK);
  CHECK(seq == 6);
  CHECK(auditlog_close(again, &err) == AUDITLOG_OK);

  CHECK(auditlog_open(dir, "bad id!", AUDITLOG_FLUSH_HYBRID, &second, &err) ==
        AUDITLOG_INVALID_ARGUMENT);
  CHECK(strstr(err.message, "service_id") != NULL);
  CHECK(auditlog_open(dir, "c-client", 9, &second, &err) == AUDITLOG_INVALID_ARGUMENT);
  CHECK(strcmp(auditlog_code_name(AUDITLOG_BUFFER_FULL), "buffer_full") == 0);
  CHECK(strcmp(auditlog_code_name(99), "unknown") == 0);
  CHECK(strlen(auditlog_version()) > 0);

  /* The tool agrees: the log verifies, and the records are there. */
  char command[9000];
  snprintf(command, sizeof command, "'%s' verify '%s' > /dev/null", argv[1], dir);
  CHECK(Run(command) == 0);
  snprintf(command, sizeof command, "test \"$('%s' query '%s' --type door_opened | wc -l)\" = 3",
           argv[1], dir);
  CHECK(Run(command) == 0);
  snprintf(command, sizeof command, "'%s' query '%s' --type auth_failure | grep -q '\"sanitized\"'",
           argv[1], dir);
  CHECK(Run(command) == 0);

  if (failures == 0) printf("c_api_test: all checks passed (%s)\n", dir);
  return failures == 0 ? 0 : 1;
}
