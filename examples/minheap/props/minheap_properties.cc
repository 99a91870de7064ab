// gcverify's property suites, instantiated for minheap: the properties that
// need what minheap lacks (generations, freeze, finalizers, gc.garbage) are
// skipped, with the reason; the others run on programs within its
// capabilities.
#include "gcverify/property_suite.h"
#include "minheap_machine.h"

GCV_INSTANTIATE_PROPERTY_SUITE(minheap, "minheap", minheap::make_machine);
