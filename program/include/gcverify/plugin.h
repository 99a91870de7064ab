// A system under test in a shared library: `gcverify run --sut-plugin
// libmyheap.so program.heap`, and every failure command (minimize, explain,
// triage, promote, replay) with the same flag.
//
// The library defines one C entry point, gcverify_plugin_v1, which the macro
// below writes; its machines are C++ objects (gcv::Machine) built against the
// same gcverify headers and C++ standard library as the tool that loads them,
// which the tool's loader (cli/plugin_loader.h) checks before it makes one
// (GCV_PLUGIN_ABI_TAG: gcverify's version and the standard library's),
// refusing a library built otherwise with both tags in the message. In one
// source file of the library:
//
//   #include "gcverify/plugin.h"
//   #include "my_heap_machine.h"
//   GCV_PLUGIN("myheap", [](const gcv::Profile& profile) { return make_my_heap_machine(profile); })
//
// (a factory may also take no argument). Link the library with
// gcverify::program and build everything it links as position-independent
// code; the CMake function gcverify_add_plugin (the package's config) does
// both.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "gcverify/machine.h"
#include "gcverify/profile.h"
#include "gcverify/version.h"

// The C ABI: what gcverify_plugin_v1 returns.
extern "C" {
struct gcverify_plugin {
  std::uint32_t abi_version;  // GCV_PLUGIN_ABI_VERSION
  const char* abi_tag;        // GCV_PLUGIN_ABI_TAG where the library was built
  const char* name;           // the system's name, as reports spell it
  // A new gcv::Machine (owned by the caller) following the CPython version
  // named ("3.11"), or null when the library cannot make one.
  void* (*make_machine)(const char* cpython_version);
};
}

#define GCV_PLUGIN_ABI_VERSION 1u
#if defined(_LIBCPP_VERSION)
#define GCV_PLUGIN_STDLIB "libc++ " GCV_STRINGIFY(_LIBCPP_VERSION)
#elif defined(__GLIBCXX__)
#define GCV_PLUGIN_STDLIB "libstdc++ " GCV_STRINGIFY(__GLIBCXX__)
#else
#define GCV_PLUGIN_STDLIB "unknown standard library"
#endif
#define GCV_STRINGIFY_VALUE(x) #x
#define GCV_STRINGIFY(x) GCV_STRINGIFY_VALUE(x)
#define GCV_PLUGIN_ABI_TAG "gcverify " GCV_VERSION_STRING ", " GCV_PLUGIN_STDLIB

namespace gcv {

namespace plugin_detail {
template <typename Factory>
void* make_machine(Factory& factory, const char* cpython_version) {
  const Profile* profile = profile_named(cpython_version != nullptr ? cpython_version : "");
  if (profile == nullptr) return nullptr;
  std::unique_ptr<Machine> machine;
  if constexpr (std::is_invocable_v<Factory&, const Profile&>) machine = factory(*profile);
  else machine = factory();
  return machine.release();
}
}  // namespace plugin_detail

}  // namespace gcv

// Defines gcverify_plugin_v1 for a system named `name` whose machines
// `factory` makes.
#define GCV_PLUGIN(name, factory)                                                                     \
  extern "C" __attribute__((visibility("default"))) const gcverify_plugin* gcverify_plugin_v1() {    \
    static auto gcv_plugin_factory = factory;                                                         \
    static const gcverify_plugin plugin{GCV_PLUGIN_ABI_VERSION, GCV_PLUGIN_ABI_TAG, name,             \
                                        [](const char* cpython_version) -> void* {                    \
                                          return gcv::plugin_detail::make_machine(gcv_plugin_factory, \
                                                                                  cpython_version);   \
                                        }};                                                           \
    return &plugin;                                                                                   \
  }
