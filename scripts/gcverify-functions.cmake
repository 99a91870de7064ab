# Building blocks for testing your own heap with gcverify, from its CMake
# package (find_package(gcverify)); docs/adapter-guide.md walks through them.
#
#   gcverify_add_fuzz_target(NAME SOURCES src... [LIBRARIES lib...] [SEEDS dir...])
#     A differential fuzz target (a source with GCV_DIFFERENTIAL_FUZZ_TARGET):
#     with clang, linked with libFuzzer (-fsanitize=fuzzer); with any other
#     compiler, with gcverify::fuzz_replay_main, which runs each input once.
#     With SEEDS (directories of .heap and .bin programs, such as
#     ${GCVERIFY_CORPUS_DIR}), the build writes their binary forms into
#     NAME-seeds/ (the target's seed corpus), and a CTest test NAME-replay
#     runs every seed through the target.
#
#   gcverify_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
#     A shared library (a source with GCV_PLUGIN) that `gcverify run
#     --sut-plugin` and the failure tools load; everything it links is built
#     as position-independent code.
#
#   gcverify_add_corpus_tests(PLUGIN target CORPUS dir... [PREFIX name] [CPYTHON X.Y]
#                             [NO_EXPECTATIONS])
#     One CTest test per program (*.heap) under each directory: `gcverify run
#     --sut-plugin <plugin> <program>`. A program the system cannot run (it
#     needs a capability the system does not declare, or holds for another
#     CPython version) is reported skipped, with the reason, not failed.
#     NO_EXPECTATIONS leaves the programs' expect lines unchecked, for a
#     corpus written for other rules: gcverify's own corpus states CPython's
#     answers, which a heap without generations or small ints need not give
#     (the lockstep comparison of every step still holds it to the model).
include_guard(GLOBAL)
set(_gcverify_cmake_dir ${CMAKE_CURRENT_LIST_DIR})

function(gcverify_add_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES;SEEDS")
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE gcverify::fuzz ${arg_LIBRARIES})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer-no-link)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${name} PRIVATE gcverify::fuzz_replay_main)
  endif()
  if(arg_SEEDS)
    set(seeds ${CMAKE_CURRENT_BINARY_DIR}/${name}-seeds)
    set(commands)
    set(programs)
    set(index 0)
    foreach(dir IN LISTS arg_SEEDS)
      get_filename_component(base ${dir} NAME)
      math(EXPR index "${index} + 1")
      set(base ${index}-${base})  # two directories may have one name
      file(GLOB_RECURSE found CONFIGURE_DEPENDS ${dir}/*.heap ${dir}/*.bin)
      list(APPEND programs ${found})
      list(APPEND commands COMMAND ${CMAKE_COMMAND} -DGCVERIFY=$<TARGET_FILE:gcverify::gcverify> -DCORPUS=${dir}
                                   -DOUT=${seeds}/${base} -P ${_gcverify_cmake_dir}/binary_seed_corpus.cmake)
    endforeach()
    add_custom_command(OUTPUT ${seeds}.stamp ${commands} COMMAND ${CMAKE_COMMAND} -E touch ${seeds}.stamp
                       DEPENDS ${programs} COMMENT "Writing the seed corpus of ${name}")
    add_custom_target(${name}-seeds ALL DEPENDS ${seeds}.stamp)
    add_test(NAME ${name}-replay COMMAND ${name} -runs=0 ${seeds})
    set_tests_properties(${name}-replay PROPERTIES TIMEOUT 600)
  endif()
endfunction()

function(gcverify_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES")
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE gcverify::program ${arg_LIBRARIES})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden
                                           VISIBILITY_INLINES_HIDDEN ON)
  foreach(library IN LISTS arg_LIBRARIES)
    if(TARGET ${library})
      get_target_property(imported ${library} IMPORTED)
      if(NOT imported)
        set_target_properties(${library} PROPERTIES POSITION_INDEPENDENT_CODE ON)
      endif()
    endif()
  endforeach()
endfunction()

function(gcverify_add_corpus_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_EXPECTATIONS" "PLUGIN;PREFIX;CPYTHON" "CORPUS")
  if(NOT arg_PREFIX)
    set(arg_PREFIX corpus)
  endif()
  set(version_flag)
  if(arg_CPYTHON)
    set(version_flag --cpython ${arg_CPYTHON})
  endif()
  if(arg_NO_EXPECTATIONS)
    list(APPEND version_flag --no-expectations)
  endif()
  foreach(dir IN LISTS arg_CORPUS)
    file(GLOB_RECURSE programs CONFIGURE_DEPENDS ${dir}/*.heap)
    get_filename_component(base ${dir} NAME)
    foreach(program IN LISTS programs)
      file(RELATIVE_PATH relative ${dir} ${program})
      set(test ${arg_PREFIX}/${base}/${relative})
      add_test(NAME ${test} COMMAND gcverify::gcverify run --sut-plugin $<TARGET_FILE:${arg_PLUGIN}>
                                    ${version_flag} ${program})
      set_tests_properties(${test} PROPERTIES TIMEOUT 300 SKIP_REGULAR_EXPRESSION "0 passed, 0 failed, 1 skipped")
    endforeach()
  endforeach()
endfunction()
