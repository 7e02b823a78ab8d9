# Man pages made at build time by help2man from each program's --help and --version, so
# they cannot drift from the options; man/PROGRAM.h2m adds the name line, files and
# references. Compressed, as Debian ships them.
find_program(HELP2MAN help2man REQUIRED)
find_program(GZIP gzip REQUIRED)

file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/man)
set(pages)
foreach(program muster-coordinator muster-agent muster)
  set(page ${CMAKE_CURRENT_BINARY_DIR}/man/${program}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${HELP2MAN} --no-info --section=1 --source=Muster
            --include=${CMAKE_CURRENT_SOURCE_DIR}/man/${program}.h2m
            --output=${page} $<TARGET_FILE:${program}>
    COMMAND ${GZIP} -9 -n -f ${page}
    DEPENDS ${program} ${CMAKE_CURRENT_SOURCE_DIR}/man/${program}.h2m
    COMMENT "Writing the man page of ${program}"
    VERBATIM)
  list(APPEND pages ${page}.gz)
endforeach()
add_custom_target(muster_man_pages ALL DEPENDS ${pages})

install(FILES ${CMAKE_CURRENT_BINARY_DIR}/man/muster-coordinator.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT coordinator)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/man/muster-agent.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT agent)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/man/muster.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT console)
