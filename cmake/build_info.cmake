# Writes OUTPUT (a header of #defines) with nnlab's version and `git describe --always --dirty`
# of SOURCE_DIR ("unknown" outside a git checkout or without git). Run at every build by the
# nnlab_build_info target; configure_file leaves the file untouched when nothing changed, so a
# build rebuilds one small source only when the commit (or its dirtiness) did.
set(NNLAB_GIT_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} describe --always --dirty
                  OUTPUT_VARIABLE _describe RESULT_VARIABLE _rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_rc EQUAL 0 AND _describe)
    set(NNLAB_GIT_COMMIT "${_describe}")
  endif()
endif()
file(WRITE ${OUTPUT}.in "#pragma once\n#define NNLAB_VERSION \"@VERSION@\"\n#define NNLAB_GIT_COMMIT \"@NNLAB_GIT_COMMIT@\"\n")
configure_file(${OUTPUT}.in ${OUTPUT} @ONLY)
