// The lockstep executor: runs one heap program on the reference model and on a
// system under test, and compares them after every operation.
//
// Each operation is first resolved against the model's state: in strict mode
// (hand-written programs) an unbound name, a name of the wrong kind or a slot
// index out of range is a program error; in lenient mode (generated programs)
// such operands are resolved modulo what exists (an unbound name becomes the
// (i mod n)-th bound name, an index i the (i mod length)-th slot) and an
// operation with nothing to act on is skipped. Shape macros are expanded into
// primitive steps over three scratch names the program cannot see.
//
// After each step the executor compares, in this order: the result of a
// collection, the events (collections and, within and between them, the set of
// objects freed), the collector's state (counts, thresholds, enabled, stats,
// freeze count), the name bindings, and the live objects (kind, refcount,
// generation, slots, payload size, int value, integrity of its serial stamp):
// by default those that either machine changed in the step
// (Machine::take_changed), which is every object whose state can differ once
// the machines agreed before the step; exhaustively, every live object.
// Only what both machines observe is compared (Machine::capabilities(): a
// system under test such as CPython may be unable to report small ints'
// refcounts, containers' payloads or the list free list; one without
// generations has no counts or thresholds to compare); the rest is left out of
// every comparison. The first difference stops the run with a Report.
// Expectations written in the program are checked against the model.
//
// Out of memory. A program's `# fail:` line (Program::memory_failures) is
// handed to the system under test after its reset (Machine::fail_memory);
// `# fail: operation N` as "from request 1" before operation N and "none"
// after it.
// Each step runs on the system under test first: a MemoryError there (a step
// that needs memory throwing std::bad_alloc) is accepted, and the model does
// not run the step; from a step that needs no memory it is a divergence
// (CheckKind::MemoryError). The body operations it skipped for MemoryError
// the model skips too. RunResult::memory_errors lists them all, and a report
// repeats them. A strict run goes on leniently after its first MemoryError,
// as the operations after it may read what it left unbound.
//
// A program runs only within the system under test's capabilities: in strict
// mode, a program with an operation that needs more is not run at all
// (Outcome::NotApplicable, naming the operation and the capability); in
// lenient mode such operations are skipped, as operations with nothing to act
// on are. Without generations, `collect g` runs as `collect` (full). The model
// must be made for the system's capabilities (make_reference_model): a pair
// whose capabilities differ where the model's rules do is refused with
// std::invalid_argument.
//
// At the end the executor tears both machines down in lockstep (unfreeze, drop
// every name in the order of the objects bound to them, oldest first, names
// of one object by spelling, collect) and asks each machine whether anything
// is left. Nothing a run does depends on how its names are numbered once its
// operands are resolved, so a resolved program printed with its names
// renumbered (a reproducer) runs the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcverify/machine.h"
#include "gcverify/profile.h"
#include "gcverify/program.h"

