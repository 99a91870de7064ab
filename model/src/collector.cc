// The reference model's gc module: CPython 3.8–3.11's three-generation cycle
// collector, as specified (section 3), not as implemented.
//
// Every live container is in generation 0, 1 or 2, or in the permanent
// generation after gc.freeze(); atoms are untracked. A collection of
// generation g looks at the set C of live containers in generations 0..g. A
// member of C is reachable when a path of references leads to it from outside
// C: from a name, or from any live object not in C (older generations and
// frozen objects act as roots even when they are garbage themselves). That is
// a plain graph search, done here with Boost.Graph over C plus one vertex that
// stands for "outside". The unreachable members are garbage: each one drops its
// references, and reference counting frees them together with whatever only
// they kept alive. The survivors move one generation up.
#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <iterator>

#include "reference_model.h"

namespace gcv {

// --- counts: allocations and deallocations of containers -----------------------

// _PyObject_GC_Link: count0 counts the new container; when it exceeds
// threshold0, collection is enabled, threshold0 is not 0 and no collection is
// running, an automatic collection runs.
void ReferenceModel::container_allocated() {
  gc_.count[0] += 1;
  if (gc_.count[0] > gc_.threshold[0] && gc_.enabled && gc_.threshold[0] != 0 && !gc_.collecting) {
    collect_automatically();
  }
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
std::int64_t ReferenceModel::collect(int generation) {
  if (generation < 0 || generation > 2) return 0;
  return collect_unless_collecting(generation);
}

// A collection requested while one is running does nothing and returns 0.
std::int64_t ReferenceModel::collect_unless_collecting(int generation) {
  if (gc_.collecting) return 0;
  gc_.collecting = true;
  std::int64_t collected = collect_generation(generation);
  gc_.collecting = false;
  return collected;
}

// The callbacks' ("start", info) and ("stop", info); nothing is ever
// uncollectable without finalizers.
static Event collection_event(Event::Type type, int generation, std::int64_t collected) {
  Event event;
  event.type = type;
  event.generation = generation;
  event.collected = collected;
  return event;
}

// gc_collect_main for generation g; returns the number of objects collected.
std::int64_t ReferenceModel::collect_generation(int generation) {
  events_.push_back(collection_event(Event::Type::CollectionStart, generation, 0));

  // Collecting g counts one collection of g for generation g+1 and restarts
  // the counts of generations 0..g.
  if (generation < 2) gc_.count[generation + 1] += 1;
  for (int younger = 0; younger <= generation; ++younger) gc_.count[younger] = 0;

  std::vector<Serial> collected_set;
  for (Serial serial : live()) {
    int object_generation = objects_[serial].generation;
    if (object_generation >= 0 && object_generation <= generation) collected_set.push_back(serial);
  }
  std::vector<Serial> garbage = find_unreachable(collected_set);

  // Survivors move to the next generation; generation 2's stay. A generation-1
  // collection adds its survivors to long_lived_pending; a full collection
  // makes its survivors the new long_lived_total.
  std::vector<Serial> survivors;
  std::set_difference(collected_set.begin(), collected_set.end(), garbage.begin(), garbage.end(),
                      std::back_inserter(survivors));
  for (Serial serial : survivors) objects_[serial].generation = std::min(generation + 1, 2);
  if (generation == 1) gc_.long_lived_pending += static_cast<std::int64_t>(survivors.size());
  if (generation == 2) {
    gc_.long_lived_total = static_cast<std::int64_t>(survivors.size());
    gc_.long_lived_pending = 0;
  }

  delete_garbage(garbage);

  std::int64_t collected = static_cast<std::int64_t>(garbage.size());
  gc_.stats[generation].collections += 1;
  gc_.stats[generation].collected += collected;
  events_.push_back(collection_event(Event::Type::CollectionStop, generation, collected));
  return collected;
}

// The members of `collected_set` (ascending serials) that no path of
// references reaches from outside the set. Vertex 0 is "outside": it has an
// edge to every member a name refers to and to every member a live object
// outside the set refers to. Vertex i + 1 is collected_set[i].
std::vector<Serial> ReferenceModel::find_unreachable(const std::vector<Serial>& collected_set) {
  using Graph = boost::compressed_sparse_row_graph<boost::directedS>;
  constexpr std::size_t kOutside = 0;
  std::vector<std::size_t> vertex_of(objects_.size(), kOutside);  // serial -> vertex
  for (std::size_t i = 0; i < collected_set.size(); ++i) vertex_of[collected_set[i]] = i + 1;

  std::vector<std::pair<std::size_t, std::size_t>> edges;
  auto add_reference = [&](std::size_t from, ObjectKey to) {
    if (!to.is_serial()) return;  // small ints hold nothing and are never collected
    const std::size_t target = vertex_of[to.as_serial()];
    if (target != kOutside) edges.emplace_back(from, target);
  };
  for (const std::optional<ObjectKey>& name : names_) {
    if (name) add_reference(kOutside, *name);
  }
  for (Serial serial : live()) {
    for (ObjectKey item : objects_[serial].slots) add_reference(vertex_of[serial], item);
  }
  const Graph graph(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), collected_set.size() + 1);

  std::vector<boost::default_color_type> color(boost::num_vertices(graph));
  boost::breadth_first_search(graph, kOutside,
                              boost::color_map(boost::make_iterator_property_map(
                                  color.begin(), boost::get(boost::vertex_index, graph))));

  std::vector<Serial> unreachable;
  for (std::size_t i = 0; i < collected_set.size(); ++i) {
    if (color[i + 1] == boost::white_color) unreachable.push_back(collected_set[i]);
  }
  return unreachable;
}

// delete_garbage: each unreachable object still alive drops its references
// (tp_clear). Nothing outside the garbage refers to it, so once all of them
// have done so every one has died by refcount, and so has every object that
// only the garbage kept alive (old or frozen ones included; those are not
// counted as collected).
void ReferenceModel::delete_garbage(const std::vector<Serial>& garbage) {
  std::vector<Serial> dying;
  for (Serial serial : garbage) {
    if (!objects_[serial].alive) continue;
    release_slots(serial, dying);
    release_all(dying);
  }
}

// --- tuning and the permanent generation ---------------------------------------------

// gc.set_threshold(t0[, t1[, t2]]): omitted values stay unchanged. 0 for t0
// disables automatic collection.
void ReferenceModel::set_threshold(int arity, std::array<std::int64_t, 3> values) {
  for (int i = 0; i < std::clamp(arity, 0, 3); ++i) gc_.threshold[i] = values[i];
}

void ReferenceModel::enable() { gc_.enabled = true; }
void ReferenceModel::disable() { gc_.enabled = false; }

// gc_freeze_impl: generations 0, 1 and 2 are merged into the permanent
// generation, which later collections ignore, and all three counts are zeroed.
void ReferenceModel::freeze() {
  for (Serial serial : live()) {
    ModelObject& object = objects_[serial];
    if (object.generation < 0 || object.generation > 2) continue;
    object.generation = kPermanentGeneration;
    gc_.permanent_count += 1;
  }
  gc_.count = {0, 0, 0};
}

// gc_unfreeze_impl: the permanent generation goes back into generation 2; the
// counts are left alone.
void ReferenceModel::unfreeze() {
  for (Serial serial : live()) {
    if (objects_[serial].generation == kPermanentGeneration) objects_[serial].generation = 2;
  }
  gc_.permanent_count = 0;
}

CollectorState ReferenceModel::collector_state() {
  CollectorState state;
  state.count = gc_.count;
  state.threshold = gc_.threshold;
  state.enabled = gc_.enabled;
  state.stats = gc_.stats;
  state.freeze_count = gc_.permanent_count;
  return state;
}

}  // namespace gcv
