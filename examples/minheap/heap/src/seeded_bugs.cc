// The seeded bugs' names and the switch that reads MINHEAP_SEEDED_BUG
// (heap_internal.h lists the bugs). Empty unless MINHEAP_SEEDED_BUGS is set,
// as in the library minheap_seeded.
#include "heap_internal.h"

#if MINHEAP_SEEDED_BUGS

#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>

namespace minheap {

namespace {

constexpr const char* names[] = {
#define MINHEAP_SEEDED_BUG_NAME(name, description) #name,
    MINHEAP_SEEDED_BUGS_LIST(MINHEAP_SEEDED_BUG_NAME)
#undef MINHEAP_SEEDED_BUG_NAME
};

constexpr const char* descriptions[] = {
#define MINHEAP_SEEDED_BUG_DESCRIPTION(name, description) description,
    MINHEAP_SEEDED_BUGS_LIST(MINHEAP_SEEDED_BUG_DESCRIPTION)
#undef MINHEAP_SEEDED_BUG_DESCRIPTION
};

}  // namespace

std::span<const char* const> seeded_bug_names() { return names; }

SeededBug seeded_bug_from_environment() {
  const char* value = std::getenv("MINHEAP_SEEDED_BUG");
  if (value == nullptr || *value == '\0') return SeededBug::none;
  for (std::size_t bug = 0; bug < std::size(names); ++bug) {
    if (std::strcmp(value, names[bug]) == 0) return static_cast<SeededBug>(bug);
  }
  // A typo must not run the correct heap silently.
  std::string message = std::string("MINHEAP_SEEDED_BUG=") + value + " names no seeded bug; they are:";
  for (std::size_t bug = 0; bug < std::size(names); ++bug) {
    message += std::string("\n  ") + names[bug] + ": " + descriptions[bug];
  }
  throw std::invalid_argument(message);
}

}  // namespace minheap

#endif
