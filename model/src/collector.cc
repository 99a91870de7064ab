// The reference model's gc module: CPython 3.8–3.11's three-generation cycle
// collector, as specified (sections 3, 4 and 6), not as implemented.
//
// Every live tracked object (container or weakref) is in a generation list,
// 0, 1 or 2, or in the permanent generation after gc.freeze(); atoms are
// untracked. New and resurrected objects are appended to generation 0; a
// list's order is the order of the objects' list_position stamps.
//
// A collection of generation g looks at the list of generation g followed by
// those of 0..g-1. A member is reachable when a path of references leads to
// it from outside the list: from a name, an entry of gc.garbage, a reference
// the machinery holds, or any live object not in the list (older generations
// and frozen objects act as roots even when they are garbage themselves).
// That is a plain graph search, done here with Boost.Graph over the members
// plus one vertex that stands for "outside". Which members are referred to
// from outside follows from the model's refcounts, which count every
// reference there is (refcount.cc): a member holds references from outside
// when its refcount exceeds the references the members' own slots hold to
// it. So a collection costs what its generations hold, not the whole heap. Survivors move one generation
// up, in the order CPython's scan leaves them (kept_in_walk_order: it decides
// which finalizer a later collection runs first). The unreachable set U then goes through CPython's phases
// (gc_collect_main), each a function below:
//   1. move_legacy_finalizers: members with a legacy finalizer (tp_del), and
//      the members they reach, leave U; they are uncollectable.
//   2. handle_weakrefs: weakrefs in U and weakrefs to members of U are
//      cleared; then the callbacks of those not in U run.
//   3. finalize_garbage: members' finalizers that have not run, run.
//   4. handle_resurrected_objects: the search runs again over what is left
//      of U; members now reachable are resurrected (under 3.8's profile,
//      one resurrected member keeps all of U).
//   5. delete_garbage: the rest goes to gc.garbage (DEBUG_SAVEALL) or drops
//      its references, so that reference counting frees it together with
//      whatever only it kept alive.
//   6. handle_legacy_finalizers: the uncollectable still alive are counted
//      and those with tp_del (all with DEBUG_SAVEALL) appended to gc.garbage.
//   7. A generation-2 collection empties the free lists (clear_freelists).
// User code run by these phases may free members of U by refcount, or
// re-track them in generation 0 (a finalizer run by such a death): a phase
// only handles the members still in its list, as CPython's list walks do.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/range/iterator_range.hpp>
#include <boost/pending/queue.hpp>
#include <utility>

#include "reference_model.h"

namespace gcv {
namespace {

// Vertex 0 is "outside"; vertex i + 1 is the i-th member of the searched list.
// Built from edges sorted by source, it keeps each vertex's edges in the
// order given: slot order. 32-bit vertices and edges keep a collection of
// ten million members within a few hundred megabytes.
using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                 boost::no_property, std::uint32_t, std::uint32_t>;
using Vertex = Graph::vertex_descriptor;
constexpr Vertex kOutside = 0;

struct DiscoveryRecorder : boost::default_bfs_visitor {
  std::vector<Vertex>* order;
  void discover_vertex(Vertex v, const Graph&) const { order->push_back(v); }
};

// The vertices a breadth-first search from `sources` discovers, in the order
// it discovers them (the sources first, in order).
std::vector<Vertex> discovered_from(const Graph& graph, const std::vector<Vertex>& sources) {
  std::vector<Vertex> order;
  order.reserve(boost::num_vertices(graph));
  std::vector<boost::default_color_type> color(boost::num_vertices(graph));
  boost::queue<Vertex> queue;
  DiscoveryRecorder recorder;
  recorder.order = &order;
  boost::breadth_first_search(graph, sources.begin(), sources.end(), queue, recorder,
                              boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, graph)));
  return order;
}

Event collection_event(Event::Type type, int generation, std::int64_t collected, std::int64_t uncollectable) {
  return {.type = type, .key = {}, .generation = generation, .collected = collected, .uncollectable = uncollectable};
}

}  // namespace

// --- generation lists -----------------------------------------------------------

bool ReferenceModel::is_tracked_kind(ObjectKind kind) {
  return kind == ObjectKind::Container || kind == ObjectKind::Weakref;
}

