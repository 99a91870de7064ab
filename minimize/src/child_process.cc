// Work in a child process: see child_process.h.
#include "child_process.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

// Under clang's source-based coverage the profile runtime writes its counts
// at exit, which _exit skips: a child that finished writes them itself.
extern "C" __attribute__((weak)) int __llvm_profile_write_file(void);

namespace gcv::minimize_internal {
namespace {

// A file descriptor closed when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

std::string read_all(int fd) {
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) bytes.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  return bytes;
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) done += static_cast<std::size_t>(n);
    else if (errno != EINTR) return;
  }
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTRAP: return "SIGTRAP";
    default: return nullptr;
  }
}

// The words of `text` up to the first that carries an address, a number or a
// quotation, and up to a colon: the kind of a report, without its particulars.
std::string leading_words(const std::string& text) {
  std::istringstream in(text);
  std::string word, words;
  while (in >> word) {
    const bool particular = std::any_of(word.begin(), word.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '\'' || c == '"' || c == '(';
    });
    if (particular || word == "on" || word == "in" || word == "at") break;
    const bool ends_clause = word.back() == ':';
    if (ends_clause) word.pop_back();
    words += (words.empty() ? "" : " ") + word;
    if (ends_clause) break;
  }
  return words;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The part of the child's stderr that tells the crash: from the sanitizer's
// first line on (at most 60 lines), else its last 20 lines.
std::string report_lines(const std::string& stderr_text) {
  const std::vector<std::string> lines = lines_of(stderr_text);
  std::size_t first = lines.size() > 20 ? lines.size() - 20 : 0, last = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("ERROR: ") != std::string::npos || lines[i].find("runtime error: ") != std::string::npos) {
      first = i;
      last = std::min(lines.size(), i + 60);
      break;
    }
  }
  std::string report;
  for (std::size_t i = first; i < last; ++i) report += lines[i] + "\n";
  return report;
}

}  // namespace

std::string crash_kind(const std::string& stderr_text, int wait_status, bool timed_out) {
  if (timed_out) return "timeout";
  for (const std::string& line : lines_of(stderr_text)) {
    if (const auto at = line.find("ERROR: LeakSanitizer:"); at != std::string::npos) return "memory leak";
    for (const char* tool : {"AddressSanitizer: ", "MemorySanitizer: ", "ThreadSanitizer: ", "UndefinedBehaviorSanitizer: "}) {
      const auto at = line.find(std::string("ERROR: ") + tool);
      if (at == std::string::npos) continue;
      const std::string kind = leading_words(line.substr(at + 7 + std::strlen(tool)));
      if (!kind.empty()) return kind;
    }
    if (const auto at = line.find("runtime error: "); at != std::string::npos)
      return "undefined behavior: " + leading_words(line.substr(at + 15));
  }
  if (WIFSIGNALED(wait_status)) {
    const char* name = signal_name(WTERMSIG(wait_status));
    return name != nullptr ? name : "signal " + std::to_string(WTERMSIG(wait_status));
  }
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  return "died";
}

ChildOutcome run_in_child(const std::function<std::string(ChildProgress&)>& work, double timeout_seconds) {
  ChildOutcome outcome;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    outcome.crash_kind = "cannot start a child process";
    outcome.crash_report = std::string("pipe: ") + std::strerror(errno) + "\n";
    return outcome;
  }
  Fd message_in(pipe_fds[0]), message_out(pipe_fds[1]);
  Fd errors(memfd_create("gcverify-child-stderr", MFD_CLOEXEC));
  void* shared = mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (errors.fd < 0 || shared == MAP_FAILED) {
    outcome.crash_kind = "cannot start a child process";
    outcome.crash_report = std::string("memfd_create or mmap: ") + std::strerror(errno) + "\n";
    if (shared != MAP_FAILED) munmap(shared, sizeof(std::uint64_t));
    return outcome;
  }
  auto* cell = static_cast<volatile std::uint64_t*>(shared);
  *cell = 0;
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(errors.fd, STDERR_FILENO);
    message_in.reset();
    alarm(static_cast<unsigned>(std::ceil(timeout_seconds)));
    ChildProgress progress(cell);
    std::string message;
    try {
      message = work(progress);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gcverify: uncaught exception in the child: %s\n", e.what());
      std::fflush(stderr);
      _exit(70);
    }
    write_all(message_out.fd, message);
    if (__llvm_profile_write_file != nullptr) __llvm_profile_write_file();
    _exit(0);
  }
  message_out.reset();
  if (pid < 0) {
    outcome.crash_kind = "cannot start a child process";
    outcome.crash_report = std::string("fork: ") + std::strerror(errno) + "\n";
    munmap(shared, sizeof(std::uint64_t));
    return outcome;
  }
  std::string message = read_all(message_in.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.progress = *cell;
  munmap(shared, sizeof(std::uint64_t));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.finished = true;
    outcome.message = std::move(message);
    return outcome;
  }
  lseek(errors.fd, 0, SEEK_SET);
  const std::string stderr_text = read_all(errors.fd);
  const bool timed_out = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
  outcome.crash_kind = crash_kind(stderr_text, status, timed_out);
  outcome.crash_report = report_lines(stderr_text);
  return outcome;
}

}  // namespace gcv::minimize_internal
