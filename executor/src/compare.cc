// Comparison of the model and the system under test. Each function returns the
// first difference it finds, worded as model-expected versus system-actual.
#include <algorithm>
#include <tuple>
#include <sstream>

#include "executor_internal.h"

namespace gcv {
namespace {



// Events cut into segments: what happened outside collections, and per
// collection its start, what happened in it and its stop. Frees are a set in
// every segment (their order is the heap's business). Finalizers and weakref
// callbacks run user code: outside collections (deaths by refcount) their
// order is specified and compared as a sequence; inside a collection it
// follows the collector's list order, which CPython's move_unreachable
// perturbs and the model does not copy, so there they are a multiset.
struct Segment {
  bool collection = false;
  int generation = 0;
  std::int64_t collected = 0;
  std::int64_t uncollectable = 0;
  bool stopped = false;
  std::vector<ObjectKey> freed;  // sorted
  std::vector<Event> user_code;  // Finalized and CallbackRan, in order
};

std::string user_code_text(const std::vector<Event>& events) {
  std::string text = "[";
  for (std::size_t i = 0; i < events.size(); ++i)
    text += (i ? ", " : "") + std::string(events[i].type == Event::Type::Finalized ? "finalized " : "callback of ") +
            events[i].key.to_string();
  return text + "]";
}

std::vector<Segment> segments_of(const std::vector<Event>& events) {
  std::vector<Segment> segments(1);
  for (const Event& e : events) {
    switch (e.type) {
      case Event::Type::Freed: segments.back().freed.push_back(e.key); break;
      case Event::Type::Finalized:
      case Event::Type::CallbackRan: segments.back().user_code.push_back(e); break;
      case Event::Type::CollectionStart:
        segments.emplace_back();
        segments.back().collection = true;
        segments.back().generation = e.generation;
        break;
      case Event::Type::CollectionStop:
        segments.back().collected = e.collected;
        segments.back().uncollectable = e.uncollectable;
        segments.back().stopped = true;
        segments.emplace_back();
        break;
    }
  }
  for (Segment& s : segments) {
    std::sort(s.freed.begin(), s.freed.end());
    if (s.collection)
      std::sort(s.user_code.begin(), s.user_code.end(), [](const Event& a, const Event& b) {
        return std::tie(a.type, a.key) < std::tie(b.type, b.key);
      });
  }
  return segments;
}

std::string segment_name(const Segment& s, std::size_t collection_number) {
  if (!s.collection) return "outside collections";
  return "during collection " + std::to_string(collection_number) + " (generation " + std::to_string(s.generation) + ")";
}

std::vector<ObjectKey> symmetric_difference(const std::vector<ObjectKey>& a, const std::vector<ObjectKey>& b) {
  std::vector<ObjectKey> out;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}


// Whether the system under test freed anything the model did not: a
// premature free, reported before anything it kept (a leak) as the graver.
bool freed_by_sut_only(const std::vector<ObjectKey>& sut_freed, const std::vector<ObjectKey>& model_freed) {
  return !std::includes(model_freed.begin(), model_freed.end(), sut_freed.begin(), sut_freed.end());
}

// Within a collection, finalizers and callbacks run on what it found to be
// garbage: a system that ran only some of the model's left garbage behind (a
// leak); one that ran all of them and more treated live objects as garbage
// (a premature free). Segments sort their user code, so this is inclusion.
CheckKind user_code_found(const std::vector<Event>& model, const std::vector<Event>& sut) {
  const auto order = [](const Event& a, const Event& b) { return std::tie(a.type, a.key) < std::tie(b.type, b.key); };
  if (std::includes(model.begin(), model.end(), sut.begin(), sut.end(), order)) return CheckKind::Leak;
  if (std::includes(sut.begin(), sut.end(), model.begin(), model.end(), order)) return CheckKind::PrematureFree;
  return CheckKind::UserCode;
}

// A collection that found more garbage (collected or uncollectable) in the
// model than in the system under test left garbage behind: a leak; one that
// found less treated live objects as garbage: a premature free. The same
// total split otherwise is a wrong result.
CheckKind garbage_found(const Segment& model, const Segment& sut) {
  const std::int64_t in_model = model.collected + model.uncollectable, in_sut = sut.collected + sut.uncollectable;
  return in_model > in_sut ? CheckKind::Leak : in_model < in_sut ? CheckKind::PrematureFree : CheckKind::CollectionResult;
}

std::string triple(const std::array<std::int64_t, 3>& v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) + ")";
}

std::string stats_text(const GcStats& s) {
  return "{collections " + std::to_string(s.collections) + ", collected " + std::to_string(s.collected) +
         ", uncollectable " + std::to_string(s.uncollectable) + "}";
}

}  // namespace