// Appends the object to the end of a list: a generation, or one of a
// running collection's lists.
void ReferenceModel::track(Serial serial, int generation) {
  ModelObject& object = changing(serial);
  count_frozen(object.generation, generation);
  object.generation = static_cast<std::int8_t>(generation);
  object.list_position = ++list_clock_;
  if (generation >= 0 && generation <= kPermanentGeneration)
    generation_lists_[generation].push_back({serial, object.list_position});
}

void ReferenceModel::untrack(Serial serial) {
  count_frozen(objects_[serial].generation, kUntracked);
  changing(serial).generation = static_cast<std::int8_t>(kUntracked);
}

// A live callbacks tuple is reachable (its dealloc holds it): the ones in
// generations 0..from_up_to move to `to`. Returns how many moved.
std::int64_t ReferenceModel::move_callbacks_tuples(int from_up_to, int to) {
  std::int64_t moved = 0;
  for (CallbacksTuple& tuple : callbacks_tuples_) {
    if (!tuple.alive || tuple.generation < 0 || tuple.generation > from_up_to) continue;
    count_frozen(tuple.generation, to);
    tuple.generation = static_cast<std::int8_t>(to);
    moved += 1;
  }
  return moved;
}

// clear_freelists: the list free list is emptied uncounted (CPython's lists
// skip the count both ways); each kept tuple is freed by PyObject_GC_Del,
// taking one from count0 while it is above 0.
void ReferenceModel::clear_free_lists() {
  list_free_list_.clear();
  gc_.count[0] = std::max<std::int64_t>(0, gc_.count[0] - tuple_free_list_.total());
  tuple_free_list_ = TupleFreeList{};
}

// gc.get_freeze_count(), kept as objects move.
void ReferenceModel::count_frozen(int from, int to) {
  frozen_ += (to == kPermanentGeneration) - (from == kPermanentGeneration);
}

// The members of one list, in list order; drops the entries that no longer stand.
std::vector<Serial> ReferenceModel::generation_list(int generation) {
  std::vector<ListEntry>& entries = generation_lists_[generation];
  std::erase_if(entries, [&](const ListEntry& e) {
    const ModelObject& object = objects_[e.serial];
    return !object.alive || object.generation != generation || object.list_position != e.position;
  });
  std::vector<Serial> list;
  list.reserve(entries.size());
  for (const ListEntry& e : entries) list.push_back(e.serial);
  return list;
}

// The members of `list` that are still alive in the list `where`.
std::vector<Serial> ReferenceModel::members_still_in(const std::vector<Serial>& list, int where) {
  std::vector<Serial> members;
  members.reserve(list.size());
  for (Serial serial : list) {
    if (objects_[serial].alive && objects_[serial].generation == where) members.push_back(serial);
  }
  return members;
}

// --- counts: allocations and deallocations of tracked objects ------------------

// _PyObject_GC_Link: count0 counts the new container; when it exceeds
// threshold0, collection is enabled, threshold0 is not 0 and no collection is
// running, an automatic collection runs: now (InAllocation), or at the next
// eval breaker (AtEvalBreaker). A machine without Generations never
// collects automatically.
void ReferenceModel::container_allocated() {
  gc_.count[0] += 1;
  if (gc_.count[0] > gc_.threshold[0] && gc_.enabled && gc_.threshold[0] != 0 && !gc_.collecting &&
      capabilities_.has(Capability::Generations)) {
    if (profile_.automatic == AutomaticCollection::AtEvalBreaker) gc_.scheduled = true;
    else collect_automatically();
  }
}

// _Py_HandlePending's _Py_RunGC: the scheduled collection runs on the counts
// as they are now, whether or not collection is still enabled.
void ReferenceModel::eval_breaker() {
  if (!gc_.scheduled) return;
  gc_.scheduled = false;
  const int units = c_recursion_units(2);  // the Python frame whose check runs it
  trashcan_.depth += units;
  collect_automatically();
  trashcan_.depth -= units;
}

// PyObject_GC_Del: every container freed, by refcount or by a collection,
// takes one back from count0, which never goes below 0.
void ReferenceModel::container_freed() {
  if (gc_.count[0] > 0) gc_.count[0] -= 1;
}

