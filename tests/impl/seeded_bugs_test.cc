// gcheap's seeded bugs (docs/seeded-bugs.md): the catalog is well formed, the
// switch accepts only its names (in process and from GCHEAP_SEEDED_BUG), and
// every bug provably changes behaviour: for each one a directed scenario,
// written against gcheap's API, observes one value, which must be the correct
// one with no bug active and a different, known one with that bug active.
//
// The seeded bugs exist only in the GCV_SEEDED_BUGS build (the `bugs`
// preset); elsewhere this suite is one skipped test.
#include <gtest/gtest.h>

#include "gcheap/seeded_bugs.h"

#ifdef GCHEAP_SEEDED_BUGS

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <new>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gcheap/allocator.h"
#include "gcheap/heap.h"
#include "heap_builders.h"
#include "seeded_bugs_internal.h"

namespace gcheap {
namespace {

// --- a small heap to build scenarios in -------------------------------------------

class Scene {
 public:
  using Action = std::function<void(Heap& heap, Object* self)>;

  explicit Scene(Heap::Config config = Heap::Config{}) : heap(allocator, config) {
    heap.set_free_hook(&Scene::on_free, this);
  }

  Object* list(std::uint32_t payload_bytes = 0) { return heap.new_list(payload_bytes); }
  Object* str() { return heap.new_str(0); }
  void link(Object* a, Object* b) { test::link(heap, a, b); }
  void garbage_pair() { test::garbage_pair(heap); }
  void finalizer(Object* o, Action action) { heap.set_finalizer(o, &Scene::run, &keep(std::move(action))); }
  Object* weakref(Object* referent, Action action) {
    return heap.new_weakref(referent, &Scene::run, &keep(std::move(action)));
  }

  bool was_freed(const Object* o) const { return std::find(freed.begin(), freed.end(), o) != freed.end(); }
  // 0..2, kPermanent, or -1 when o is in no generation.
  int generation_of(const Object* o) const {
    for (int g : {0, 1, 2, kPermanent}) {
      bool found = false;
      heap.for_each_in_generation(g, [&](Object* member) { found = found || member == o; });
      if (found) return g;
    }
    return -1;
  }

  Allocator allocator;
  Heap heap;
  std::vector<Object*> freed;  // in the order the free hook saw them

 private:
  Action& keep(Action action) { return actions_.emplace_back(std::move(action)); }
  static void run(void* context, Heap& heap, Object* self) noexcept { (*static_cast<Action*>(context))(heap, self); }
  static void on_free(void* context, Object* dying) noexcept { static_cast<Scene*>(context)->freed.push_back(dying); }

