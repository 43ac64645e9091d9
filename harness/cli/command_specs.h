// What each effbench command takes, declared once (core/flags.h): the
// parser reads these, and `effbench COMMAND --help`, the top-level usage
// and the README's command reference (`effbench help --markdown`, checked
// by a test) are printed from them.
#pragma once

#include <string>
#include <vector>

#include "core/flags.h"

namespace effbench::cli {

extern const CommandSpec kRunCommand;
extern const CommandSpec kRunsCommand;
extern const CommandSpec kCalibrateCommand;
extern const CommandSpec kWorkloadsCommand;
extern const CommandSpec kMachinesCommand;
extern const CommandSpec kReportCommand;
extern const CommandSpec kHistoryCommand;
extern const CommandSpec kServeCommand;
extern const CommandSpec kSubmitCommand;
extern const CommandSpec kJobsCommand;
extern const CommandSpec kAgentsCommand;
extern const CommandSpec kTokenCommand;
extern const CommandSpec kCompareCommand;
extern const CommandSpec kRegressionsCommand;
extern const CommandSpec kImportCommand;
extern const CommandSpec kExecCommand;
extern const CommandSpec kDbCommand;
extern const CommandSpec kChangepointsCommand;

// Every command, in the order the usage lists them.
const std::vector<const CommandSpec*>& AllCommands();

// The exit codes every command shares.
inline constexpr char kExitCodes[] =
    "0 ok, 1 error, 2 usage, 3 a confirmed regression (compare, regressions)";

// `effbench` alone or `effbench help`: each command and what it does.
std::string TopLevelUsage();

// The README's command reference: every command's section, in order.
std::string CommandReference();

}  // namespace effbench::cli