// collect_generations: the oldest generation whose count exceeds its
// threshold is collected, but generation 2 only once the containers moved into
// it since the last full collection reach 25% of that collection's survivors.
void ReferenceModel::collect_automatically() {
  for (int generation = 2; generation >= 0; --generation) {
    if (gc_.count[generation] <= gc_.threshold[generation]) continue;
    if (generation == 2 && gc_.long_lived_pending < gc_.long_lived_total / 4) continue;
    collect_unless_collecting(generation);
    return;
  }
}

// --- collections ------------------------------------------------------------------

// gc.collect(generation) works whether or not automatic collection is enabled.
// An invalid generation is refused (CPython raises ValueError) and does nothing.
// Without Generations every collection is a full one.
std::int64_t ReferenceModel::collect(int generation) {
  if (generation < 0 || generation > 2) return 0;
  if (!capabilities_.has(Capability::Generations)) generation = 2;
  const int units = c_recursion_units(1);  // gc.collect is a C function's call
  trashcan_.depth += units;
  const std::int64_t result = collect_unless_collecting(generation);
  trashcan_.depth -= units;
  return result;
}

// A collection requested while one is running (by user code it runs) does
// nothing and returns 0. One requested by user code run by a death by
// refcount outside a collection is a real one.
std::int64_t ReferenceModel::collect_unless_collecting(int generation) {
  if (gc_.collecting) return 0;
  gc_.collecting = true;
  std::int64_t result = collect_generation(generation);
  gc_.collecting = false;
  return result;
}

// gc_collect_main for generation g; returns collected + uncollectable.
std::int64_t ReferenceModel::collect_generation(int generation) {
  events_.push_back(collection_event(Event::Type::CollectionStart, generation, 0, 0));

  // Collecting g counts one collection of g for generation g+1 and restarts
  // the counts of generations 0..g.
  if (generation < 2) gc_.count[generation + 1] += 1;
  for (int younger = 0; younger <= generation; ++younger) gc_.count[younger] = 0;

  Partition young = find_unreachable(collection_list(generation));
  std::vector<Serial> unreachable = std::move(young.unreachable);
  for (Serial serial : unreachable) track(serial, kUnreachableList);

  // Survivors move to the end of the next generation, in walk order
  // (generation 2's are re-appended to it in that order). A generation-1
  // collection adds them to long_lived_pending; a full collection makes them
  // the new long_lived_total.
  const int older = std::min(generation + 1, 2);
  for (Serial serial : young.reachable) track(serial, older);
  const auto survivors = static_cast<std::int64_t>(young.reachable.size()) + move_callbacks_tuples(generation, older);
  if (generation == 1) gc_.long_lived_pending += survivors;
  if (generation == 2) {
    gc_.long_lived_total = survivors;
    gc_.long_lived_pending = 0;
  }

  const std::vector<Serial> finalizers = move_legacy_finalizers(unreachable);
  unreachable = members_still_in(unreachable, kUnreachableList);
  std::int64_t collected = handle_weakrefs(unreachable, older);
  finalize_garbage(unreachable);
  const std::vector<Serial> garbage = handle_resurrected_objects(unreachable, older);
  collected += static_cast<std::int64_t>(garbage.size());
  delete_garbage(garbage, older);
  const std::int64_t uncollectable = handle_legacy_finalizers(finalizers, older);
  if (generation == 2) clear_free_lists();

  gc_.stats[generation].collections += 1;
  gc_.stats[generation].collected += collected;
  gc_.stats[generation].uncollectable += uncollectable;
  events_.push_back(collection_event(Event::Type::CollectionStop, generation, collected, uncollectable));
  return collected + uncollectable;
}

// The younger generations are merged into generation g: its list, then
// generation 0's, ..., generation g-1's.
std::vector<Serial> ReferenceModel::collection_list(int generation) {
  std::vector<Serial> list = generation_list(generation);
  for (int younger = 0; younger < generation; ++younger) {
    const std::vector<Serial> more = generation_list(younger);
    list.insert(list.end(), more.begin(), more.end());
  }
  return list;
}

