// Version profiles: which CPython's collector a machine follows.
//
// One Profile per row of cpython_versions.def, which names every rule that
// differs between versions and its source. The model and gcheap take a
// profile when they are made and apply its rules; the CPython adapters run
// the real interpreter of that version. The default is 3.11, the seeds'
// collector and Debian 12's interpreter.
//
//   const Profile& p = profile(CPythonVersion::V3_13);
//   p.threshold0                          // 2000
//   profile_named("3.12")->name           // "3.12"
//   profile_named("3.7")                  // nullptr: not in the table
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gcv {

enum class CPythonVersion : std::uint8_t {
#define GCV_CPYTHON(id, name, threshold0, automatic, resurrection, weakref_clearing, tuple_free_list_sizes, trashcan) id,
#include "gcverify/cpython_versions.def"
#undef GCV_CPYTHON
};

// The rules, one enum per column of the table.
enum class AutomaticCollection : std::uint8_t { InAllocation, AtEvalBreaker };
enum class Resurrection : std::uint8_t { BlocksBatch, SparesResurrected };
enum class WeakrefClearing : std::uint8_t { StripsTwo, StripsBasic };
enum class TrashcanRule : std::uint8_t { NestedDeaths, CRecursion };

struct Profile {
  CPythonVersion version;
  const char* name;  // "3.12"
  std::int64_t threshold0;
  AutomaticCollection automatic;
  Resurrection resurrection;
  WeakrefClearing weakref_clearing;
  std::uint32_t tuple_free_list_sizes;
  TrashcanRule trashcan;
};

inline constexpr CPythonVersion kDefaultCPythonVersion = CPythonVersion::V3_11;

// Every profile, in the table's order.
std::span<const Profile> profiles();
const Profile& profile(CPythonVersion version = kDefaultCPythonVersion);
// The profile named "3.12", or nullptr.
const Profile* profile_named(std::string_view name);
// "3.8, 3.9, ..., 3.13": for usage messages.
std::string profile_names();

}  // namespace gcv
