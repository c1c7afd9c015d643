# Writes OUTPUT (a header of #defines) with nnlab's version and `git describe --always --dirty`
# of SOURCE_DIR ("unknown" outside a git checkout or without git). Run at every build by the
# nnlab_build_info target; the file is rewritten only when its content changed, so a build
# recompiles one small source only when the commit (or its dirtiness) did.
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
set(_content "#pragma once\n#define NNLAB_VERSION \"${VERSION}\"\n#define NNLAB_GIT_COMMIT \"${NNLAB_GIT_COMMIT}\"\n")
set(_old "")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} _old)
endif()
if(NOT _old STREQUAL _content)
  file(WRITE ${OUTPUT} "${_content}")
endif()