std::optional<Difference> compare_events(const std::vector<Event>& model, const std::vector<Event>& sut) {
  if (model == sut) return std::nullopt;  // the usual case, without building segments
  const std::vector<Segment> m = segments_of(model), s = segments_of(sut);
  // Which collections ran first: one that ran on one side only splits the
  // events around it differently, so what the segments hold compares only
  // once the collections agree.
  for (std::size_t i = 0, collection_number = 0; i < std::max(m.size(), s.size()); ++i) {
    if (i >= m.size() || i >= s.size() || m[i].collection != s[i].collection) {
      const bool extra = i >= m.size() || (i < s.size() && s[i].collection);
      return Difference{CheckKind::Collections, "collections",
                        extra ? "no further collection" : "a collection of generation " + std::to_string(m[i].generation),
                        extra ? "a collection of generation " + std::to_string(s[i].generation) : "no collection", {}};
    }
    collection_number += m[i].collection;
    if (m[i].collection && m[i].generation != s[i].generation)
      return Difference{CheckKind::Collections, "collected generation",
                        "collection " + std::to_string(collection_number) + " of generation " +
                            std::to_string(m[i].generation),
                        "generation " + std::to_string(s[i].generation), {}};
  }
  std::size_t collection_number = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    collection_number += m[i].collection;
    const std::string where = segment_name(m[i], collection_number);
    // What was freed first: a finalizer that did not run on an object that
    // was not freed is the same lost garbage as the object itself.
    if (m[i].freed != s[i].freed) {
      auto involved = symmetric_difference(m[i].freed, s[i].freed);
      return Difference{freed_by_sut_only(s[i].freed, m[i].freed) ? CheckKind::PrematureFree : CheckKind::Leak,
                        "freed objects " + where, to_string(m[i].freed), to_string(s[i].freed), std::move(involved)};
    }
    if (m[i].user_code != s[i].user_code)
      return Difference{m[i].collection ? user_code_found(m[i].user_code, s[i].user_code) : CheckKind::UserCode,
                        "finalizers and callbacks " + where, user_code_text(m[i].user_code),
                        user_code_text(s[i].user_code), {}};
    if (m[i].collection && (m[i].collected != s[i].collected || m[i].uncollectable != s[i].uncollectable ||
                            m[i].stopped != s[i].stopped))
      return Difference{garbage_found(m[i], s[i]), "collection result " + where,
                        "collected " + std::to_string(m[i].collected) + ", uncollectable " + std::to_string(m[i].uncollectable),
                        "collected " + std::to_string(s[i].collected) + ", uncollectable " + std::to_string(s[i].uncollectable) +
                            (s[i].stopped ? "" : " (no stop event)"),
                        {}};
  }
  return std::nullopt;
}

void observed_part(const ObjectState& state, Capabilities seen, ObjectState& part) {
  part = state;
  if (!seen.has(Capability::ContainerPayload) && part.kind == ObjectKind::Container) part.payload = 0;
  if (!seen.has(Capability::SmallIntRefcounts) && !part.key.is_serial()) part.refcount = 0;
  if (!seen.has(Capability::Generations) && part.generation != kUntracked) part.generation = 0;
}

