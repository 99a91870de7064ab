#include "gcverify/profile.h"

#include <array>

namespace gcv {
namespace {

using enum AutomaticCollection;
using enum Resurrection;
using enum WeakrefClearing;
using enum TrashcanRule;

constexpr std::array kProfiles = {
#define GCV_CPYTHON(id, name, threshold0, automatic, resurrection, weakref_clearing, tuple_free_list_sizes, trashcan) \
  Profile{CPythonVersion::id, name, threshold0, automatic, resurrection, weakref_clearing, tuple_free_list_sizes, trashcan},
#include "gcverify/cpython_versions.def"
#undef GCV_CPYTHON
};

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

const Profile& profile(CPythonVersion version) { return kProfiles[static_cast<std::size_t>(version)]; }

const Profile* profile_named(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (name == p.name) return &p;
  return nullptr;
}

std::string profile_names() {
  std::string names;
  for (const Profile& p : kProfiles) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

}  // namespace gcv
