// minheap's objects, reference counting and root slots (the collector is
// collector.cc).
#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "heap_internal.h"
#include "minheap/heap.h"

namespace minheap {

Heap::Heap(std::size_t root_count) : roots_(root_count, nullptr) {
#if MINHEAP_SEEDED_BUGS
  seeded_bug_ = seeded_bug_from_environment();
#endif
}

Heap::~Heap() {
  hooks_ = {};
  teardown();
  while (oldest_ != nullptr) {
    Object* leaked = oldest_;
    unlink(leaked);
    release_memory(leaked);
  }
}

// One block per object: the Object, then its payload.
Object* Heap::allocate(Kind kind, std::uint32_t payload_size) {
  void* block = ::operator new(sizeof(Object) + payload_size);
  Object* object = new (block) Object(kind, payload_size);
  std::memset(object->payload_start(), 0, payload_size);
  object->prev_ = youngest_;
  (youngest_ != nullptr ? youngest_->next_ : oldest_) = object;
  youngest_ = object;
  ++live_objects_;
  return object;
}

Object* Heap::new_list(std::uint32_t payload_size) { return allocate(Kind::List, payload_size); }

Object* Heap::new_str(std::uint32_t payload_size) { return allocate(Kind::Str, payload_size); }

Object* Heap::new_int(std::int64_t value) {
  Object* object = allocate(Kind::Int, 0);
  object->int_value_ = value;
  return object;
}

void Heap::incref(Object* object) {
  MINHEAP_ASSERT(object != nullptr && object->refcount_ > 0);
  ++object->refcount_;
}

// A freed block is filled with 0xDD in debug builds, so a refcount read from
// it is negative: the assertion also catches a decref after free.
void Heap::decref(Object* object) {
  MINHEAP_ASSERT(object != nullptr && object->refcount_ > 0);
  if (--object->refcount_ == 0) free_from(object);
}

// Takes the object out of the live set.
void Heap::unlink(Object* object) {
  (object->prev_ != nullptr ? object->prev_->next_ : oldest_) = object->next_;
  (object->next_ != nullptr ? object->next_->prev_ : youngest_) = object->prev_;
  --live_objects_;
}

// Frees `dead`, whose refcount just reached 0, and everything that dies with
// it, in the order recursion would give (heap.h). The stack of objects still
// being freed is threaded through their next_ links, free once they leave
// the live set: its top drops its last remaining item, and is released when
// it has none left.
void Heap::free_from(Object* dead) {
  unlink(dead);
  dead->next_ = nullptr;
  Object* dying = dead;
  while (dying != nullptr) {
    Object* top = dying;
    if (top->size_ == 0) {
      dying = top->next_;
      release(top);
      continue;
    }
    Object* item = top->item_slots()[--top->size_];
#if MINHEAP_SEEDED_BUGS
    if (seeded_bug_ == SeededBug::dealloc_skips_first_item && top->size_ == 0) continue;
#endif
    MINHEAP_ASSERT(item->refcount_ > 0);
    if (--item->refcount_ == 0) {
      unlink(item);
      item->next_ = dying;
      dying = item;
    }
  }
}

void Heap::release(Object* object) {
#if MINHEAP_SEEDED_BUGS
  if (object->kind_ == Kind::Str) ++strs_freed_;
#endif
  if (hooks_.on_free) hooks_.on_free(*object);
  release_memory(object);
}

void Heap::release_memory(Object* object) {
  const std::size_t block_size = sizeof(Object) + object->payload_size_;
  if (object->capacity_ > 1) delete[] object->item_array_;
  object->~Object();
#ifndef NDEBUG
  std::memset(static_cast<void*>(object), 0xDD, block_size);
#endif
  ::operator delete(static_cast<void*>(object), block_size);
}

void Heap::bind(std::size_t slot, Object* owned) {
  MINHEAP_ASSERT(slot < roots_.size() && owned != nullptr && owned->refcount_ > 0);
  Object* old = std::exchange(roots_[slot], owned);
  if (old != nullptr) decref(old);
}

void Heap::set_root(std::size_t slot, Object* borrowed) {
  incref(borrowed);
  bind(slot, borrowed);
}

void Heap::unbind(std::size_t slot) {
  MINHEAP_ASSERT(slot < roots_.size());
  Object* old = std::exchange(roots_[slot], nullptr);
  if (old != nullptr) decref(old);
}

void Heap::append(Object* list, Object* borrowed) {
  MINHEAP_ASSERT(list->kind_ == Kind::List);
  incref(borrowed);
  if (list->size_ == list->capacity_) grow_items(list);
  list->item_slots()[list->size_++] = borrowed;
}

// Moves the items to an array of twice the capacity (at least 4).
void Heap::grow_items(Object* list) {
  MINHEAP_ASSERT(list->capacity_ < UINT32_MAX / 2);
  const std::uint32_t capacity = std::max<std::uint32_t>(4, list->capacity_ * 2);
  auto* array = new Object*[capacity];
  std::copy_n(list->item_slots(), list->size_, array);
  if (list->capacity_ > 1) delete[] list->item_array_;
  list->item_array_ = array;
  list->capacity_ = capacity;
}

// The list may die with the old item (when only the old item kept it alive):
// nothing touches it after the drop. The same holds below.
void Heap::set_item(Object* list, std::size_t index, Object* borrowed) {
  MINHEAP_ASSERT(list->kind_ == Kind::List && index < list->size_);
  incref(borrowed);
  Object* old = std::exchange(list->item_slots()[index], borrowed);
#if MINHEAP_SEEDED_BUGS
  if (seeded_bug_ == SeededBug::set_item_keeps_old) return;
#endif
  decref(old);
}

void Heap::remove_item(Object* list, std::size_t index) {
  MINHEAP_ASSERT(list->kind_ == Kind::List && index < list->size_);
  Object** slots = list->item_slots();
  Object* removed = slots[index];
  std::copy(slots + index + 1, slots + list->size_, slots + index);
  --list->size_;
#if MINHEAP_SEEDED_BUGS
  // Only while another reference remains, so the mistake frees no memory twice.
  if (seeded_bug_ == SeededBug::remove_item_drops_twice && removed->refcount_ > 1) decref(removed);
#endif
  decref(removed);
}

// The list is emptied before any item is dropped: a drop may free the list
// itself (when only its items kept it alive).
void Heap::clear(Object* list) {
  MINHEAP_ASSERT(list->kind_ == Kind::List);
  const std::uint32_t size = std::exchange(list->size_, 0);
  if (list->capacity_ == 1) {
    if (size == 1) decref(list->single_item_);
    return;
  }
  Object** const items = list->item_array_;
  list->single_item_ = nullptr;
  list->capacity_ = 1;
  for (std::uint32_t index = size; index-- > 0;) decref(items[index]);
  delete[] items;
}

std::size_t Heap::teardown() {
  for (std::size_t slot = 0; slot < roots_.size(); ++slot) unbind(slot);
  collect();
  return live_objects();
}

}  // namespace minheap
