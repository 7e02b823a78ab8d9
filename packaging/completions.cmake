# Shell completions made at build time by the built programs' own `completion bash|zsh`,
# installed into bash-completion's and zsh's vendor folders.
set(programs muster muster-agent)
set(components console agent)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/completions/bash
                    ${CMAKE_CURRENT_BINARY_DIR}/completions/zsh)
set(scripts)
foreach(program component IN ZIP_LISTS programs components)
  set(bash ${CMAKE_CURRENT_BINARY_DIR}/completions/bash/${program})
  set(zsh ${CMAKE_CURRENT_BINARY_DIR}/completions/zsh/_${program})
  add_custom_command(OUTPUT ${bash} ${zsh}
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DSHELL_NAME=bash
            -DOUTPUT=${bash} -P ${CMAKE_CURRENT_SOURCE_DIR}/write_completion.cmake
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DSHELL_NAME=zsh
            -DOUTPUT=${zsh} -P ${CMAKE_CURRENT_SOURCE_DIR}/write_completion.cmake
    DEPENDS ${program} ${CMAKE_CURRENT_SOURCE_DIR}/write_completion.cmake
    COMMENT "Writing the shell completions of ${program}"
    VERBATIM)
  list(APPEND scripts ${bash} ${zsh})
  install(FILES ${bash}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT ${component})
  install(FILES ${zsh}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions COMPONENT ${component})
endforeach()
add_custom_target(muster_completions ALL DEPENDS ${scripts})
