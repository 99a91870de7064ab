// Loading a system under test from a shared library (plugin_loader.h).
#include "plugin_loader.h"

#include <dlfcn.h>

#include <cstring>

namespace gcv {

std::optional<Plugin> load_plugin(const std::string& path, std::string& error) {
  // dlopen searches the library path for a bare name: a path names a file.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    error = "cannot load the plugin " + path + ": " + (why != nullptr ? why : "unknown error");
    return std::nullopt;
  }
  using Entry = const gcverify_plugin* (*)();
  const auto entry = reinterpret_cast<Entry>(dlsym(library, "gcverify_plugin_v1"));
  if (entry == nullptr) {
    error = path + " is not a gcverify plugin: it defines no gcverify_plugin_v1 (see gcverify/plugin.h: GCV_PLUGIN)";
    dlclose(library);
    return std::nullopt;
  }
  const gcverify_plugin* plugin = entry();
  if (plugin == nullptr || plugin->abi_version != GCV_PLUGIN_ABI_VERSION || plugin->abi_tag == nullptr ||
      std::strcmp(plugin->abi_tag, GCV_PLUGIN_ABI_TAG) != 0) {
    error = path + " was built for another gcverify: its ABI is " +
            (plugin != nullptr && plugin->abi_tag != nullptr ? std::string(plugin->abi_tag) : std::string("unknown")) +
            ", this gcverify's is " + GCV_PLUGIN_ABI_TAG + "; rebuild it against this gcverify";
    dlclose(library);
    return std::nullopt;
  }
  // Never closed: its machines' code lives in it.
  auto make = plugin->make_machine;
  return Plugin{path, plugin->name != nullptr ? plugin->name : path, [make](const Profile& profile) {
                  return std::unique_ptr<Machine>(static_cast<Machine*>(make(profile.name)));
                }};
}

}  // namespace gcv