namespace gcv {

// How much the executor compares, and how often. Changed finds what
// Exhaustive finds, at the same step and with the same report, as long as
// the machines' take_changed() is complete (tests/executor/check_levels_test
// holds the two to that over the corpus and generated programs); it costs what
// a step changed instead of what is alive. Fast compares once per operation
// instead of once per primitive step: a divergence that a later step of the
// same shape hides goes unseen, and a report names the operation only.
enum class CheckLevel : std::uint8_t {
  Changed,     // after every step, the objects either machine changed (the default)
  Exhaustive,  // after every step, every live object
  Fast,        // after every operation, the objects either machine changed in it
};
// "changed", "exhaustive", "fast"; check_level_named is its inverse.
const char* to_string(CheckLevel level);
std::optional<CheckLevel> check_level_named(std::string_view name);

// How far a run has got, for progress lines.
struct RunProgress {
  std::size_t op_index = 0;      // the operation running (0-based) ...
  std::size_t ops = 0;           // ... of this many
  std::size_t steps_run = 0;
  std::size_t live_objects = 0;  // allocated objects alive in the model
  double seconds = 0;            // since the run started
};

// What a run did, for `gcverify run --trace`: each operation as it runs
// (resolved; "teardown" for the teardown), then after each of its steps
// (once per operation with CheckLevel::Fast) the events the system under
// test reported, in order: collections with their generation and result,
// frees, finalizers, callbacks, and collections nested in user code.
// A MemoryError entry says what failed, in RunResult::memory_errors' words.
struct TraceEntry {
  enum class Kind : std::uint8_t { Operation, Events, MemoryError } kind = Kind::Operation;
  std::size_t op_index = 0;                 // Program::ops index; ops.size() for the teardown
  std::string text;                         // Operation: the operation as it runs; MemoryError: what failed
  const std::vector<Event>* events = nullptr;  // Events: the system under test's
};

struct RunOptions {
  bool strict = true;               // false: resolve operands modulo what exists
  bool check_expectations = true;   // false: Expect* operations (and `collect -> n`'s
                                    // n) are skipped, and left out of RunResult::resolved
  CheckLevel check = CheckLevel::Changed;
  bool teardown = true;             // tear down and check that nothing is left
  bool compare = true;              // false: step both machines in lockstep without
                                    // comparing them (the caller checks what it wants)
  std::size_t max_steps = 0;        // >0: stop before an operation that would take the
                                    // primitive steps run past this many (a fuzzer's budget);
                                    // lenient runs shorten a shape to fit (see within_budget)
  double max_seconds = 0;           // >0: stop once the run has taken this long, where it
                                    // is (RunResult::out_of_time), without a teardown
  // Called every kProgressSteps primitive steps with how far the run has got.
  std::function<void(const RunProgress&)> progress = nullptr;
  // Called as each operation runs and with each step's events (TraceEntry).
  std::function<void(const TraceEntry&)> trace = nullptr;
  // The CPython version whose rules the model follows (profile.h): runners
  // that make their own model make it with this profile.
  CPythonVersion cpython = kDefaultCPythonVersion;
  static constexpr std::size_t kProgressSteps = 1 << 16;
};

// How the differential fuzz target runs its inputs, and so how `gcverify
// replay` reruns them: lenient, expectations ignored, CheckLevel::Fast, with
// a budget of primitive steps. The budget bounds an input's cost: a long shape
// under threshold 0 or 1 collects on every allocation, and the model's
// collections cost the whole heap, so cost grows with the square of the
// program.
RunOptions differential_fuzz_options();

enum class Outcome : std::uint8_t {
  Pass,
  Divergence,         // the system under test disagreed with the model
  ExpectationFailed,  // the program's own expectation does not hold on the model
  ProgramError,       // strict mode: an operation cannot run (unbound name, ...)
  NotApplicable,      // strict mode: an operation needs a capability the system
                      // under test does not declare; nothing of the program ran
  Crash,              // the process running the program died (a sanitizer's
                      // report, a signal): never returned by the executor, only
                      // by runners that run a program in a child process
};
const char* to_string(Outcome outcome);

// The kind of check that failed: what went wrong (a leak, a wrong refcount),
// never where or at which object. Declared once, in check_kinds.def.
enum class CheckKind : std::uint8_t {
#define GCV_CHECK_KIND(id, words) id,
#include "gcverify/check_kinds.def"
#undef GCV_CHECK_KIND
};
const char* to_string(CheckKind kind);  // the words: "premature free"

// What a failure is, for telling failures apart and for keeping a failure
// while reducing it: the outcome, the kind of check, and for an expectation
// its keyword ("expect refcount") or for a crash the sanitizer's error kind
// ("heap-use-after-free", "SIGSEGV"). Never a name, a serial, a number or the
// operation that happened to show it: one bug found through `del a`, `a =
// str` or `a[0] = a` has one signature.
struct Signature {
  Outcome outcome = Outcome::Pass;
  CheckKind kind = CheckKind::Crash;
  std::string detail;
  // "divergence: leak", "expectation failed: expect refcount", "crash: SIGSEGV".
  std::string to_string() const;
  friend bool operator==(const Signature&, const Signature&) = default;
};

struct Report {
  Outcome outcome = Outcome::Pass;
  std::size_t op_index = 0;         // index into Program::ops; ops.size() for teardown
  std::string op_text;              // the operation as text (resolved), or "teardown"
  SourceLocation where;
  std::string step;                 // the primitive step, for expanded macros
  CheckKind kind = CheckKind::Crash;  // the kind of check that failed
  std::string check;                // that check in words: "object #3 refcount", ...
  std::string expectation;          // ExpectationFailed: the expectation's keyword
  std::string expected;             // what the model predicts (or the expectation)
  std::string actual;               // what the system under test did
  std::vector<ObjectKey> objects;   // the objects involved
  std::vector<std::string> memory_errors;  // the run's MemoryErrors up to the failure (RunResult's)

