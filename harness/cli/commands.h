// The effbench subcommands. Each takes its arguments (after the command name)
// and returns the process exit code: 0 ok, 1 error, 2 usage. Results go to
// `out`, diagnostics and progress to `err`.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace effbench {
class Status;
struct CommandSpec;
}  // namespace effbench

namespace effbench::machine {
struct Calibration;
}  // namespace effbench::machine

namespace effbench::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRegression = 3;  // compare / regressions: a confirmed regression

int CalibrateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int WorkloadsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int MachinesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ReportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int HistoryCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ServeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int SubmitCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RegressionsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ExecCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CompareCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int ChangepointsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int JobsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int AgentsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int TokenCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The one path of errors, for every command:
// "effbench COMMAND: PROBLEM" and a pointer to `effbench COMMAND --help`;
// returns kExitUsage.
int UsageError(std::ostream& err, const std::string& problem, const CommandSpec& command);
// "effbench COMMAND: MESSAGE"; returns kExitUsage for InvalidArgument (a
// wrong flag value, an ambiguous id), else kExitError.
int CommandError(std::ostream& err, const Status& s, const CommandSpec& command);
// "effbench COMMAND: MESSAGE"; returns kExitError whatever the code (a
// failure after the command's input was accepted: a store, a calibration).
int Failure(std::ostream& err, const Status& s, const CommandSpec& command);

// Dispatches `effbench <command> ...`; prints usage for none or an unknown one.
// The peaks of a calibration, their spread and its quality, indented lines.
void PrintCalibration(const machine::Calibration& cal, std::ostream& out);

int Main(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace effbench::cli
