// What a finalizer's body or a weakref's callback does, for the adapters of
// real heaps (gcheap, CPython): the meaning of each effect (program.h's
// EffectCode) written once, over the few primitives an adapter gives. The
// reference model keeps its own, independent reading of the same rules.
//
// Every effect is defined in every state: one whose name is not the
// program's, whose list is not a list or whose item does not exist does
// nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gcverify/program.h"

namespace gcv {

// `host` gives, for its object handles (pointers; nullptr for none):
//   bool named(NameIndex)                 whether the program has the name
//   Object bound(NameIndex)               the name's object, nullptr when unbound or not named
//   bool is_list(Object), is_weakref(Object)   false for nullptr
//   std::size_t list_size(Object)         Object list_get(Object, std::size_t)
//   void bind(NameIndex, Object)          binds the name to a new reference to the object
//   void unbind(NameIndex)
//   void new_list(NameIndex, std::uint32_t payload)   a new list, with the next serial, bound to the name
//   void append(Object list, Object item) the list takes a new reference to the item
//   void clear(Object list)               list.clear(): emptied first, then the items dropped
//   void collect(int generation)
//   void deref(NameIndex name, NameIndex weakref)      name = weakref(), unbound once it is cleared
// `self` is the object being finalized, or the weakref whose callback runs.
template <typename Host, typename Object>
void run_effects(Host& host, const std::vector<Effect>& effects, Object self) {
  for (const Effect& e : effects) {
    switch (e.code) {
      case EffectCode::BindSelf:
        if (host.named(e.name)) host.bind(e.name, self);
        break;
      case EffectCode::Unbind:
        if (host.named(e.name)) host.unbind(e.name);
        break;
      case EffectCode::NewContainer:
        if (host.named(e.name)) host.new_list(e.name, e.size);
        break;
      case EffectCode::AppendSelfTo:
        if (Object list = host.bound(e.name); host.is_list(list)) host.append(list, self);
        break;
      case EffectCode::AppendToSelf:
        if (Object item = host.bound(e.name); host.is_list(self) && item != nullptr) host.append(self, item);
        break;
      case EffectCode::ClearSelf:
        if (host.is_list(self)) host.clear(self);
        break;
      case EffectCode::Collect: host.collect(e.generation); break;
      case EffectCode::LoadSlot:
        if (Object list = host.bound(e.source); host.named(e.name) && host.is_list(list) && e.index < host.list_size(list))
          host.bind(e.name, host.list_get(list, e.index));
        break;
      case EffectCode::Deref:
        if (host.named(e.name) && host.is_weakref(host.bound(e.source))) host.deref(e.name, e.source);
        break;
      case EffectCode::kCount: break;
    }
  }
}

}  // namespace gcv
