// The umbrella header: everything a service or a tool needs from auditlog.
#pragma once

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "auditlog/event_json.h"
#include "auditlog/events.h"
#include "auditlog/format_table.h"
#include "auditlog/gdpr_export.h"
#include "auditlog/logger.h"
#include "auditlog/query.h"
#include "auditlog/retention.h"
#include "auditlog/seal.h"
#include "auditlog/stats.h"
#include "auditlog/status.h"
#include "auditlog/tail.h"
#include "auditlog/value.h"
#include "auditlog/verify.h"
#include "auditlog/version.h"
