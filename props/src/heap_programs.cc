// Generators of heap-program operations and the lockstep harness of the
// property suites (see props.h).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <queue>

#include "gcverify/model.h"
#include "gcverify/props.h"
#include "gcverify/text.h"

namespace gcv::props {
namespace {

rc::Gen<NameIndex> name() { return rc::gen::inRange<NameIndex>(0, kNames); }
rc::Gen<std::uint32_t> slot_index() { return rc::gen::inRange<std::uint32_t>(0, 6); }

}  // namespace

// Payloads over every size class of both geometries (blocks up to 512 bytes),
// either side of the small-object limit, and large ones up to past a pool
// (16 KiB) and near the largest payload.
rc::Gen<std::uint32_t> payload() {
  return rc::gen::weightedOneOf<std::uint32_t>(
      {{4, rc::gen::element<std::uint32_t>(8, 16, 17, 48, 256, 257, 496, 497, 512, 513)},
       {4, rc::gen::inRange<std::uint32_t>(kMinPayload, 641)},
       {1, rc::gen::element<std::uint32_t>(4000, 16384, 40000, kMaxPayload)}});
}
namespace {

rc::Gen<std::uint32_t> threshold() { return rc::gen::element<std::uint32_t>(0, 1, 2, 3, 5, 10, 700); }

// Mostly short shapes; now and then a long one, up to `longest` (chains and
// cycles reach past the trashcan's 50 levels and the list free list's 80).
rc::Gen<std::uint32_t> shape_length(std::uint32_t longest) {
  return rc::gen::weightedOneOf<std::uint32_t>(
      {{6, rc::gen::inRange<std::uint32_t>(1, 6)}, {1, rc::gen::inRange<std::uint32_t>(1, longest + 1)}});
}

bool within(OpCode code, Capabilities capabilities) { return capabilities.contains(needed_capabilities(Op::of(code))); }

void generate_field(Field field, Op& op, Capabilities capabilities);

// A body of 0..4 operations (a finalizer's, or a weakref's callback): rows a
// body may hold that are within `capabilities`, their fields generated as a
// program's are, a name one reads being `self` one time in four.
rc::Gen<std::vector<Op>> body_operations(Capabilities capabilities) {
  std::array<OpCode, kBodyOpCodeCount> rows{};
  std::size_t row_count = 0;
  for (OpCode code : kBodyOpCodes)
    if (within(code, capabilities)) rows[row_count++] = code;
  return rc::gen::exec([rows, row_count, capabilities] {
    std::vector<Op> body(*rc::gen::inRange<std::size_t>(0, 5));
    for (Op& op : body) {
      op.code = rows[*rc::gen::inRange<std::size_t>(0, row_count)];
      for (Field field : operation_info(op.code).fields) {
        if (field == Field::Body) continue;  // bodies do not nest
        if (may_be_self(field) && *rc::gen::inRange(0, 4) == 0) name_operand(op, field) = kSelf;
        else generate_field(field, op, capabilities);
      }
    }
    return body;
  });
}

// Sets `field` of `op` to a generated value; a body within `capabilities`.
void generate_field(Field field, Op& op, Capabilities capabilities) {
  if (is_name_field(field)) {
    name_operand(op, field) = *name();
    return;
  }
  switch (field) {
    case Field::Index:
    case Field::GarbageIndex:
    case Field::SmallIndex: op.index = *slot_index(); break;
    case Field::Size: op.size = *payload(); break;
    case Field::Length: op.count = *shape_length(kLongestShape); break;
    case Field::CliqueSize: op.count = *shape_length(kLargestClique); break;
    case Field::Int: op.value = *rc::gen::element<std::int64_t>(-5, 0, 7, 256, 257, 1000, -6); break;
    case Field::CollectGeneration: op.generation = *rc::gen::inRange(0, 3); break;
    case Field::Thresholds:
      op.arity = static_cast<std::uint8_t>(*rc::gen::inRange(1, 4));
      for (int i = 0; i < op.arity; ++i) op.values[i] = *threshold();
      break;
    case Field::DebugFlag: op.value = *rc::gen::inRange(0, 2); break;
    case Field::Body:  // a weakref has a callback one time in two, when the system runs callbacks
      op.has_body = !operation_info(op.code).optional_body ||
                    (capabilities.has(Capability::WeakrefCallbacks) && *rc::gen::inRange(0, 2) == 1);
      if (op.has_body) op.body = *body_operations(capabilities);
      break;
    default: break;  // a collect's expected result, and the expectations' fields: never generated
  }
}

}  // namespace

Program empty_program() {
  Program program;
  for (NameIndex i = 0; i < kNames; ++i) program.names.push_back(canonical_name(i));
  program.origin = "<rapidcheck>";
  return program;
}

// Each field of the row's form (operations.def) generated as above.
rc::Gen<Op> operation(OpCode code, Capabilities capabilities) {
  return rc::gen::exec([code, capabilities] {
    Op op = Op::of(code);
    for (Field field : operation_info(code).fields) generate_field(field, op, capabilities);
    return op;
  });
}

// Each operation within the capabilities as often as its row's weight in
// operations.def says. The kind is drawn as a ticket among their weights, so
// it shrinks towards the first rows (a new list); with every capability the
// tickets are all the rows', as they always were.
rc::Gen<Op> any_operation(Capabilities capabilities) {
  std::array<std::uint8_t, kOpCodeCount> weights{};  // each row's, 0 outside the capabilities
  std::size_t tickets = 0;
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    if (within(static_cast<OpCode>(c), capabilities)) tickets += weights[c] = kOperations[c].weight;
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, tickets), [weights, capabilities](std::size_t ticket) {
    std::size_t c = 0;
    while (ticket >= weights[c]) ticket -= weights[c++];
    return operation(static_cast<OpCode>(c), capabilities);
  });
}

