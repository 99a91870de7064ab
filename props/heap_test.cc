// gcverify's property suite (gcverify/property_suite.h) instantiated for
// gcheap, the production heap, and gcheap's own tests of it: the generators
// reach the heap's limits, and every property is shown to be able to fail:
// BrokenSystemsAreRejected runs each one against a gcheap broken in the way it
// exists to catch. Then the suite for a machine that lacks a capability.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>

#include "gcverify/forwarding_machine.h"
#include "gcverify/heap_machine.h"
#include "gcverify/model.h"
#include "gcverify/property_suite.h"
#include "gcverify/text.h"

namespace gcv::props {
namespace {

// gcheap following the properties' CPython version.
std::unique_ptr<Machine> real_heap() { return make_heap_machine({.profile = &props_profile()}); }

GCV_INSTANTIATE_PROPERTY_SUITE(gcheap, "gcheap", real_heap);

// ---- every property can fail --------------------------------------------------------

// The real heap with one deliberate bug, made behind the adapter's back or in
// what the adapter reports.
class BrokenHeap : public ForwardingMachine {
 public:
  BrokenHeap() : ForwardingMachine(real_heap()) {}

 protected:
  gcheap::Heap& heap() { return *heap_machine_heap(*inner_); }
  // The object bound to n (nullptr when the adapter holds none for its key:
  // the fault is then skipped, never applied to a null pointer).
  gcheap::Object* held_by(NameIndex n) { return heap_machine_object(*inner_, *binding(n)); }
};

// A list stores an item without taking a reference: the item is freed while
// the list still holds it.
struct AppendTakesNoReference : BrokenHeap {
  void append(NameIndex list, NameIndex item) override {
    BrokenHeap::append(list, item);
    if (gcheap::Object* o = held_by(item)) heap().decref(o);
  }
};
// Unbinding a name forgets to drop its reference.
struct UnbindKeepsTheReference : BrokenHeap {
  void unbind(NameIndex n) override {
    if (gcheap::Object* o = held_by(n)) gcheap::Heap::incref(o);
    BrokenHeap::unbind(n);
  }
};
// Binding a name takes two references.
struct BindTakesTwoReferences : BrokenHeap {
  void bind(NameIndex dst, NameIndex src) override {
    BrokenHeap::bind(dst, src);
    if (gcheap::Object* o = held_by(dst)) gcheap::Heap::incref(o);
  }
};
// The statistics count one object too many per collection.
struct StatsCountOneMore : BrokenHeap {
  CollectorState collector_state() override {
    CollectorState s = BrokenHeap::collector_state();
    for (GcStats& g : s.stats) g.collected += g.collections;
    return s;
  }
};
// Automatic collection never runs, while the heap claims to be enabled.
struct NeverCollectsAutomatically : BrokenHeap {
  void reset(std::size_t names) override {
    BrokenHeap::reset(names);
    BrokenHeap::disable();
  }
  void enable() override {}
  void disable() override {}
  CollectorState collector_state() override {
    CollectorState s = BrokenHeap::collector_state();
    s.enabled = true;
    return s;
  }
};
// freeze() does nothing.
struct FreezeIgnored : BrokenHeap {
  void freeze() override {}
};
// A young collection freezes everything.
struct YoungCollectionFreezes : BrokenHeap {
  std::int64_t collect(int g) override {
    const std::int64_t collected = BrokenHeap::collect(g);
    if (g == 0) BrokenHeap::freeze();
    return collected;
  }
};
// A low threshold freezes everything.
struct LowThresholdFreezes : BrokenHeap {
  void set_threshold(int arity, std::array<std::int64_t, 3> values) override {
    BrokenHeap::set_threshold(arity, values);
    if (values[0] <= 2) BrokenHeap::freeze();
  }
};
// The collector undercounts.
struct CollectReturnsOneLess : BrokenHeap {
  std::int64_t collect(int g) override { return BrokenHeap::collect(g) - 1; }
};
// Every finalizer is reported to have run twice.
struct FinalizersReportedTwice : BrokenHeap {
  void take_events(std::vector<Event>& out) override {
    std::vector<Event> events;
    BrokenHeap::take_events(events);
    for (const Event& e : events) {
      out.push_back(e);
      if (e.type == Event::Type::Finalized) out.push_back(e);
    }
  }
};
// gc.garbage is reported empty.
struct GarbageForgotten : BrokenHeap {
  const std::vector<ObjectKey>& garbage() override { return none_; }
  const std::vector<ObjectKey> none_;
};
// A round trip that loses payload sizes.
Program round_trip_dropping_payloads(const Program& program) {
  Program back = properties::text_binary_text(program);
  for (Op& op : back.ops) op.size = kMinPayload;
  return back;
}

template <typename Broken>
SutFactory broken() {
  return [] { return std::make_unique<Broken>(); };
}

// True when RapidCheck finds a counterexample to `check_case`, within the
// budget the suite's properties run.
template <typename CheckCase>
bool rejects(CheckCase check_case) {
  set_case_budget();
  std::ostringstream report;
  std::streambuf* const saved = std::cout.rdbuf(report.rdbuf());
  const bool passed = rc::check("a property run against a broken system", check_case);
  std::cout.rdbuf(saved);
  return !passed;
}
// True when RapidCheck finds a counterexample to `property` on the systems
// `make_broken` makes.
bool rejects(Property property, const SutFactory& make_broken) {
  return rejects([&] { property(make_broken, Capabilities::all()); });
}

// The property generators make every operation of operations.def but the
// expectations (as the fuzz generator does; tests/fuzz/program_generator_test).
TEST(Generators, MakeEveryOperationButTheExpectations) {
  rc::Random random(1);
  std::set<OpCode> made;
  for (int i = 0; i < 20000; ++i) made.insert(any_operation(Capabilities::all())(random.split()).value().code);
  for (std::size_t c = 0; c < kOpCodeCount; ++c)
    EXPECT_EQ(made.count(static_cast<OpCode>(c)), kOperations[c].expectation ? 0u : 1u) << kOperations[c].words;
}

// The generators still reach the heap's limits: a chain or cycle past the
// trashcan's 50 nesting levels and the list free list's 80 entries, the
// largest clique, a payload in every 16-byte size class up to the small-object
// limit, one past it and one past a pool. A change that narrows them fails
// here rather than silently shrinking what the properties reach.
TEST(Generators, ReachTheHeapsLimits) {
  rc::Random random(2);
  std::uint32_t longest = 0, largest_clique = 0, largest_payload = 0;
  std::set<std::uint32_t> small_classes;
  for (int i = 0; i < 20000; ++i) {
    const Op op = any_operation(Capabilities::all())(random.split()).value();
    if (op.code == OpCode::Chain || op.code == OpCode::Cycle) longest = std::max(longest, op.count);
    if (op.code == OpCode::Clique) largest_clique = std::max(largest_clique, op.count);
  }
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t size = payload()(random.split()).value();
    largest_payload = std::max(largest_payload, size);
    if (size <= 512) small_classes.insert((size - 1) / 16);
  }
  EXPECT_GT(longest, 80u) << "no chain or cycle past the trashcan's 50 levels and the free list's 80 entries";
  EXPECT_EQ(largest_clique, kLargestClique);
  EXPECT_EQ(small_classes.size(), 32u) << "payloads miss a 16-byte size class up to 512 bytes";
  EXPECT_EQ(largest_payload, kMaxPayload);
}

TEST(BrokenSystemsAreRejected, ByTheirStatefulProperties) {
  EXPECT_TRUE(rejects(properties::lockstep, broken<CollectReturnsOneLess>()));
  EXPECT_TRUE(rejects(properties::no_leak, broken<UnbindKeepsTheReference>()));
  EXPECT_TRUE(rejects(properties::exact_refcounts, broken<BindTakesTwoReferences>()));
  EXPECT_TRUE(rejects(properties::exact_collections, broken<StatsCountOneMore>()));
  EXPECT_TRUE(rejects(properties::automatic_collections, broken<NeverCollectsAutomatically>()));
  EXPECT_TRUE(rejects(properties::freeze_protects, broken<FreezeIgnored>()));
  EXPECT_TRUE(rejects(properties::finalizers_run_at_most_once, broken<FinalizersReportedTwice>()));
  EXPECT_TRUE(rejects(properties::garbage_is_the_uncollectable, broken<GarbageForgotten>()));
}

// Without a sanitizer, a premature free that frees an object twice within one
// operation (a.append(a), then del a) crashes the heap before the property
// can look: that crash is the report.
void report_crash(int) {
  constexpr char kMessage[] = "the heap crashed on freed memory\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(1);
}

// A premature free may read freed memory when the heap is next observed; with
// AddressSanitizer that read is itself the report. Either way the run ends.
TEST(BrokenSystemsAreRejected, ByNoPrematureFree) {
  EXPECT_DEATH(
      {
        std::signal(SIGSEGV, report_crash);
        std::signal(SIGBUS, report_crash);
        if (rejects(properties::no_premature_free, broken<AppendTakesNoReference>())) {
          std::fputs("premature free rejected\n", stderr);
          std::abort();
        }
      },
      "premature free rejected|the heap crashed on freed memory|use-after-poison|heap-use-after-free");
}

TEST(BrokenSystemsAreRejected, ByTheMetamorphicProperties) {
  EXPECT_TRUE(
      rejects(properties::collecting_each_generation_equals_a_full_collection, broken<YoungCollectionFreezes>()));
  EXPECT_TRUE(
      rejects(properties::thresholds_never_change_what_survives_a_full_collection, broken<LowThresholdFreezes>()));
  EXPECT_TRUE(rejects([] {
    properties::round_trip_behaves_identically(real_heap, Capabilities::all(), round_trip_dropping_payloads);
  }));
}

// ---- a machine that lacks a capability --------------------------------------------------

// The suite for a machine without generations, as a user's instantiation for
// their own machine: the reference model itself, made without generations
// (every collection a full one, none automatic) and named apart. The
// properties that need generations are skipped; the others run on programs
// within its capabilities and pass, the model agreeing with itself. And the
// generators, for every capability a system may lack, make only operations
// within what it has.
constexpr Capabilities kWithoutGenerations = Capabilities::all().without(Capability::Generations);

class ModelWithoutGenerations : public ForwardingMachine {
 public:
  ModelWithoutGenerations() : ForwardingMachine(make_reference_model(props_profile(), kWithoutGenerations)) {}
  std::string_view name() const override { return "model_without_generations"; }
  // ForwardingMachine leaves this out for the faults its subclasses inject
  // behind the model's back; none here, so the executor compares what changed
  // rather than every live object after every step.
  bool take_changed(std::vector<ObjectKey>& out) override { return inner_->take_changed(out); }
};

GCV_INSTANTIATE_PROPERTY_SUITE(model_without_generations, "model_without_generations",
                               [] { return std::make_unique<ModelWithoutGenerations>(); });

// Every capability missing in turn, and all of them.
std::vector<Capabilities> lacking_one_or_all() {
  std::vector<Capabilities> systems{Capabilities()};
  for (std::size_t c = 0; c < kCapabilityCount; ++c)
    systems.push_back(Capabilities::all().without(static_cast<Capability>(c)));
  return systems;
}

TEST(Generators, MakeEveryOperationWithinTheCapabilitiesAndNoOther) {
  static const Program names = empty_program();
  rc::Random random(3);
  for (Capabilities capabilities : lacking_one_or_all()) {
    SCOPED_TRACE("capabilities: " + capabilities.to_string());
    std::set<OpCode> made;
    for (int i = 0; i < 10000; ++i) {
      const Op op = any_operation(capabilities)(random.split()).value();
      ASSERT_TRUE(capabilities.contains(needed_capabilities(op)))
          << format_op(names, op) << " needs " << (needed_capabilities(op) - capabilities).to_string();
      made.insert(op.code);
    }
    for (std::size_t c = 0; c < kOpCodeCount; ++c) {
      const OpCode code = static_cast<OpCode>(c);
      const bool within = !kOperations[c].expectation && capabilities.contains(needed_capabilities(Op::of(code)));
      EXPECT_EQ(made.count(code), within ? 1u : 0u) << kOperations[c].words;
    }
  }
}

}  // namespace
}  // namespace gcv::props
