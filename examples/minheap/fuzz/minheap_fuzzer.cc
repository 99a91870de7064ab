// minheap's differential fuzz target: the reference model, made for
// minheap's capabilities, against minheap, on libFuzzer's bytes.
#include "gcverify/fuzz.h"
#include "minheap_machine.h"

GCV_DIFFERENTIAL_FUZZ_TARGET(minheap::make_machine)
