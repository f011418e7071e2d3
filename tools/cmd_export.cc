// placeholder, replaced below
#include "commands.h"
namespace auditlog::cli {
void AddExportCommand(CLI::App&, int*) {}
}
