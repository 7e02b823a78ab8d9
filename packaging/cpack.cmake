# `cpack -G DEB` (scripts/package): one Debian package per install component.
#   muster-coordinator  HQ's server, its system service and user, config, playbooks, docs
#   muster-agent        the member's program and its user service
#   muster-console      the operator's `muster`
# Apart, because a member's laptop needs the agent alone and must not get a system user
# and a service listening on the network, and an operator's workstation may need only the
# console.
set(CPACK_PACKAGE_NAME muster)
set(CPACK_PACKAGE_VENDOR "Muster")
set(CPACK_PACKAGE_CONTACT "Muster maintainers <muster@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL coordinator agent console)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Install into a staging DESTDIR with the real prefix, so that /etc and the units' paths
# come out as on the target system (packaging/CMakeLists.txt works them out then).
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The Debian runtime libraries (libzmq5, libsqlite3-0, libsodium23, ...) as dependencies,
# found by dpkg-shlibdeps in the programs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian ships programs without their debug information.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_COORDINATOR_PACKAGE_NAME muster-coordinator)
# Each package's description: the first line of its component's is the summary.
set(CPACK_COMPONENT_COORDINATOR_DESCRIPTION
    "Muster's HQ server, run by systemd as the muster user\n\
Keeps incidents, deployments and the audit log, and syncs the field agents.")
# systemd-sysusers makes the muster user in postinst.
set(CPACK_DEBIAN_COORDINATOR_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers")
set(CPACK_DEBIAN_COORDINATOR_PACKAGE_RECOMMENDS muster-console)
set(CPACK_DEBIAN_COORDINATOR_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/deb/coordinator/conffiles
    ${CMAKE_CURRENT_SOURCE_DIR}/deb/coordinator/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/deb/coordinator/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/deb/coordinator/postrm)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME muster-agent)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
    "Muster's field agent, for a member's laptop\n\
Tasks, playbook text and findings on the laptop, synced with HQ when a link exists.")

set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME muster-console)
# The console's report charts name a font; fontconfig finds it.
set(CPACK_DEBIAN_CONSOLE_PACKAGE_DEPENDS "fonts-dejavu-core")
set(CPACK_COMPONENT_CONSOLE_DESCRIPTION
    "Muster's operator console (the muster command)\n\
Opens incidents, deploys playbooks, enrols agents and reads the status board.")

include(CPack)
