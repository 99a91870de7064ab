// Operand resolution: turns an operation into one that can run, using the
// model's view of the names and containers.
//
// Strict mode rejects what Python would reject (NameError, a non-list where a
// list is needed, IndexError). Lenient mode makes every operation total, which
// is what lets every byte string be a program: a name operand that is unbound
// (or not a list where a list is needed) becomes the (i mod n)-th of the n
// candidates, a slot index i becomes i mod length, and an operation with no
// candidate at all is skipped.
#include <string>

#include "executor_internal.h"

namespace gcv {
namespace {

bool satisfies(ObjectKind kind, Need need) {
  switch (need) {
    case Need::Nothing:
    case Need::AnyObject: return true;
    case Need::List: return kind == ObjectKind::Container;
    case Need::Weakref: return kind == ObjectKind::Weakref;
  }
  return false;
}

const char* needed(Need need) { return need == Need::Weakref ? "a weakref" : "a list"; }

class Resolver {
 public:
  Resolver(const Program& program, Machine& model, bool strict, ObjectState& scratch)
      : program_(program), model_(model), strict_(strict), scratch_(scratch) {}

  bool suits(NameIndex name, Need need) {
    const auto key = model_.binding(name);
    return key && satisfies(kind(*key), need);
  }

  // Resolves the name operand `n`; false when the operation cannot run.
  bool name(NameIndex& n, Need need) {
    if (n < program_.names.size()) {
      const auto key = model_.binding(n);
      if (key && satisfies(kind(*key), need)) return true;
      if (strict_) return fail(describe_problem(n, key, need));
    } else if (strict_) {
      return fail("name index " + std::to_string(n) + " is not a name of this program");
    }
    // The n-th (mod their number) of the names that would do.
    std::size_t count = 0;
    for (NameIndex i = 0; i < program_.names.size(); ++i) count += suits(i, need);
    if (count == 0) return skip();
    std::size_t wanted = n % count;
    for (NameIndex i = 0; i < program_.names.size(); ++i)
      if (suits(i, need) && wanted-- == 0) {
        n = i;
        break;
      }
    return true;
  }

  // Resolves a slot index of the list bound to `container`.
  bool index(NameIndex container, std::uint32_t& i) {
    model_.read_object(*model_.binding(container), scratch_);
    return index_within(scratch_.slots.size(), "'" + program_.names[container] + "'", i);
  }
  // Resolves an index into gc.garbage.
  bool garbage_index(std::uint32_t& i) { return index_within(model_.garbage().size(), "gc.garbage", i); }

  bool index_within(std::size_t length, const std::string& what, std::uint32_t& i) {
    if (i < length) return true;
    if (strict_)
      return fail("index " + std::to_string(i) + " is out of range: " + what + " has " + std::to_string(length) +
                  (length == 1 ? " item" : " items"));
    if (length == 0) return skip();
    i = static_cast<std::uint32_t>(i % length);
    return true;
  }

  bool object(ObjectRef& ref) {
    if (ref.by_serial) return true;
    NameIndex n = ref.value;
    if (!name(n, Need::AnyObject)) return false;
    ref.value = n;
    return true;
  }

  Resolution result(const Op& op) {
    Resolution r;
    r.kind = outcome_;
    r.op = op;
    r.error = error_;
    return r;
  }

 private:
  ObjectKind kind(ObjectKey key) {
    model_.read_object(key, scratch_);
    return scratch_.kind;
  }

  std::string describe_problem(NameIndex n, const std::optional<ObjectKey>& key, Need need) {
    const std::string& spelled = program_.names[n];
    if (!key) return "name '" + spelled + "' is not bound";
    return "'" + spelled + "' is bound to " + std::string(to_string(kind(*key))) + " " + key->to_string() +
           ", not to " + needed(need);
  }

  bool fail(std::string why) {
    outcome_ = Resolution::Kind::Error;
    error_ = std::move(why);
    return false;
  }
  bool skip() {
    outcome_ = Resolution::Kind::Skip;
    return false;
  }

  const Program& program_;
  Machine& model_;
  bool strict_;
  ObjectState& scratch_;
  Resolution::Kind outcome_ = Resolution::Kind::Run;
  std::string error_;
};

}  // namespace

// Resolves the fields of the op's form in the order it spells them (an
// index after the list it indexes), as its row in operations.def names them:
// each name read must be bound to what its field needs. Finalizers and weak
// references take lists, standing for instances of a list subclass: CPython
// gives ints and strs neither.
Resolution resolve_op(const Program& program, const Op& original, Machine& model, bool strict, ObjectState& scratch) {
  Resolver r(program, model, strict, scratch);
  Op op = original;
  NameIndex list = 0;
  for (Field field : operation_info(op.code).fields) {
    const Need need = field_info(field).need;
    bool runs = true;
    if (field == Field::Index) runs = r.index(list, op.index);
    else if (field == Field::GarbageIndex) runs = r.garbage_index(op.index);
    else if (field == Field::Object) runs = r.object(op.object);
    else if (is_name_field(field) && need != Need::Nothing) runs = r.name(name_operand(op, field), need);
    if (!runs) break;
    if (need == Need::List) list = name_operand(op, field);
  }
  return r.result(op);
}

}  // namespace gcv