// The reference graph over `member_count` members (see discovered_from)
// from its edges, sorted by source (each source's in slot order).
static Graph reference_graph(std::size_t member_count, const std::vector<std::pair<Vertex, Vertex>>& edges) {
  return Graph(boost::edges_are_sorted, edges.begin(), edges.end(), member_count + 1);
}

// CPython's move_unreachable walks the list once; the order it leaves the
// survivors in decides the order of later collections' lists, hence which
// finalizer runs first. A member referenced from outside the list, or by a
// member kept before it, is kept where it is; one that is neither is set
// aside, and goes to the end of the list (to be walked again there) when a
// member kept later refers to it. Returns the kept vertices in that order.
static std::vector<Vertex> kept_in_walk_order(const Graph& graph) {
  enum class Mark : char { Unseen, Referenced, Kept, SetAside };
  const std::size_t vertices = boost::num_vertices(graph);
  std::vector<Mark> mark(vertices, Mark::Unseen);
  for (Vertex v : boost::make_iterator_range(boost::adjacent_vertices(kOutside, graph))) mark[v] = Mark::Referenced;
  std::vector<Vertex> list;
  list.reserve(2 * vertices);  // each vertex is set aside and walked again at most once
  for (Vertex v = kOutside + 1; v < vertices; ++v) list.push_back(v);
  std::vector<Vertex> kept;
  kept.reserve(vertices);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Vertex v = list[i];
    if (mark[v] == Mark::Unseen) {
      mark[v] = Mark::SetAside;
      continue;
    }
    mark[v] = Mark::Kept;
    kept.push_back(v);
    for (Vertex w : boost::make_iterator_range(boost::adjacent_vertices(v, graph))) {
      if (mark[w] == Mark::SetAside) list.push_back(w);
      if (mark[w] == Mark::SetAside || mark[w] == Mark::Unseen) mark[w] = Mark::Referenced;
    }
  }
  return kept;
}

// Splits `candidates` (a list, in order) into the members no path of
// references reaches from outside them, in list order, and the rest, in the
// order CPython's walk leaves them (kept_in_walk_order). The graph search
// decides who is reachable; the walk only orders them, and must agree.
ReferenceModel::Partition ReferenceModel::find_unreachable(const std::vector<Serial>& candidates) {
  if (candidates.empty()) return {};
  vertex_of_.resize(objects_.size(), kOutside);  // serial -> vertex
  for (std::size_t i = 0; i < candidates.size(); ++i) vertex_of_[candidates[i]] = static_cast<Vertex>(i + 1);

  // The member a slot refers to, or kOutside (small ints hold nothing and
  // are never collected).
  const auto member = [&](ObjectKey item) { return item.is_serial() ? vertex_of_[item.as_serial()] : kOutside; };
  // How many references each member receives from members...
  std::vector<std::int64_t> from_inside(candidates.size() + 1, 0);
  for (Serial serial : candidates)
    for (ObjectKey item : objects_[serial].slots) from_inside[member(item)] += 1;
  // ... so "outside" refers to every member with more references than
  // that; then the members' references to members, in slot order.
  std::vector<std::pair<Vertex, Vertex>> edges;
  std::size_t inside = 0;
  for (std::size_t i = 1; i < from_inside.size(); ++i) inside += static_cast<std::size_t>(from_inside[i]);
  edges.reserve(candidates.size() + inside);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (objects_[candidates[i]].refcount > from_inside[i + 1]) edges.emplace_back(kOutside, static_cast<Vertex>(i + 1));
  }
  from_inside = {};
  for (std::size_t i = 0; i < candidates.size(); ++i)
    for (ObjectKey item : objects_[candidates[i]].slots)
      if (const Vertex to = member(item); to != kOutside) edges.emplace_back(static_cast<Vertex>(i + 1), to);
  for (Serial serial : candidates) vertex_of_[serial] = kOutside;
  const Graph graph = reference_graph(candidates.size(), edges);

  std::vector<bool> reached(candidates.size() + 1, false);
  for (Vertex v : discovered_from(graph, {kOutside})) reached[v] = true;
  Partition partition;
  partition.reachable.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!reached[i + 1]) partition.unreachable.push_back(candidates[i]);
  }
  for (Vertex v : kept_in_walk_order(graph)) partition.reachable.push_back(candidates[v - 1]);
  if (partition.reachable.size() + partition.unreachable.size() != candidates.size()) {
    std::fprintf(stderr, "reference model: the list walk and the graph search disagree on reachability\n");
    std::abort();
  }
  return partition;
}

