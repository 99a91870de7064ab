// Loading the system under test a shared library defines (gcverify/plugin.h),
// for `--sut-plugin`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gcverify/plugin.h"

namespace gcv {

// A plugin loaded by load_plugin: its path, its system's name, and a factory
// of its machines.
struct Plugin {
  std::string path;
  std::string name;
  std::function<std::unique_ptr<Machine>(const Profile&)> make;
};

// Loads the plugin at `path` (kept loaded for the life of the process), or
// nullopt with why in `error`: the library does not load (the loader's
// message), is not a gcverify plugin (no gcverify_plugin_v1), or was built
// for another ABI (both tags named).
std::optional<Plugin> load_plugin(const std::string& path, std::string& error);

}  // namespace gcv