  // Multi-line human-readable report, naming the program's origin, the line
  // and the operation's number (1-based, as a person counts the program's
  // operations), and ending in the signature.
  std::string to_string(const Program& program, const std::string& sut_name) const;
  // For Outcome::NotApplicable, why, as to_string's first line says it after
  // the origin: "not applicable to minheap: operation 2 (w = weakref a) needs weakrefs".
  std::string not_applicable_reason(const std::string& sut_name) const;
  Signature signature() const;
};

struct RunResult {
  Outcome outcome = Outcome::Pass;
  Report report;                    // meaningful unless outcome == Pass
  Program resolved;                 // the operations as actually run, the program's names
  // The resolved program with only the names it uses, numbered by first use:
  // the same run, ready to print or save as a .heap reproducer.
  Program reproducer() const;
  std::size_t ops_run = 0;          // operations executed (skipped ones excluded)
  std::size_t steps_run = 0;        // primitive steps executed
  std::size_t collections = 0;      // collections observed (automatic and explicit)
  // The MemoryErrors the system under test reported, as the model followed
  // them: "MemoryError at operation 3 (b = list): not run", "MemoryError at
  // operation 5 (del a): operation 2 of the finalizer of #4 skipped".
  std::vector<std::string> memory_errors;
  bool truncated = false;           // max_steps stopped the run before operation report.op_index,
                                    // or max_seconds inside it
  bool out_of_time = false;         // max_seconds did
};

// Runs programs in lockstep. It keeps its working storage from one run to the
// next, so a fuzz target that reuses one Executor does not allocate per run
// once its buffers have grown.
class Executor {
 public:
  Executor();
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  RunResult run(const Program& program, Machine& model, Machine& sut, const RunOptions& options);

  struct Buffers;  // executor.cc

 private:
  std::unique_ptr<Buffers> buffers_;
};

// One run with a fresh Executor.
RunResult run_lockstep(const Program& program, Machine& model, Machine& sut, const RunOptions& options);

// A lockstep run driven one batch of operations at a time, for clients that
// build the program as they go (RapidCheck's stateful tests): the same
// resolution, steps and comparisons as Executor::run. The constructor resets
// both machines; `program` must outlive the session, and operations may be
// appended to it between calls (its names are fixed at construction).
class LockstepSession {
 public:
  LockstepSession(const Program& program, Machine& model, Machine& sut, const RunOptions& options);
  ~LockstepSession();
  LockstepSession(const LockstepSession&) = delete;
  LockstepSession& operator=(const LockstepSession&) = delete;

  // Runs the operations appended since the last call; the outcome so far.
  Outcome run_pending();
  // What each machine reported during the last operation run (with
  // CheckLevel::Changed or Exhaustive, during its last step).
  const std::vector<Event>& model_events() const;
  const std::vector<Event>& sut_events() const;
  // The lockstep teardown, when options.teardown; the final outcome.
  Outcome finish();
  const RunResult& result() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the executor compares of an object's state and of the collector's for
// machines that declare `capabilities` (the two machines' in common): the
// rest blanked. A container's payload without container_payload, a small
// int's refcount without small_int_refcounts, the generation reduced to
// tracked (0) or untracked without generations; the counts, thresholds and
// isenabled() without generations, the freeze count without freeze, the list
// free list without list_free_list. `part` is assigned, reusing its storage.
void observed_part(const ObjectState& state, Capabilities capabilities, ObjectState& part);
CollectorState observed_part(CollectorState state, Capabilities capabilities);

// The expectations that hold for `machine` now, as operations of `program`
// (whose first `program.names.size()` names the machine binds): expect
// count, threshold, freeze_count, live and garbage; for every name, what it
// is (`expect a is #3`, `expect a is unbound`), and when it is bound to an
// allocated object, expect alive, refcount, finalized or not_finalized,
// generation when the object is tracked, its first slot's object and a
// weakref's referent (`expect a[0] is #4`, `expect w() is none`); only those
// within the machine's capabilities. Appended to a program that has
// run this far in a LockstepSession, they pass on the model: a reproducer
// that pins its end state, and a check of the expectation checks themselves.
std::vector<Op> expectations_now(const Program& program, Machine& machine);

}  // namespace gcv