rc::Gen<std::vector<Op>> any_program(Capabilities capabilities) {
  return rc::gen::container<std::vector<Op>>(any_operation(capabilities));
}

namespace {

RunOptions lockstep_options(bool compare) {
  RunOptions options;
  options.strict = false;
  options.check_expectations = false;
  options.check = compare ? CheckLevel::Changed : CheckLevel::Fast;  // Fast: one batch of events per operation
  options.compare = compare;
  options.cpython = props_profile().version;
  return options;
}

}  // namespace

const Profile& props_profile() {
  static const Profile& chosen = [] () -> const Profile& {
    const char* name = std::getenv("GCV_CPYTHON");
    if (name == nullptr || *name == '\0') return profile();
    const Profile* p = profile_named(name);
    if (p == nullptr) {
      std::fprintf(stderr, "GCV_CPYTHON: no CPython version '%s' (there are %s)\n", name, profile_names().c_str());
      std::exit(2);
    }
    return *p;
  }();
  return chosen;
}

LockstepRun::LockstepRun(std::unique_ptr<Machine> sut, bool compare)
    : program_(empty_program()),
      model_(make_reference_model(props_profile(), sut->capabilities())),
      sut_(std::move(sut)),
      session_(program_, *model_, *sut_, lockstep_options(compare)) {}

void LockstepRun::fail_if_diverged() {
  const RunResult& result = session_.result();
  if (result.outcome != Outcome::Pass)
    RC_FAIL(result.report.to_string(program_, std::string(sut_->name())) + "the program as it ran:\n" +
            print_text(result.reproducer()));
}

void LockstepRun::run(const Op& op) {
  program_.ops.push_back(op);
  session_.run_pending();
  fail_if_diverged();
}

void LockstepRun::finish() {
  session_.finish();
  fail_if_diverged();
}

std::set<ObjectKey> live_keys(Machine& machine) {
  std::vector<ObjectState> states;
  machine.objects(states);
  std::set<ObjectKey> keys;
  for (const ObjectState& s : states)
    if (s.key.is_serial()) keys.insert(s.key);
  return keys;
}

std::set<ObjectKey> reachable(Machine& model) {
  std::set<ObjectKey> seen;
  std::queue<ObjectKey> pending;
  auto visit = [&](ObjectKey key) {
    if (key.is_serial() && seen.insert(key).second) pending.push(key);
  };
  for (NameIndex n = 0; n < kNames; ++n)
    if (const auto key = model.binding(n)) visit(*key);
  ObjectState state;
  while (!pending.empty()) {
    const ObjectKey key = pending.front();
    pending.pop();
    if (model.read_object(key, state))
      for (ObjectKey item : state.slots) visit(item);
  }
  return seen;
}

std::set<ObjectKey> live_after(const std::vector<Op>& ops, const std::vector<Op>& tail, const SutFactory& make_sut) {
  LockstepRun run(make_sut(), /*compare=*/false);
  for (const Op& op : ops) run.run(op);
  for (const Op& op : tail) run.run(op);
  return live_keys(run.sut());
}

}  // namespace gcv::props

namespace gcv {

void showValue(const Op& op, std::ostream& os) {
  static const Program names = props::empty_program();
  os << format_op(names, op);
}
void showValue(const ObjectKey& key, std::ostream& os) { os << key.to_string(); }
void showValue(const ObjectState& state, std::ostream& os) { os << to_string(state); }
void showValue(const GcStats& s, std::ostream& os) {
  os << "{collections " << s.collections << ", collected " << s.collected << ", uncollectable " << s.uncollectable << "}";
}

}  // namespace gcv
