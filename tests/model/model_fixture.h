// The fixture the model's tests share: a fresh reference model driven through
// the Machine interface, helpers that allocate with the model's next serial,
// and builders for the events and effects the tests expect or run.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <vector>

#include "gcverify/model.h"

namespace gcv {

// How GoogleTest prints an event in a failed expectation.
inline void PrintTo(const Event& event, std::ostream* out) {
  switch (event.type) {
    case Event::Type::Freed: *out << "freed " << event.key.to_string(); break;
    case Event::Type::Finalized: *out << "finalized " << event.key.to_string(); break;
    case Event::Type::CallbackRan: *out << "callback " << event.key.to_string(); break;
    case Event::Type::CollectionStart: *out << "start " << event.generation; break;
    case Event::Type::CollectionStop:
      *out << "stop " << event.generation << " collected " << event.collected << " uncollectable "
           << event.uncollectable;
      break;
  }
}

}  // namespace gcv

namespace gcv::model_test {

constexpr NameIndex a = 0, b = 1, c = 2, d = 3, e = 4, f = 5, g = 6;
constexpr NameIndex kRingFirst = 7, kRingTail = 8, kRingNext = 9;  // garbage_cycle_of's
constexpr std::size_t kNameCount = 10;

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { model->reset(kNameCount); }

  // `dst = []`, with the next serial; returns that serial.
  Serial list(NameIndex dst) {
    const Serial serial = model->next_serial();
    model->new_container(dst, serial, kDefaultPayload);
    return serial;
  }
  Serial str(NameIndex dst, std::uint32_t payload) {
    const Serial serial = model->next_serial();
    model->new_str(dst, serial, payload);
    return serial;
  }
  Serial big_int(NameIndex dst, std::int64_t value) {
    const Serial serial = model->next_serial();
    model->new_int(dst, serial, value);
    return serial;
  }
  // `dst = weakref.ref(referent[, callback])`; returns the weakref's serial.
  Serial weakref(NameIndex dst, NameIndex referent) { return weakref_with(dst, referent, nullptr); }
  Serial weakref(NameIndex dst, NameIndex referent, const std::vector<Op>& callback) {
    return weakref_with(dst, referent, &callback);
  }
  Serial weakref_with(NameIndex dst, NameIndex referent, const std::vector<Op>* callback) {
    const Serial serial = model->next_serial();
    model->new_weakref(dst, serial, referent, callback);
    return serial;
  }
  // `dst = []` n times, each appended to the list bound to `holder`.
  void append_lists(NameIndex holder, NameIndex scratch, int n) {
    for (int i = 0; i < n; ++i) {
      list(scratch);
      model->append(holder, scratch);
    }
  }
  // `dst = []; dst.append(dst)`: a cycle of one, still bound.
  Serial self_cycle(NameIndex dst) {
    const Serial serial = list(dst);
    model->append(dst, dst);
    return serial;
  }
  // Two self-cycles, x bound to a (given to `mark` first) and y to b, moved to
  // generation 2 and then unbound: garbage for the next collection. Events so
  // far are dropped.
  template <class Mark>
  std::pair<Serial, Serial> old_garbage_self_cycles(Mark mark) {
    const Serial x = self_cycle(a);
    mark(x);
    const Serial y = self_cycle(b);
    model->collect(2);
    model->unbind(a);
    model->unbind(b);
    events();
    return {x, y};
  }
  // k lists in a ring (each refers to the next, the last to the first), bound
  // to nothing; returns the first one's serial.
  Serial garbage_cycle_of(int k) {
    Serial first = list(kRingFirst);
    model->bind(kRingTail, kRingFirst);
    for (int i = 1; i < k; ++i) {
      list(kRingNext);
      model->append(kRingTail, kRingNext);
      model->bind(kRingTail, kRingNext);
    }
    model->append(kRingTail, kRingFirst);
    for (NameIndex name : {kRingFirst, kRingTail, kRingNext}) model->unbind(name);
    return first;
  }

  bool alive(Serial s) { return model->object(ObjectKey::serial(s)).has_value(); }
  ObjectState state(Serial s) { return *model->object(ObjectKey::serial(s)); }
  std::int64_t refcount(Serial s) { return state(s).refcount; }
  int generation(Serial s) { return state(s).generation; }
  std::array<std::int64_t, 3> count() { return model->collector_state().count; }
  GcStats stats(int generation) { return model->collector_state().stats[generation]; }

  std::vector<Event> events() {
    std::vector<Event> out;
    model->take_events(out);
    return out;
  }
  // The serials freed since the last look, ascending.
  std::vector<Serial> freed() {
    std::vector<Serial> serials;
    for (const Event& event : events()) {
      if (event.type == Event::Type::Freed) serials.push_back(event.key.as_serial());
    }
    std::sort(serials.begin(), serials.end());
    return serials;
  }
  // The generations collected since the last look, in order.
  std::vector<int> collections() {
    std::vector<int> generations;
    for (const Event& event : events()) {
      if (event.type == Event::Type::CollectionStart) generations.push_back(event.generation);
    }
    return generations;
  }

  std::unique_ptr<Machine> model = make_reference_model();
};

inline Event object_event(Event::Type type, Serial s) { return {.type = type, .key = ObjectKey::serial(s)}; }
inline Event freed_event(Serial s) { return object_event(Event::Type::Freed, s); }
inline Event finalized_event(Serial s) { return object_event(Event::Type::Finalized, s); }
inline Event callback_event(Serial weakref) { return object_event(Event::Type::CallbackRan, weakref); }

inline Event collection_event(Event::Type type, int generation, std::int64_t collected,
                              std::int64_t uncollectable = 0) {
  return {.type = type, .key = {}, .generation = generation, .collected = collected, .uncollectable = uncollectable};
}
inline Event start_event(int generation) { return collection_event(Event::Type::CollectionStart, generation, 0); }
inline Event stop_event(int generation, std::int64_t collected, std::int64_t uncollectable = 0) {
  return collection_event(Event::Type::CollectionStop, generation, collected, uncollectable);
}

// Body operations, spelled as in the language.
inline Op body_op(OpCode code, NameIndex target = 0, NameIndex source = 0) {
  Op made = Op::of(code);
  made.target = target;
  made.source = source;
  return made;
}
inline Op bind_self(NameIndex n) { return body_op(OpCode::Bind, n, kSelf); }             // n = self
inline Op del(NameIndex n) { return body_op(OpCode::Unbind, n); }                         // del n
inline Op new_list(NameIndex n) { return body_op(OpCode::NewContainer, n); }              // n = list
inline Op append_self_to(NameIndex n) { return body_op(OpCode::Append, n, kSelf); }       // n.append(self)
inline Op append_to_self(NameIndex n) { return body_op(OpCode::Append, kSelf, n); }       // self.append(n)
inline Op clear_self() { return body_op(OpCode::Clear, kSelf); }                          // self.clear()
inline Op collect_effect(int generation = 2) {                                            // collect [g]
  Op made = body_op(OpCode::Collect);
  made.generation = generation;
  return made;
}
inline Op load_slot(NameIndex n, NameIndex m, std::uint32_t i) {                          // n = m[i]
  Op made = body_op(OpCode::LoadSlot, n, m);
  made.index = i;
  return made;
}
inline Op deref_effect(NameIndex n, NameIndex m) { return body_op(OpCode::Deref, n, m); }  // n = m()

}  // namespace gcv::model_test
