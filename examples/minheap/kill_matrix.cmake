# One cell of minheap's kill matrix (cmake -P): the seeded bug BUG must be
# caught, as a divergence, by the fuzz target over its seeds or by the
# corpus run through the plugin. Prints which caught it and how.
#   BUG  FUZZER  SEEDS  GCVERIFY  PLUGIN
#   CORPUS          our corpus, run with its expectations
#   FOREIGN_CORPUS  gcverify's, run without them (CMakeLists.txt says why)
set(ENV{MINHEAP_SEEDED_BUG} ${BUG})
set(caught)

execute_process(COMMAND ${FUZZER} -runs=0 ${SEEDS} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REGEX MATCH "signature: divergence: [^\n]*" signature "${out}")
if(signature)
  list(APPEND caught "the fuzz target's seeds (${signature})")
elseif(NOT status EQUAL 0)
  message(FATAL_ERROR "${BUG}: the fuzz target failed without a divergence report:\n${out}")
endif()

set(failed 0)
foreach(dir IN ITEMS ${CORPUS} "${FOREIGN_CORPUS}")
  set(flags)
  if(dir STREQUAL FOREIGN_CORPUS)
    set(flags --no-expectations)
  endif()
  execute_process(COMMAND ${GCVERIFY} run --quiet --sut-plugin ${PLUGIN} ${flags} ${dir} RESULT_VARIABLE status
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCHALL "FAIL [^\n]*" failures "${out}")
  list(LENGTH failures count)
  math(EXPR failed "${failed} + ${count}")
  string(REGEX MATCH "signature: [^\n]*" signature "${out}")
  if(count GREATER 0 AND NOT signature MATCHES "^signature: (divergence|expectation failed)")
    message(FATAL_ERROR "${BUG}: the corpus failed in an unexpected way:\n${out}${err}")
  endif()
endforeach()
if(failed GREATER 0)
  list(APPEND caught "the corpus (${failed} programs fail)")
endif()

if(NOT caught)
  message(FATAL_ERROR "${BUG}: not caught: the fuzz target's seeds and the corpus all pass")
endif()
string(REPLACE ";" ", and " caught "${caught}")
message(STATUS "${BUG}: caught by ${caught}")
