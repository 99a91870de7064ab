// A plugin built for another gcverify: its entry point names another ABI tag,
// which the loader must refuse before making a machine.
#include "gcverify/plugin.h"

extern "C" __attribute__((visibility("default"))) const gcverify_plugin* gcverify_plugin_v1() {
  static const gcverify_plugin plugin{GCV_PLUGIN_ABI_VERSION, "gcverify 0.0, libstdc++ 19990101", "stale",
                                      [](const char*) -> void* { return nullptr; }};
  return &plugin;
}
