// What a finalizer's body or a weakref's callback does, for the adapters of
// real heaps (gcheap, CPython): the meaning of each body operation (program.h's
// "Bodies") written once, over the few primitives an adapter gives. The
// reference model keeps its own, independent reading of the same rules.
//
// Every operation is defined in every state: one that reads an unbound name,
// a list that is not a list or a slot that does not exist does nothing, and
// so does one that assigns a name that is not the program's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

// `machine` is the adapter itself: its steps (machine_steps.def) and
// next_serial(), and the same steps on objects, for its object handles
// (pointers; nullptr for none):
//   bool named(NameIndex)                 whether the program has the name (never kSelf)
//   Object bound(NameIndex)               the name's object, nullptr when unbound or not named
//   bool is_list(Object), is_weakref(Object)   false for nullptr
//   std::size_t list_size(Object)         Object list_get(Object, std::size_t)
//   void bind_to(NameIndex, Object)       binds the name to a new reference to the object
//   void append_to(Object list, Object item)
//   void set_slot_of(Object list, std::size_t i, Object item)   list[i] = item: stored, then the old item dropped
//   void remove_slot_of(Object list, std::size_t i)   del list[i]: later items shift down, then it is dropped
//   void clear_of(Object list)            list.clear(): emptied first, then the items dropped
//   void new_weakref_to(NameIndex, Serial, Object referent, nullptr)   a weakref without a callback
//   void deref_of(NameIndex, Object weakref)          name = weakref(), unbound once it is cleared
//   void skipped_for_memory(Object self, std::uint32_t index)
//                                         the body's operation `index` threw std::bad_alloc (MemoryError,
//                                         machine.h): it did nothing, and the body goes on
// `self` is the object being finalized, or the weakref whose callback runs.
// run_body runs a body; run_body_operation one of its operations.
template <typename Adapter, typename Object>
void run_body_operation(Adapter& machine, const Op& op, Object self) {
  const auto object = [&](NameIndex n) -> Object { return n == kSelf ? self : machine.bound(n); };
  const auto list = [&](NameIndex n) -> Object {
    const Object o = object(n);
    return machine.is_list(o) ? o : nullptr;
  };
  const bool assignable = op.target != kSelf && machine.named(op.target);
  switch (op.code) {
    case OpCode::NewContainer:
      if (assignable) machine.new_container(op.target, machine.next_serial(), op.size);
      break;
    case OpCode::NewStr:
      if (assignable) machine.new_str(op.target, machine.next_serial(), op.size);
      break;
    case OpCode::NewInt:
      if (assignable) machine.new_int(op.target, machine.next_serial(), op.value);
      break;
    case OpCode::Bind:
      if (const Object o = object(op.source); assignable && o != nullptr) machine.bind_to(op.target, o);
      break;
    case OpCode::LoadSlot:
      if (const Object l = list(op.source); assignable && l != nullptr && op.index < machine.list_size(l))
        machine.bind_to(op.target, machine.list_get(l, op.index));
      break;
    case OpCode::Unbind:
      if (assignable) machine.unbind(op.target);
      break;
    case OpCode::Append:
      if (const Object l = list(op.target), o = object(op.source); l != nullptr && o != nullptr) machine.append_to(l, o);
      break;
    case OpCode::SetSlot:
      if (const Object l = list(op.target), o = object(op.source);
          l != nullptr && o != nullptr && op.index < machine.list_size(l))
        machine.set_slot_of(l, op.index, o);
      break;
    case OpCode::RemoveSlot:
      if (const Object l = list(op.target); l != nullptr && op.index < machine.list_size(l)) machine.remove_slot_of(l, op.index);
      break;
    case OpCode::Clear:
      if (const Object l = list(op.target)) machine.clear_of(l);
      break;
    case OpCode::Collect: machine.collect(op.generation); break;
    case OpCode::NewWeakref:
      if (const Object l = list(op.source); assignable && l != nullptr) machine.new_weakref_to(op.target, machine.next_serial(), l, nullptr);
      break;
    case OpCode::Deref:
      if (const Object w = object(op.source); assignable && machine.is_weakref(w)) machine.deref_of(op.target, w);
      break;
    default:  // no body holds the rest (program.h)
      break;
  }
}

template <typename Adapter, typename Object>
void run_body(Adapter& machine, const std::vector<Op>& body, Object self) {
  for (std::uint32_t index = 0; index < body.size(); ++index) {
    try {
      run_body_operation(machine, body[index], self);
    } catch (const std::bad_alloc&) {
      machine.skipped_for_memory(self, index);
    }
  }
}

}  // namespace gcv
