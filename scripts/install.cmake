# What `cmake --install` puts where, the package config find_package reads,
# and the .deb CPack makes. Included by the top-level CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(GCV_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gcverify)
set(GCV_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/gcverify)

# Libraries, as gcverify::<name>.
set(GCV_EXPORTED_LIBRARIES
    gcv_program:program gcv_model:model gcv_boost_graph:boost_graph gcv_executor:executor
    gcheap:gcheap gcv_heap_machine:heap_machine gcv_minimize:minimize gcv_explain:explain
    gcv_fuzz:fuzz gcv_fuzz_replay_main:fuzz_replay_main)
set(GCV_EXPORTED_TARGETS gcverify)
foreach(pair IN LISTS GCV_EXPORTED_LIBRARIES)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 target)
  list(GET pair 1 name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  list(APPEND GCV_EXPORTED_TARGETS ${target})
endforeach()
install(TARGETS ${GCV_EXPORTED_TARGETS} EXPORT gcverify-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT gcverify-targets NAMESPACE gcverify:: DESTINATION ${GCV_INSTALL_CMAKEDIR})
# The property suites link RapidCheck and GoogleTest: a set of their own,
# which the config loads only where both are found.
if(TARGET gcv_props)
  set_target_properties(gcv_props PROPERTIES EXPORT_NAME props)
  install(TARGETS gcv_props EXPORT gcverify-props-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT gcverify-props-targets NAMESPACE gcverify:: DESTINATION ${GCV_INSTALL_CMAKEDIR})
endif()

# Public headers of every installed library (gcverify/ and gcheap/).
foreach(dir program model executor impl impl/machine minimize explain fuzz props)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/program/generated/gcverify/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gcverify)

# The corpus (programs only), the fuzz dictionaries and options, the docs.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/corpus/ DESTINATION ${GCV_INSTALL_DATADIR}/corpus
        FILES_MATCHING PATTERN "*.heap" PATTERN "*.bin" PATTERN "*.txt" PATTERN "CMakeLists.txt" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/fuzz/ DESTINATION ${GCV_INSTALL_DATADIR}/fuzz
        FILES_MATCHING PATTERN "*.dict" PATTERN "*.options" PATTERN "include" EXCLUDE PATTERN "src" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# The package: gcverify-config.cmake, its version (compatible within a
# minor version: the plugin ABI and the headers change between them), the
# functions.
configure_package_config_file(${PROJECT_SOURCE_DIR}/scripts/gcverify-config.cmake.in
                              ${PROJECT_BINARY_DIR}/gcverify-config.cmake INSTALL_DESTINATION ${GCV_INSTALL_CMAKEDIR}
                              PATH_VARS GCV_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gcverify-config-version.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gcverify-config.cmake ${PROJECT_BINARY_DIR}/gcverify-config-version.cmake
              ${PROJECT_SOURCE_DIR}/scripts/gcverify-functions.cmake ${PROJECT_SOURCE_DIR}/scripts/binary_seed_corpus.cmake
        DESTINATION ${GCV_INSTALL_CMAKEDIR})

# cpack -G DEB: the same install as a Debian package, depending on what its
# headers and the package config need.
set(CPACK_PACKAGE_NAME gcverify)
set(CPACK_PACKAGE_VENDOR "gcverify")
set(CPACK_PACKAGE_CONTACT "gcverify developers <gcverify@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Verification harness for CPython-style memory managers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libboost-dev (>= 1.74), libstdc++6, libgcc-s1, libc6")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "librapidcheck-dev, libgtest-dev, cmake (>= 3.25), graphviz")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
include(CPack)