  std::deque<Action> actions_;
};

// A list holding one str four times (its items in a 4-slot array).
Object* four_item_list(Scene& s) {
  Object* list = s.list();
  Object* item = s.str();
  for (int i = 0; i < 4; ++i) s.link(list, item);
  return list;
}

// A fifth append, whose growth of the item array is refused.
void refuse_an_append(Scene& s, Object* list) {
  s.allocator.set_failure_plan({FailurePlan::Mode::Once, 1});
  try {
    s.link(list, Heap::list_get(list, 0));
  } catch (const std::bad_alloc&) {
  }
}

// A finalizer that resurrects its object: it stores a new reference to it.
void resurrect(Heap&, Object* self) { Heap::incref(self); }

// Blocks of `size` bytes whose extent crosses the end of their pool, among
// `count` allocations.
// Of `count` blocks of `size` bytes, those whose pool does not describe them:
// carved past the end of a pool into one never set up (its header says no
// block size), or crossing into the next pool.
std::int64_t blocks_outside_their_pool(Allocator& allocator, std::size_t size, int count) {
  const std::size_t pool_size = allocator.geometry().pool_size;
  std::int64_t outside = 0;
  for (int i = 0; i < count; ++i) {
    void* block = allocator.allocate(size);
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    if (allocator.usable_size(block) < size || address % pool_size + size > pool_size) ++outside;
  }
  return outside;
}

// --- one directed scenario per seeded bug ------------------------------------------

struct BugCase {
  std::string_view bug;
  std::string_view observed;  // what observe() returns
  std::int64_t (*observe)();
  std::int64_t correct;
  std::int64_t with_bug;
};

const BugCase bug_cases[] = {
    // allocator
    {"full_pool_stays_in_use", "max_small blocks, of 40, outside their pool",
     [] {
       Allocator allocator;
       return blocks_outside_their_pool(allocator, allocator.geometry().max_small, 40);
     },
     0, 15},  // with the bug: all from the first pool's end on (the arena's pool headers take its start)
    {"reallocate_keeps_outgrown_block", "reallocate(allocate(16), 32) has 32 usable bytes",
     [] {
       Allocator allocator;
       void* grown = allocator.reallocate(allocator.allocate(16), 32);
       return std::int64_t{allocator.usable_size(grown) >= 32};
     },
     1, 0},
    {"owns_accepts_pool_headers", "owns() of an arena's pool headers",
     [] {
       Allocator allocator;
       const auto block = reinterpret_cast<std::uintptr_t>(allocator.allocate(16));
       const auto headers = block & ~(allocator.geometry().arena_size - 1);
       return std::int64_t{allocator.owns(reinterpret_cast<void*>(headers))};
     },
     0, 1},
    // refcount
    {"list_append_double_counts_item", "refcount of a str after appending its only reference",
     [] {
       Scene s;
       Object* item = s.str();
       s.heap.list_append(s.list(), item);
       return std::int64_t{item->refcount};
     },
     1, 2},
    {"list_set_decrefs_before_store", "the replaced item's finalizer finds itself in the slot",
     [] {
       Scene s;
       Object* list = s.list();
       Object* old = s.list();
       s.heap.list_append(list, old);
       bool found_itself = false;
       s.finalizer(old, [&](Heap& heap, Object* self) { found_itself = heap.list_get(list, 0) == self; });
       s.heap.list_set(list, 0, s.str());
       return std::int64_t{found_itself};
     },
     0, 1},
    {"list_remove_decrefs_successor", "original index of the item freed by list_remove(list, 0)",
     [] {
       Scene s;
       Object* list = s.list();
       Object* first = s.str();
       Object* second = s.str();
       s.heap.list_append(list, first);
       s.heap.list_append(list, second);
       s.heap.list_remove(list, 0);
       return std::int64_t{s.freed == std::vector<Object*>{first} ? 0 : s.freed == std::vector<Object*>{second} ? 1 : -1};
     },
     0, 1},
    {"list_dealloc_skips_first_item", "strs alive after their only holder, a list, dies",
     [] {
       Scene s;
       Object* list = s.list();
       s.heap.list_append(list, s.str());
       s.heap.list_append(list, s.str());
       s.heap.decref(list);
       return static_cast<std::int64_t>(s.heap.stats().strs_live);
     },
     0, 1},
    // collector
    {"subtract_refs_skips_last_item", "collect() of a two-list cycle",
     [] {
       Scene s;
       s.garbage_pair();
       return s.heap.collect();
     },
     2, 0},
    {"move_unreachable_forgets_rescue", "a reachable list that precedes its holder is finalized by collect()",
     [] {
       Scene s;
       Object* held = s.list();  // before its holder in generation 0
       Object* holder = s.list();
       s.heap.list_append(holder, held);
       s.finalizer(held, [](Heap&, Object*) {});
       s.heap.collect();
       return std::int64_t{Heap::is_finalized(held)};
     },
     0, 1},
    {"legacy_finalizer_reachable_not_moved", "collect() of a cycle through a legacy finalizer",
     [] {
       Scene s;
       Object* legacy = s.list();
       Object* other = s.list();
       s.heap.set_legacy_finalizer(legacy);
       s.link(legacy, other);
       s.link(other, legacy);
       s.heap.decref(legacy);
       s.heap.decref(other);
       return s.heap.collect();
     },
     2, 1},
    {"resurrection_check_skipped", "strs alive held by a self-cycle its finalizer resurrected",
     [] {
       Scene s;
       Object* list = s.list();
       s.heap.list_append(list, s.str());
       s.link(list, list);
       s.finalizer(list, resurrect);
       s.heap.decref(list);
       s.heap.collect();
       return static_cast<std::int64_t>(s.heap.stats().strs_live);
     },
     1, 0},
    {"legacy_garbage_saved_only_with_saveall", "gc.garbage size after collecting a legacy-finalizer self-cycle",
     [] {
       Scene s;
       Object* list = s.list();
       s.heap.set_legacy_finalizer(list);
       s.link(list, list);
       s.heap.decref(list);
       s.heap.collect();
       return static_cast<std::int64_t>(s.heap.garbage_size());
     },
     1, 0},
    // generations
    {"gc_triggers_at_threshold", "automatic collections after threshold0 = 3 allocations",
     [] {
       Scene s(Heap::Config{{3, 10, 10}});
       for (int i = 0; i < 3; ++i) s.list();
       return s.heap.get_stats()[0].collections;
     },
     0, 1},
    {"full_collection_ignores_long_lived_ratio",
     "automatic full collections while long_lived_pending (3) < long_lived_total (40) / 4",
     [] {
       Scene s;
       s.heap.disable();
       for (int i = 0; i < 40; ++i) s.list();
       s.heap.collect(2);  // long_lived_total = 40
       s.heap.set_threshold(3, {1, 0, 0});
       s.heap.enable();
       // Collections of 0, then 1 (3 lists join generation 2), then 0 or 2.
       for (int i = 0; i < 6; ++i) s.list();
       return s.heap.get_stats()[2].collections - 1;
     },
     0, 1},
    {"survivors_stay_in_collected_generation", "generation of a surviving list after collect(0)",
     [] {
       Scene s;
       Object* survivor = s.list();
       s.heap.collect(0);
       return std::int64_t{s.generation_of(survivor)};
     },
     1, 0},
    // freeze
    {"freeze_zeroes_only_count0", "count1 after collect(0) then freeze()",
     [] {
       Scene s;
       s.list();
       s.heap.collect(0);
       s.heap.freeze();
       return s.heap.get_count()[1];
     },
     0, 1},
    {"unfreeze_moves_to_generation_0", "generation of a list after freeze() and unfreeze()",
     [] {
       Scene s;
       Object* list = s.list();
       s.heap.freeze();
       s.heap.unfreeze();
       return std::int64_t{s.generation_of(list)};
     },
     2, 0},
    // finalizers
    {"finalizer_runs_twice_after_resurrection", "finalizer runs of a self-cycle resurrected once, then dropped",
     [] {
       Scene s;
       Object* list = s.list();
       s.link(list, list);
       std::int64_t runs = 0;
       s.finalizer(list, [&](Heap& heap, Object* self) {
         if (++runs == 1) resurrect(heap, self);
       });
       s.heap.decref(list);
       s.heap.collect();     // finalized and resurrected
       s.heap.decref(list);  // garbage again
       s.heap.collect();
       return runs;
     },
     1, 2},
    {"dealloc_frees_resurrected_object", "a list whose finalizer resurrects it on refcount death is freed",
     [] {
       Scene s;
       Object* list = s.list();
       s.finalizer(list, resurrect);
       s.heap.decref(list);
       return std::int64_t{s.was_freed(list)};
     },
     0, 1},
    {"resurrected_objects_counted_as_collected", "collect() of a self-cycle whose finalizer resurrects it",
     [] {
       Scene s;
       Object* list = s.list();
       s.link(list, list);
       s.finalizer(list, resurrect);
       s.heap.decref(list);
       return s.heap.collect();
     },
     0, 1},
    // weakrefs
    {"trash_weakref_callback_runs", "callback runs of a weakref in cyclic trash with its referent",
     [] {
       Scene s;
       Object* list = s.list();
       std::int64_t runs = 0;
       s.heap.list_append(list, s.weakref(list, [&](Heap&, Object*) { ++runs; }));
       s.link(list, list);
       s.heap.decref(list);
       s.heap.collect();
       return runs;
     },
     0, 1},
    {"weakref_callback_before_clearing_all", "a callback on refcount death finds an older weakref still set",
     [] {
       Scene s;
       Object* list = s.list();
       // With a callback too: PyObject_ClearWeakRefs' tuple path (a
       // callback-less older one would be cleared first, the basic one).
       Object* older = s.weakref(list, [](Heap&, Object*) {});
       bool older_still_set = false;
       s.weakref(list, [&](Heap&, Object*) { older_still_set = Heap::weakref_get(older) != nullptr; });
       s.heap.decref(list);
       return std::int64_t{older_still_set};
     },
     0, 1},
    // trashcan
    {"trashcan_level_leaks_on_resurrection", "a plain list dying after 50 resurrections is freed",
     [] {
       Scene s;
       for (int i = 0; i < 50; ++i) {
         Object* list = s.list();
         s.finalizer(list, resurrect);
         s.heap.decref(list);
       }
       Object* plain = s.list();
       s.heap.decref(plain);
       return std::int64_t{s.was_freed(plain)};
     },
     1, 0},
    // free list
    {"free_list_keeps_finalized_flag", "a list reused from the free list starts finalized",
     [] {
       Scene s;
       Object* finalized = s.list(16);
       s.finalizer(finalized, [](Heap&, Object*) {});
       s.heap.decref(finalized);
       Object* reused = s.list(16);
       return std::int64_t{reused == finalized && Heap::is_finalized(reused)};
     },
     0, 1},
    {"free_list_survives_full_collection", "free list length after collect(2)",
     [] {
       Scene s;
       s.heap.decref(s.list(16));
       s.heap.collect(2);
       return static_cast<std::int64_t>(s.heap.stats().free_list_length);
     },
     0, 1},
    // out of memory
    {"arena_leaks_when_table_cannot_grow", "arena mappings outside the table after the table's growth is refused",
     [] {
       Allocator allocator;
       allocator.set_failure_plan({FailurePlan::Mode::Once, 3});  // the allocate, the mapping, the growth
       allocator.allocate(16);
       const AllocatorStats stats = allocator.stats();
       return static_cast<std::int64_t>(stats.arena_mappings_live - stats.arenas_mapped);
     },
     0, 1},
    {"append_keeps_size_on_failed_growth", "size of a 4-item list after a refused append",
     [] {
       Scene s;
       Object* list = four_item_list(s);
       refuse_an_append(s, list);
       return static_cast<std::int64_t>(Heap::list_size(list));  // the list is left alive: its last slot is garbage
     },
     4, 5},
    {"failed_growth_frees_items", "blocks the allocator lost in a refused append to a 4-item list",
     [] {
       Scene s;
       Object* list = four_item_list(s);
       const std::size_t live = s.allocator.stats().small_blocks_live;
       refuse_an_append(s, list);  // the item array's move from 4 to 8 slots
       return static_cast<std::int64_t>(live - s.allocator.stats().small_blocks_live);  // the list is left alive
     },
     0, 1},
};

const BugCase* find_case(std::string_view bug) {
  for (const BugCase& c : bug_cases)
    if (c.bug == bug) return &c;
  return nullptr;
}

bool is_catalogued(std::string_view name) {
  const auto catalog = seeded_bugs::catalog();
  return std::any_of(catalog.begin(), catalog.end(), [&](const seeded_bugs::Bug& b) { return b.name == name; });
}

}  // namespace

namespace seeded_bugs {
// Test parameters print as their names.
void PrintTo(const Bug& bug, std::ostream* os) { *os << bug.name; }
}  // namespace seeded_bugs

namespace {

class SeededBugTest : public ::testing::TestWithParam<seeded_bugs::Bug> {
 protected:
  void TearDown() override { seeded_bugs::disable_all(); }
};

TEST_P(SeededBugTest, ChangesBehaviour) {
  const seeded_bugs::Bug& bug = GetParam();
  const BugCase* c = find_case(bug.name);
  ASSERT_NE(c, nullptr) << "no directed scenario for " << bug.name;
  ASSERT_NE(c->correct, c->with_bug);

  seeded_bugs::disable_all();
  EXPECT_EQ(c->observe(), c->correct) << c->observed << ", with no bug active";
  ASSERT_TRUE(seeded_bugs::enable(bug.name));
  EXPECT_EQ(seeded_bugs::active(), bug.name);
  EXPECT_EQ(c->observe(), c->with_bug) << c->observed << ", with " << bug.name << " active";
}

INSTANTIATE_TEST_SUITE_P(Catalog, SeededBugTest,
                         ::testing::ValuesIn(seeded_bugs::catalog().begin(), seeded_bugs::catalog().end()),
                         [](const ::testing::TestParamInfo<seeded_bugs::Bug>& info) {
                           return std::string(info.param.name);
                         });

// --- the catalog and the switch ----------------------------------------------------

TEST(SeededBugs, CatalogHasUniqueSnakeCaseNames) {
  const auto catalog = seeded_bugs::catalog();
  EXPECT_GE(catalog.size(), 16u);
  std::set<std::string_view> names;
  for (const seeded_bugs::Bug& bug : catalog) {
    EXPECT_TRUE(names.insert(bug.name).second) << "duplicate name " << bug.name;
    ASSERT_FALSE(bug.name.empty());
    EXPECT_TRUE(std::all_of(bug.name.begin(), bug.name.end(),
                            [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'; }))
        << bug.name;
  }
}

TEST(SeededBugs, EveryBugHasAnAreaAndADescription) {
  const std::set<std::string_view> areas{"allocator",  "refcount", "collector", "generations", "freeze",
                                         "finalizers", "weakrefs", "trashcan",  "free list", "out of memory"};
  std::set<std::string_view> covered;
  for (const seeded_bugs::Bug& bug : seeded_bugs::catalog()) {
    EXPECT_TRUE(areas.contains(bug.area)) << bug.name << ": area '" << bug.area << "'";
    covered.insert(bug.area);
    EXPECT_GE(bug.description.size(), 80u) << bug.name << " needs a real description";
  }
  EXPECT_EQ(covered, areas) << "every area has at least one bug";
}

TEST(SeededBugs, EveryDirectedScenarioNamesACataloguedBug) {
  for (const BugCase& c : bug_cases) EXPECT_TRUE(is_catalogued(c.bug)) << c.bug;
}

TEST(SeededBugs, EnableAcceptsOnlyCataloguedNames) {
  const std::string_view first = seeded_bugs::catalog().front().name;
  ASSERT_TRUE(seeded_bugs::enable(first));
  EXPECT_FALSE(seeded_bugs::enable("no_such_bug"));
  EXPECT_FALSE(seeded_bugs::enable(""));
  EXPECT_FALSE(seeded_bugs::enable(std::string(first) + "_"));
  EXPECT_EQ(seeded_bugs::active(), first) << "a rejected name leaves the active bug alone";
  seeded_bugs::disable_all();
  EXPECT_TRUE(seeded_bugs::active().empty());
}

// The environment is read on the first query only, so each of these resets the
// switch to unread in a child process (a death test) before querying.
void query_with_environment(const char* value) {
  setenv("GCHEAP_SEEDED_BUG", value, 1);
  seeded_bugs::active_bug = seeded_bugs::BugId::unread;
  std::exit(seeded_bugs::active() == value ? 0 : 1);
}

TEST(SeededBugsEnvironment, SelectsTheNamedBug) {
  EXPECT_EXIT(query_with_environment("subtract_refs_skips_last_item"), ::testing::ExitedWithCode(0), "");
}

TEST(SeededBugsEnvironment, EmptyMeansNone) {
  EXPECT_EXIT(query_with_environment(""), ::testing::ExitedWithCode(0), "");
}

TEST(SeededBugsEnvironment, UnknownNameExitsListingTheValidOnes) {
  EXPECT_EXIT(query_with_environment("subtract_refs_skip_last_item"), ::testing::ExitedWithCode(2),
              "GCHEAP_SEEDED_BUG=subtract_refs_skip_last_item: no such seeded bug(.|\n)*"
              "subtract_refs_skips_last_item \\(collector\\)");
}

TEST(SeededBugsEnvironment, TheHeapsFirstQueryReadsIt) {
  EXPECT_EXIT(
      {
        setenv("GCHEAP_SEEDED_BUG", "list_append_double_counts_item", 1);
        seeded_bugs::active_bug = seeded_bugs::BugId::unread;
        Allocator allocator;
        Heap heap(allocator);
        Object* item = heap.new_str(0);
        heap.list_append(heap.new_list(0), item);
        std::exit(static_cast<int>(item->refcount));
      },
      ::testing::ExitedWithCode(2), "");
}

}  // namespace
}  // namespace gcheap

#else

TEST(SeededBugs, NeedTheSeededBugsBuild) {
  static_assert(!gcheap::kSeededBugsBuild);
  GTEST_SKIP() << "gcheap was built without GCV_SEEDED_BUGS (use the `bugs` preset)";
}

#endif