CollectorState observed_part(CollectorState state, Capabilities seen) {
  if (!seen.has(Capability::Generations)) {
    state.count = state.threshold = {};
    state.enabled = true;
  }
  if (!seen.has(Capability::Freeze)) state.freeze_count = 0;
  if (!seen.has(Capability::ListFreeList)) state.list_free_list = 0;
  return state;
}

std::optional<Difference> compare_collector(const CollectorState& model, const CollectorState& sut, Capabilities seen) {
  const CollectorState m = observed_part(model, seen), s = observed_part(sut, seen);
  if (m.count != s.count) return Difference{CheckKind::Counts, "get_count()", triple(m.count), triple(s.count), {}};
  if (m.threshold != s.threshold)
    return Difference{CheckKind::Thresholds, "get_threshold()", triple(m.threshold), triple(s.threshold), {}};
  if (m.enabled != s.enabled)
    return Difference{CheckKind::Enabled, "isenabled()", m.enabled ? "enabled" : "disabled", s.enabled ? "enabled" : "disabled", {}};
  for (int g = 0; g < 3; ++g)
    if (m.stats[g] != s.stats[g])
      return Difference{CheckKind::Stats, "get_stats()[" + std::to_string(g) + "]", stats_text(m.stats[g]), stats_text(s.stats[g]), {}};
  if (m.freeze_count != s.freeze_count)
    return Difference{CheckKind::FreezeCount, "get_freeze_count()", std::to_string(m.freeze_count), std::to_string(s.freeze_count), {}};
  if (m.list_free_list != s.list_free_list)
    return Difference{CheckKind::FreeList, "lists in the list free list (emptied by every generation-2 collection)",
                      std::to_string(m.list_free_list), std::to_string(s.list_free_list), {}};
  return std::nullopt;
}

// gc.garbage's order, like a collection's finalizers, follows the collector's
// list order (see segments_of): compared as a multiset. (Machines give it in
// key order, which makes the usual case one comparison.)
std::optional<Difference> compare_garbage(const std::vector<ObjectKey>& model_entries, const std::vector<ObjectKey>& sut_entries) {
  if (model_entries == sut_entries) return std::nullopt;
  std::vector<ObjectKey> model = model_entries, sut = sut_entries;
  std::sort(model.begin(), model.end());
  std::sort(sut.begin(), sut.end());
  if (model == sut) return std::nullopt;
  return Difference{CheckKind::Garbage, "gc.garbage", to_string(model), to_string(sut), symmetric_difference(model, sut)};
}

std::optional<Difference> compare_bindings(const Program& program, Machine& model, Machine& sut,
                                           std::span<const NameIndex> names) {
  for (NameIndex n : names) {
    const auto m = model.binding(n), s = sut.binding(n);
    if (m == s) continue;
    const std::string spelled = name_text(program, n);
    std::vector<ObjectKey> involved;
    if (m) involved.push_back(*m);
    if (s) involved.push_back(*s);
    return Difference{CheckKind::Binding, "binding of '" + spelled + "'", m ? m->to_string() : "unbound", s ? s->to_string() : "unbound",
                      std::move(involved)};
  }
  return std::nullopt;
}

