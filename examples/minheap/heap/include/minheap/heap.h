// minheap: a minimal memory manager, gcverify's "bring your own heap" example.
//
// Deliberately unlike CPython: reference counting plus one non-generational
// mark-sweep collector with explicit roots. No generations, no freezing, no
// finalizers, no weak references, no small-int cache, no free lists.
//
// Objects. Three kinds: a List holds item references; a Str holds none; an
// Int holds an int64 value. Lists and strs carry a payload of bytes allocated
// with the object (zeroed); ints carry none. Every object has a refcount and
// a tag, a 64-bit word the user sets freely.
//
// Reference counting. An object's refcount is the number of root slots plus
// the number of list item slots that refer to it, plus the references the
// user holds: the new reference each new_*() returns, and those taken with
// incref(). The moment a refcount reaches 0 the object is freed: it leaves
// the live set at once, and a list then drops its items, last item first;
// an item whose refcount reaches 0 in turn is freed completely (its own items
// included) before the next item is dropped, and the list itself is released
// last. That is the order plain recursion would give, but the heap keeps the
// dying objects on an explicit stack threaded through their own links: no
// recursion and no allocation, so a chain of ten million lists frees in
// constant stack space and linear time.
//
// Collection. collect() is a full mark-sweep. Marking starts from the root
// slots (and only from them) and follows list items, with an explicit mark
// stack. Every unmarked list is garbage: references the user holds outside
// the roots do not keep a list alive. The garbage lists, oldest first, are
// then freed in three passes: each is held (incref), so that none is freed
// while the others are being emptied; each is cleared (its items dropped
// last first, which frees the strs and ints only garbage held); then the
// holds are released, which frees each list, unless the user still holds a
// reference to it: such a list survives, empty. collect() returns the number
// of garbage lists found; the strs and ints freed on the way are not counted.
//
// Hooks (set_hooks). on_free runs for every object just before its memory is
// released, when it is no longer live; a list has dropped all its items by
// then (its size() is 0). on_collection_start and on_collection_stop bracket
// each collection; on_collection_stop receives collect()'s result, after
// collections() and collected() include it. Hooks must not change the heap
// and must not throw.
//
// A Heap is single-threaded. Functions taking an Object* require a live
// object of the right kind, and root slots and item indexes in range: debug
// builds (no NDEBUG) check with assertions, others do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace minheap {

enum class Kind : std::uint8_t { List, Str, Int };

// A heap object. Users get Object pointers from a Heap and read them here;
// every change of a reference goes through the Heap.
class Object {
 public:
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  Kind kind() const { return kind_; }
  std::int64_t refcount() const { return refcount_; }
  std::uint64_t tag() const { return tag_; }
  void set_tag(std::uint64_t tag) { tag_ = tag; }

  // The bytes allocated with the object (none for an Int).
  std::uint32_t payload_size() const { return payload_size_; }
  std::span<std::byte> payload() { return {payload_start(), payload_size_}; }
  std::span<const std::byte> payload() const { return {payload_start(), payload_size_}; }

  // An Int's value (0 for the other kinds).
  std::int64_t int_value() const { return kind_ == Kind::Int ? int_value_ : 0; }

  // A List's items (none for the other kinds); item() is a borrowed reference.
  std::size_t size() const { return size_; }
  Object* item(std::size_t index) const { return item_slots()[index]; }

 private:
  friend class Heap;

  Object(Kind kind, std::uint32_t payload_size)
      : payload_size_(payload_size), capacity_(kind == Kind::List ? 1 : 0), kind_(kind) {
    if (kind == Kind::List) single_item_ = nullptr;
  }
  ~Object() = default;

  // The payload follows the object in the same block.
  std::byte* payload_start() const {
    return reinterpret_cast<std::byte*>(const_cast<Object*>(this)) + sizeof(Object);
  }
  // A List's capacity_ item slots: one in place, or more in an array the
  // Heap grows (most lists in long chains hold one item: no allocation).
  Object** item_slots() { return capacity_ == 1 ? &single_item_ : item_array_; }
  Object* const* item_slots() const { return capacity_ == 1 ? &single_item_ : item_array_; }

