// Bugs inside gcheap, injected behind the adapter's back, are reported at the
// operation that caused them, without sanitizers: a missing reference, a free
// the heap does not announce (with and without the debug fill), and a wild
// write into a live object's payload (the serial stamp).
#include <gtest/gtest.h>

#include <algorithm>

#include "gcverify/forwarding_machine.h"
#include "gcverify/executor.h"
#include "gcverify/heap_machine.h"
#include "gcverify/text.h"

namespace gcv {
namespace {

// The heap machine with one sabotage, applied after the step it follows.
class SabotagedHeap : public ForwardingMachine {
 public:
  explicit SabotagedHeap(bool debug_fill = true) : ForwardingMachine(make_heap_machine({.debug_fill = debug_fill})) {}
  gcheap::Heap& heap() { return *heap_machine_heap(*inner_); }
  gcheap::Object* object_of(Serial s) { return heap_machine_object(*inner_, ObjectKey::serial(s)); }
};

RunResult run(const std::string& text, Machine& sut, const RunOptions& options = {}) {
  ParseError error;
  const auto program = parse_text(text, "sabotage.heap", error);
  EXPECT_TRUE(program) << error.to_string();
  auto model = make_reference_model();
  return run_lockstep(*program, *model, sut, options);
}

bool involves(const RunResult& r, Serial s) {
  return std::find(r.report.objects.begin(), r.report.objects.end(), ObjectKey::serial(s)) != r.report.objects.end();
}

TEST(PrematureFree, AppendThatTakesNoReferenceIsCaughtAtTheAppend) {
  struct NoIncref : SabotagedHeap {
    void append(NameIndex c, NameIndex item) override {
      SabotagedHeap::append(c, item);
      heap().decref(heap_machine_object(*inner_, *binding(item)));
    }
  };
  for (CheckLevel level : {CheckLevel::Changed, CheckLevel::Exhaustive, CheckLevel::Fast}) {
    NoIncref sut;
    const RunResult r = run("a = list\nb = list\na.append(b)\ndel b\n", sut, {.check = level});
    ASSERT_EQ(r.outcome, Outcome::Divergence);
    EXPECT_EQ(r.report.op_index, 2u);
    EXPECT_EQ(r.report.check, "object #2 refcount");
    EXPECT_TRUE(involves(r, 2));
  }
}

// The str's block goes straight back to the allocator: no free hook, and the
// adapter still holds its handle. Without sanitizers the executor reports it
// at that operation (the handle's header or stamp no longer checks out); with
// AddressSanitizer the adapter's first look at the poisoned block is reported.
TEST(PrematureFree, UnannouncedFreeIsCaughtWithOrWithoutDebugFill) {
  struct SilentFree : SabotagedHeap {
    using SabotagedHeap::SabotagedHeap;
    void new_str(NameIndex d, Serial s, std::uint32_t p) override {
      SabotagedHeap::new_str(d, s, p);
      if (s == 1) heap().allocator().free(object_of(1));
    }
  };
  const char* const program = "s = str 8\na = list\na.append(a)\nt = str 8\n";
  for (bool fill : {true, false}) {
    if (gcheap::kPoisonsFreeBlocks) {
      EXPECT_DEATH(
          {
            SilentFree sut(fill);
            run(program, sut, {.teardown = false});
          },
          "use-after-poison|heap-use-after-free");
      continue;
    }
    SilentFree sut(fill);
    const RunResult r = run(program, sut, {.teardown = false});
    ASSERT_EQ(r.outcome, Outcome::Divergence) << "debug fill " << fill;
    EXPECT_EQ(r.report.op_index, 0u) << r.report.check;
    EXPECT_TRUE(involves(r, 1)) << r.report.check;
  }
}

TEST(PrematureFree, WildWriteIntoAPayloadShowsADamagedStamp) {
  // A wild write into a live str's payload, as a reused block would look.
  struct WildWrite : SabotagedHeap {
    void new_str(NameIndex d, Serial s, std::uint32_t p) override {
      SabotagedHeap::new_str(d, s, p);
      if (s == 1) gcheap::Heap::payload(object_of(1))[0] ^= std::byte{0xff};
    }
  } sut;
  const RunResult r = run("s = str 8\n", sut, {.teardown = false});
  ASSERT_EQ(r.outcome, Outcome::Divergence);
  EXPECT_EQ(r.report.op_index, 0u);
  EXPECT_EQ(r.report.check, "object #1 (stamp damaged: freed and reused?)");
  EXPECT_NE(r.report.actual.find("STAMP DAMAGED"), std::string::npos);
}

TEST(PrematureFree, CollectorFreeingReachableObjectIsCaught) {
  // An extra decref on a list in a live cycle: the collector then sees no
  // outside reference and frees a cycle a name still reaches.
  struct LostRoot : SabotagedHeap {
    std::int64_t collect(int g) override {
      if (auto key = binding(0)) heap().decref(heap_machine_object(*inner_, *key));
      return SabotagedHeap::collect(g);
    }
  } sut;
  const RunResult r = run("a = cycle 3\ncollect\n", sut, {.teardown = false});
  ASSERT_EQ(r.outcome, Outcome::Divergence);
  EXPECT_EQ(r.report.op_index, 1u);
  // What it freed comes first (the cause); gc.collect()'s result follows from it.
  EXPECT_EQ(r.report.kind, CheckKind::PrematureFree);
  EXPECT_EQ(r.report.check, "freed objects during collection 1 (generation 2)");
  EXPECT_EQ(r.report.expected, "{}");
  EXPECT_EQ(r.report.actual, "{#1, #2, #3}");
}

}  // namespace
}  // namespace gcv
