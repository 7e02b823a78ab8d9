# cmake -DPROGRAM=P -DSHELL_NAME=bash|zsh -DOUTPUT=FILE -P write_completion.cmake
# Writes `P completion SHELL_NAME` to FILE; fails when P does.
execute_process(COMMAND ${PROGRAM} completion ${SHELL_NAME}
  OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE ${OUTPUT})
  message(FATAL_ERROR "${PROGRAM} completion ${SHELL_NAME} failed: ${status}")
endif()