  // Links of the live set, oldest to youngest. Once the refcount reaches 0,
  // next_ links the stack of objects still being freed instead.
  Object* prev_ = nullptr;
  Object* next_ = nullptr;
  std::int64_t refcount_ = 1;
  std::uint64_t tag_ = 0;
  union {
    std::int64_t int_value_ = 0;  // an Int
    Object* single_item_;         // a List with capacity_ 1
    Object** item_array_;         // a List with more
  };
  std::uint32_t payload_size_;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_;
  Kind kind_;
  bool marked_ = false;  // only during a collection
};

// Observers of the heap; an empty function is not called. The initializers
// let designated initializers name any subset without a warning.
struct Hooks {
  std::function<void(const Object&)> on_free = {};
  std::function<void()> on_collection_start = {};
  std::function<void(std::int64_t collected)> on_collection_stop = {};
};

#if MINHEAP_SEEDED_BUGS
// Seeded bugs (the library minheap_seeded): the Heap constructor reads
// MINHEAP_SEEDED_BUG; if it names one of these, that heap behaves wrongly in
// that one way (src/heap_internal.h describes each). Unset or empty: correct.
// An unknown name makes the constructor throw std::invalid_argument.
std::span<const char* const> seeded_bug_names();
enum class SeededBug : std::uint8_t;
#endif

class Heap {
 public:
  // A heap with root_count empty root slots.
  explicit Heap(std::size_t root_count);
  // Tears down as teardown() does but without calling any hook (their
  // targets may be gone by now), then releases the memory of whatever that
  // leaves (the leaks). Call teardown() first to observe the frees.
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // Allocation. Each returns a new reference (refcount 1) owned by the caller.
  Object* new_list(std::uint32_t payload_size);
  Object* new_str(std::uint32_t payload_size);
  Object* new_int(std::int64_t value);

  // References the caller holds itself. decref frees at 0.
  void incref(Object* object);
  void decref(Object* object);

  // Root slots; an empty slot holds nullptr.
  std::size_t root_count() const { return roots_.size(); }
  Object* root(std::size_t slot) const { return roots_[slot]; }
  // Stores an owned reference (the caller's reference moves into the slot),
  // then drops the slot's old object: rebinding the same object is safe.
  void bind(std::size_t slot, Object* owned);
  // Stores a borrowed reference: incref, then bind.
  void set_root(std::size_t slot, Object* borrowed);
  // Empties the slot, dropping its object; an empty slot stays empty.
  void unbind(std::size_t slot);

  // Lists. Items are stored as new references (the caller's stays its own).
  void append(Object* list, Object* borrowed);
  // Stores the new item, then drops the old one.
  void set_item(Object* list, std::size_t index, Object* borrowed);
  // Shifts the later items down, then drops the removed one.
  void remove_item(Object* list, std::size_t index);
  // Empties the list, then drops the old items, last first.
  void clear(Object* list);

  // A full mark-sweep from the roots; returns the number of garbage lists.
  std::int64_t collect();
  // Unbinds every root slot in order, collects, and returns live_objects():
  // 0 unless references were taken and never dropped (leaks).
  std::size_t teardown();

  void set_hooks(Hooks hooks) { hooks_ = std::move(hooks); }

  // Statistics.
  std::int64_t collections() const { return collections_; }  // collect() calls
  std::int64_t collected() const { return collected_; }      // sum of their results
  std::size_t live_objects() const { return live_objects_; }  // allocated, not freed
  // Calls visit(const Object&) for every live object, oldest first; visit
  // must not change the heap.
  template <class Visit>
  void for_each_live_object(Visit&& visit) const {
    for (const Object* object = oldest_; object != nullptr; object = object->next_) visit(*object);
  }

 private:
  Object* allocate(Kind kind, std::uint32_t payload_size);
  static void grow_items(Object* list);
  void unlink(Object* object);
  void free_from(Object* dead);
  void release(Object* object);
  static void release_memory(Object* object);

  // collect()'s phases (collector.cc).
  void mark_from_roots();
  std::vector<Object*> sweep_unmarked();
  void free_garbage(const std::vector<Object*>& garbage);

  std::vector<Object*> roots_;
  Object* oldest_ = nullptr;  // the live set, in allocation order
  Object* youngest_ = nullptr;
  std::size_t live_objects_ = 0;
  std::int64_t collections_ = 0;
  std::int64_t collected_ = 0;
  Hooks hooks_;
#if MINHEAP_SEEDED_BUGS
  SeededBug seeded_bug_;
  std::int64_t strs_freed_ = 0;  // for collect_counts_strs
#endif
};

}  // namespace minheap