namespace {

std::optional<Difference> model_only(const ObjectState& m) {
  return Difference{CheckKind::PrematureFree, "live objects (premature free)", to_string(m), m.key.to_string() + " is not alive", {m.key}};
}
std::optional<Difference> sut_only(const ObjectState& s) {
  return Difference{CheckKind::Leak, "live objects (leak)", s.key.to_string() + " is dead", to_string(s), {s.key}};
}

// Whether an object's entry is compared at all: a small int's entry stands
// for its refcount, compared only when both machines observe it.
bool compared(const ObjectState& state, Capabilities seen) {
  return state.key.is_serial() || seen.has(Capability::SmallIntRefcounts);
}

// The same object as the model and the system under test describe it,
// everything in both states observed.
std::optional<Difference> compare_observed(const ObjectState& m, const ObjectState& s) {
  if (m == s) return std::nullopt;
  std::string check = "object " + m.key.to_string();
  CheckKind kind = CheckKind::ObjectState;
  if (!s.intact) check += " (stamp damaged: freed and reused?)", kind = CheckKind::DamagedObject;
  else if (m.refcount != s.refcount)
    check += " refcount", kind = s.refcount > m.refcount ? CheckKind::Leak : CheckKind::PrematureFree;
  else if (m.generation != s.generation) check += " generation", kind = CheckKind::Generation;
  else if (m.slots != s.slots) check += " slots", kind = CheckKind::Slots;
  std::vector<ObjectKey> involved{m.key};
  for (std::size_t k = 0; k < std::max(m.slots.size(), s.slots.size()); ++k) {
    const bool in_m = k < m.slots.size(), in_s = k < s.slots.size();
    if (in_m && in_s && m.slots[k] == s.slots[k]) continue;
    if (in_m) involved.push_back(m.slots[k]);
    if (in_s) involved.push_back(s.slots[k]);
  }
  return Difference{kind, check, to_string(m), to_string(s), std::move(involved)};
}

std::optional<Difference> compare_states(const ObjectState& model, const ObjectState& sut, Capabilities seen) {
  if (model == sut) return std::nullopt;
  if (seen.complete()) return compare_observed(model, sut);
  // Compared after every operation with a machine that observes less (the
  // CPython adapter): the blanked states are kept rather than made each time.
  thread_local ObjectState model_part, sut_part;
  observed_part(model, seen, model_part);
  observed_part(sut, seen, sut_part);
  return compare_observed(model_part, sut_part);
}

// One key's entry in each machine's objects() (null when not listed there).
std::optional<Difference> compare_entry(const ObjectState* m, const ObjectState* s, Capabilities seen) {
  if (m != nullptr && !compared(*m, seen)) m = nullptr;
  if (s != nullptr && !compared(*s, seen)) s = nullptr;
  if (m != nullptr && s != nullptr) return compare_states(*m, *s, seen);
  if (m != nullptr) return model_only(*m);
  if (s != nullptr) return sut_only(*s);
  return std::nullopt;
}

// Whether read_object's state is an entry of objects(): a small int is
// listed only while the program holds it (above the cache's reference).
bool listed(const ObjectState& state) { return state.key.is_serial() || state.refcount > 1; }

}  // namespace

// The first difference in key order, unless a later object shows a
// premature free: that is the graver, and which one shows first must not
// depend on the objects' serials (a bug that drops the wrong item keeps one
// object and frees another).
std::optional<Difference> compare_objects(const std::vector<ObjectState>& m, const std::vector<ObjectState>& s,
                                          Capabilities seen) {
  std::optional<Difference> first;
  std::size_t i = 0, j = 0;
  while (i < m.size() || j < s.size()) {
    std::optional<Difference> d;
    if (j >= s.size() || (i < m.size() && m[i].key < s[j].key)) d = compare_entry(&m[i++], nullptr, seen);
    else if (i >= m.size() || s[j].key < m[i].key) d = compare_entry(nullptr, &s[j++], seen);
    else d = compare_entry(&m[i++], &s[j++], seen);
    if (d && d->kind == CheckKind::PrematureFree) return d;
    if (d && !first) first = std::move(d);
  }
  return first;
}

// compare_objects restricted to `keys`: the same verdict whenever every
// object whose entries differ is among them.
std::optional<Difference> compare_objects_at(std::span<const ObjectKey> keys, Machine& model, Machine& sut,
                                             ObjectState& model_state, ObjectState& sut_state, Capabilities seen) {
  std::optional<Difference> first;
  for (const ObjectKey key : keys) {
    const bool in_model = model.read_object(key, model_state) && listed(model_state);
    const bool in_sut = sut.read_object(key, sut_state) && listed(sut_state);
    std::optional<Difference> d = compare_entry(in_model ? &model_state : nullptr, in_sut ? &sut_state : nullptr, seen);
    if (d && d->kind == CheckKind::PrematureFree) return d;
    if (d && !first) first = std::move(d);
  }
  return first;
}

}  // namespace gcv
