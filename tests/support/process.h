// A child process owned by a test: started from argv, stopped by its PID when the owner goes
// out of scope (SIGTERM, then SIGKILL after a bounded grace period). Output (stdout and
// stderr together) goes to a log file so a failing test can print it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace laneway::test {

class Process {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0] is the program (PATH searched)
    std::map<std::string, std::string> env;  // added to (or overriding) the inherited env
    std::string log_path;                    // empty: a file in /tmp chosen for you
    std::string working_dir;                 // empty: inherit
  };

  // Starts the process. On failure returns std::nullopt and writes the reason to `error`.
  static std::optional<Process> start(const Options& options, std::string* error = nullptr);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the child has not exited (reaps it if it has).
  bool running();
  // Sends `signal` to the child.
  void signal(int signal);
  // Waits up to `timeout` for the child to exit; returns its wait status, or nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the wait status. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // Everything the child printed so far.
  std::string output() const;

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Runs argv to completion (bounded by `timeout`, then killed). Returns the exit code (or
// -1 on failure to start or a timeout / signal) and fills `output` with stdout+stderr.
int run_command(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(60000),
                const std::map<std::string, std::string>& env = {});

}  // namespace laneway::test