// Phase 1 (move_legacy_finalizers, move_legacy_finalizer_reachable): the
// members with tp_del, in U's order, then the members they reach in the
// order a breadth-first walk over slots finds them, move to the finalizers
// list. Returns that list.
std::vector<Serial> ReferenceModel::move_legacy_finalizers(const std::vector<Serial>& unreachable) {
  std::vector<Vertex> sources;
  for (std::size_t i = 0; i < unreachable.size(); ++i) {
    if (objects_[unreachable[i]].legacy_finalizer) sources.push_back(static_cast<Vertex>(i + 1));
  }
  if (sources.empty()) return {};
  vertex_of_.resize(objects_.size(), kOutside);
  for (std::size_t i = 0; i < unreachable.size(); ++i) vertex_of_[unreachable[i]] = static_cast<Vertex>(i + 1);
  std::vector<std::pair<Vertex, Vertex>> edges;
  for (std::size_t i = 0; i < unreachable.size(); ++i) {
    for (ObjectKey item : objects_[unreachable[i]].slots) {
      if (item.is_serial() && vertex_of_[item.as_serial()] != kOutside)
        edges.emplace_back(static_cast<Vertex>(i + 1), vertex_of_[item.as_serial()]);
    }
  }
  for (Serial serial : unreachable) vertex_of_[serial] = kOutside;
  std::vector<Serial> finalizers;
  for (Vertex v : discovered_from(reference_graph(unreachable.size(), edges), sources)) {
    finalizers.push_back(unreachable[v - 1]);
    track(unreachable[v - 1], kFinalizersList);
  }
  return finalizers;
}

// Phase 2: every weakref in U, and every weakref to a member of U (newest
// first per member, members in U's order), is cleared before any callback
// runs, so no callback can reach a member of U. Then the callbacks of the
// cleared weakrefs not in U run, in that order, each weakref held by the
// collector meanwhile. One that its own callback left unreferenced is freed
// and counted as collected; one still alive moves to the end of the older
// generation, wherever it was (even frozen).
std::int64_t ReferenceModel::handle_weakrefs(const std::vector<Serial>& unreachable, int older) {
  std::vector<Serial> due;
  for (Serial member : unreachable) {
    if (objects_[member].kind == ObjectKind::Weakref) clear_weakref(member);
    const std::vector<Serial> weakrefs = objects_[member].rare_fields().weakrefs;
    for (auto weakref = weakrefs.rbegin(); weakref != weakrefs.rend(); ++weakref) {
      clear_weakref(*weakref);
      if (!objects_[*weakref].rare_fields().callback || objects_[*weakref].generation == kUnreachableList) continue;
      due.push_back(*weakref);
    }
  }
  // Held in reverse, so each one's reference is on top when its callback ends.
  for (auto weakref = due.rbegin(); weakref != due.rend(); ++weakref) hold(ObjectKey::serial(*weakref));
  std::int64_t freed = 0;
  for (Serial weakref : due) {
    run_callback(weakref);
    release_held(held_.size() - 1);
    if (objects_[weakref].alive) {
      track(weakref, older);
    } else {
      freed += 1;
    }
  }
  return freed;
}

// Phase 3: each member still in U whose finalizer has not run is finalized,
// in U's order, with the collector holding a reference meanwhile.
void ReferenceModel::finalize_garbage(const std::vector<Serial>& unreachable) {
  for (Serial member : unreachable) {
    const ModelObject& object = objects_[member];
    if (object.generation != kUnreachableList || !object.has_finalizer || object.finalized) continue;
    hold(ObjectKey::serial(member));
    run_finalizer(member);
    release_held(held_.size() - 1);
  }
}

