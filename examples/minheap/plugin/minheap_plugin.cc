// minheap as a plugin: `gcverify run --sut-plugin libminheap_plugin.so
// program.heap`, and minimize, explain, triage and promote with the same flag.
// minheap follows no CPython version: the factory takes none.
#include "gcverify/plugin.h"
#include "minheap_machine.h"

GCV_PLUGIN("minheap", minheap::make_machine)
