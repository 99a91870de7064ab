# Writes the binary form of every corpus program into OUT (cmake -P script).
#   GCVERIFY  the gcverify tool    CORPUS  corpus/    OUT  output directory
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(GLOB_RECURSE programs RELATIVE ${CORPUS} ${CORPUS}/*.heap ${CORPUS}/*.bin)
foreach(program ${programs})
  string(REGEX REPLACE "[/.]" "_" flat ${program})
  execute_process(COMMAND ${GCVERIFY} convert --to binary ${CORPUS}/${program} ${OUT}/${flat}.bin
                  RESULT_VARIABLE status ERROR_VARIABLE error)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "cannot convert ${program}: ${error}")
  endif()
endforeach()
