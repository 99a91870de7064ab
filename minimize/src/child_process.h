// Running work in a child process (fork), so that a crash of the work (a
// sanitizer's report, a signal, a hang) is something the parent observes and
// describes rather than the end of the parent: what libFuzzer's
// -minimize_crash does for each step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace gcv::minimize_internal {

// What the child can tell the parent while it works: a number the parent
// reads if the child dies (where it had got to).
class ChildProgress {
 public:
  explicit ChildProgress(volatile std::uint64_t* cell) : cell_(cell) {}
  void set(std::uint64_t value) { *cell_ = value; }

 private:
  volatile std::uint64_t* cell_;
};

struct ChildOutcome {
  bool finished = false;       // the work returned: `message` is what it returned
  std::string message;
  std::string crash_kind;      // otherwise: "heap-use-after-free", "SIGSEGV", "timeout", ...
  std::string crash_report;    // the lines of the child's stderr that tell the crash
  std::uint64_t progress = 0;  // the last value the child set
};

// Runs `work` in a child process with its stderr captured, and waits for it
// (at most `timeout_seconds`). The child ends with _exit, so nothing of the
// parent's (buffers, atexit handlers, LeakSanitizer) runs twice.
ChildOutcome run_in_child(const std::function<std::string(ChildProgress&)>& work, double timeout_seconds);

// The kind of crash a sanitizer's report (or, without one, the wait status)
// describes, without addresses or numbers: "heap-use-after-free",
// "undefined behavior: load of misaligned address", "SIGSEGV".
std::string crash_kind(const std::string& stderr_text, int wait_status, bool timed_out);

}  // namespace gcv::minimize_internal