// Phase 4: the search runs again over the members still in U. Those now
// reachable (a finalizer stored a reference somewhere live), and what they
// reach, are resurrected: they move to the older generation, keep their
// cleared weakrefs, and are not counted. Returns the rest, the garbage.
// Under a BlocksBatch profile (3.8), one resurrected member keeps them all:
// every member joins the older generation in list order, and none is garbage.
std::vector<Serial> ReferenceModel::handle_resurrected_objects(const std::vector<Serial>& unreachable, int older) {
  const std::vector<Serial> members = members_still_in(unreachable, kUnreachableList);
  Partition remaining = find_unreachable(members);
  if (profile_.resurrection == Resurrection::BlocksBatch && !remaining.reachable.empty()) {
    for (Serial member : members) track(member, older);
    return {};
  }
  for (Serial member : remaining.reachable) track(member, older);
  return std::move(remaining.unreachable);
}

// Phase 5: with DEBUG_SAVEALL each member goes to gc.garbage; otherwise it
// drops its references (tp_clear, with the collector holding one to it),
// which frees the garbage by refcount, together with whatever only it kept
// alive (old or frozen objects included; those are not counted). A member
// still alive afterwards moves to the older generation; it may die later.
void ReferenceModel::delete_garbage(const std::vector<Serial>& garbage, int older) {
  for (Serial member : garbage) {
    if (objects_[member].generation != kUnreachableList) continue;
    if (gc_.saveall) {
      add_ref(ObjectKey::serial(member));
      gc_.garbage.push_back(ObjectKey::serial(member));
    } else {
      hold(ObjectKey::serial(member));
      clear_slots(changing(member).slots);
      release_held(held_.size() - 1);
    }
    if (objects_[member].alive && objects_[member].generation == kUnreachableList) track(member, older);
  }
}

// Phase 6: the uncollectable still in the finalizers list are counted; those
// with tp_del (every one with DEBUG_SAVEALL) get an entry in gc.garbage; all
// move to the older generation. Returns the count.
std::int64_t ReferenceModel::handle_legacy_finalizers(const std::vector<Serial>& finalizers, int older) {
  const std::vector<Serial> uncollectable = members_still_in(finalizers, kFinalizersList);
  for (Serial member : uncollectable) {
    if (gc_.saveall || objects_[member].legacy_finalizer) {
      add_ref(ObjectKey::serial(member));
      gc_.garbage.push_back(ObjectKey::serial(member));
    }
    track(member, older);
  }
  return static_cast<std::int64_t>(uncollectable.size());
}

// --- tuning and the permanent generation ---------------------------------------------

// gc.set_threshold(t0[, t1[, t2]]): omitted values stay unchanged. 0 for t0
// disables automatic collection.
void ReferenceModel::set_threshold(int arity, std::array<std::int64_t, 3> values) {
  for (int i = 0; i < std::clamp(arity, 0, 3); ++i) gc_.threshold[i] = values[i];
}

void ReferenceModel::enable() { gc_.enabled = true; }
void ReferenceModel::disable() { gc_.enabled = false; }

// gc_freeze_impl: generations 0, 1 and 2, in that order, are appended to the
// permanent generation, which later collections ignore; all counts are zeroed.
void ReferenceModel::freeze() {
  for (int generation = 0; generation <= 2; ++generation) {
    for (Serial serial : generation_list(generation)) track(serial, kPermanentGeneration);
  }
  move_callbacks_tuples(2, kPermanentGeneration);
  gc_.count = {0, 0, 0};
}

// gc_unfreeze_impl: the permanent generation is appended to generation 2;
// the counts are left alone.
void ReferenceModel::unfreeze() {
  for (Serial serial : generation_list(kPermanentGeneration)) track(serial, 2);
  for (CallbacksTuple& tuple : callbacks_tuples_) {
    if (!tuple.alive || tuple.generation != kPermanentGeneration) continue;
    count_frozen(kPermanentGeneration, 2);
    tuple.generation = 2;
  }
}

CollectorState ReferenceModel::collector_state() {
  CollectorState state;
  state.count = gc_.count;
  state.threshold = gc_.threshold;
  state.enabled = gc_.enabled;
  state.stats = gc_.stats;
  state.list_free_list = list_free_list_.length;
  state.freeze_count = frozen_;
  return state;
}

}  // namespace gcv
