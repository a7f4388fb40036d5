# The Debian package: `scripts/package.sh` (or `cpack -G DEB` in the build directory) makes
# padtimer_<version>_<arch>.deb from an already built tree. Its files are install() rules of
# their own, in the component `deb`, which a plain `cmake --install` leaves out
# (EXCLUDE_FROM_ALL): the package puts the programs in /usr/bin, the unit in
# /lib/systemd/system and the config in /etc/padtimer as a conffile, and its maintainer
# scripts (packaging/deb/) create the padtimer group and set the config's permissions.

set(padtimer_deb_dir ${PROJECT_BINARY_DIR}/package)
set(padtimer_deb_sources ${PROJECT_SOURCE_DIR}/packaging/deb)

# The unit: systemd/padtimerd.service (the one place for its hardening) with the package's
# paths, and Group=padtimer, the group that may read the config. Regenerated when it changes.
set(padtimer_unit_source ${PROJECT_SOURCE_DIR}/systemd/padtimerd.service)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${padtimer_unit_source})
file(READ ${padtimer_unit_source} padtimer_unit)
if(NOT padtimer_unit MATCHES "\nDynamicUser=yes\n" OR NOT padtimer_unit MATCHES "/usr/local/bin/padtimerd ")
  message(FATAL_ERROR "cmake/package.cmake: systemd/padtimerd.service no longer has DynamicUser=yes "
                      "or /usr/local/bin/padtimerd, which the packaged unit is made from")
endif()
string(REPLACE "/usr/local/bin/" "/usr/bin/" padtimer_unit "${padtimer_unit}")
string(REGEX REPLACE "# Install: [^\n]*\n# then [^\n]*\n"
       "# Installed by the padtimer package: edit /etc/padtimer/padtimer.yaml, then\n# `systemctl enable --now padtimerd`. Local changes: `systemctl edit padtimerd`.\n"
       padtimer_unit "${padtimer_unit}")
string(REPLACE "\nDynamicUser=yes\n"
       "\nDynamicUser=yes\n# The package's group (created by its postinst): /etc/padtimer/padtimer.yaml is\n# root:padtimer 0640, as it can hold the MQTT password.\nGroup=padtimer\n"
       padtimer_unit "${padtimer_unit}")
file(CONFIGURE OUTPUT ${padtimer_deb_dir}/padtimerd.service CONTENT "${padtimer_unit}" @ONLY)
file(CONFIGURE OUTPUT ${padtimer_deb_dir}/conffiles CONTENT "/etc/padtimer/padtimer.yaml\n")

install(TARGETS padtimerd padtimerctl padtimer-sim RUNTIME DESTINATION bin
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${padtimer_deb_dir}/padtimerd.service DESTINATION /lib/systemd/system
        COMPONENT deb EXCLUDE_FROM_ALL)
# 0640 and root:root in the package; the postinst makes it root:padtimer.
install(FILES config/padtimer.minimal.yaml DESTINATION /etc/padtimer RENAME padtimer.yaml
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES README.md ${padtimer_deb_sources}/copyright DESTINATION share/doc/padtimer
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES systemd/README.md DESTINATION share/doc/padtimer RENAME README.systemd.md
        COMPONENT deb EXCLUDE_FROM_ALL)
# packaging/deb/changelog, gzip -9n as Debian wants it. Its first line names the version: the
# package test checks it against project(VERSION), so a release updates both.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${padtimer_deb_sources}/changelog)
find_program(GZIP_PROGRAM gzip REQUIRED)
execute_process(COMMAND ${GZIP_PROGRAM} -9nc ${padtimer_deb_sources}/changelog
                OUTPUT_FILE ${padtimer_deb_dir}/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${padtimer_deb_dir}/changelog.gz DESTINATION share/doc/padtimer
        COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${padtimer_deb_sources}/lintian-overrides DESTINATION share/lintian/overrides
        RENAME padtimer COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES config/padtimer.minimal.yaml config/padtimer.full.yaml config/padtimer.demo.yaml
        DESTINATION share/doc/padtimer/examples
        COMPONENT deb EXCLUDE_FROM_ALL)

# Architecture: dpkg's natively; for a cross build the toolchain file may set
# CPACK_DEBIAN_PACKAGE_ARCHITECTURE, else it comes from CMAKE_SYSTEM_PROCESSOR.
if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  if(CMAKE_CROSSCOMPILING)
    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" padtimer_cpu)
    if(padtimer_cpu MATCHES "^(aarch64|arm64)$")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
    elseif(padtimer_cpu MATCHES "^(x86_64|amd64)$")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
    elseif(padtimer_cpu MATCHES "^arm")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
    elseif(padtimer_cpu MATCHES "^i[3-6]86$")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE i386)
    elseif(padtimer_cpu STREQUAL "ppc64le")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ppc64el)
    elseif(padtimer_cpu MATCHES "^(riscv64|s390x)$")
      set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${padtimer_cpu})
    else()
      message(WARNING "package: no Debian architecture known for CMAKE_SYSTEM_PROCESSOR "
                      "'${CMAKE_SYSTEM_PROCESSOR}': set CPACK_DEBIAN_PACKAGE_ARCHITECTURE")
    endif()
  else()
    find_program(DPKG_PROGRAM dpkg)
    if(DPKG_PROGRAM)
      execute_process(COMMAND ${DPKG_PROGRAM} --print-architecture
                      OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                      OUTPUT_STRIP_TRAILING_WHITESPACE)
    endif()
  endif()
endif()

# Depends: dpkg-shlibdeps reads them off the binaries. A cross build's libraries may be in a
# sysroot dpkg knows nothing of, where dpkg-shlibdeps fails: there it is off by default and the
# Debian 12 names below stand in. With the target's libraries installed as multiarch packages
# (cmake/aarch64-linux-gnu.cmake's setup), -DPADTIMER_DEB_SHLIBDEPS=ON works cross too.
find_program(DPKG_SHLIBDEPS_PROGRAM dpkg-shlibdeps)
if(CMAKE_CROSSCOMPILING OR NOT DPKG_SHLIBDEPS_PROGRAM)
  set(padtimer_shlibdeps_default OFF)
else()
  set(padtimer_shlibdeps_default ON)
endif()
option(PADTIMER_DEB_SHLIBDEPS "Compute the .deb's library dependencies with dpkg-shlibdeps"
       ${padtimer_shlibdeps_default})
set(PADTIMER_DEB_LIBRARY_DEPENDS
    "libc6, libgcc-s1, libstdc++6, libfmt9, libpaho-mqtt1.3, libpaho-mqttpp3-1, libspdlog1.10-fmt9, libsqlite3-0, libyaml-cpp0.7"
    CACHE STRING "The .deb's library dependencies when PADTIMER_DEB_SHLIBDEPS is OFF")
if(PADTIMER_DEB_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ${PADTIMER_DEB_LIBRARY_DEPENDS}")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME padtimer)
set(CPACK_PACKAGE_VENDOR "the padtimer project")
set(CPACK_PACKAGE_CONTACT "padtimer maintainers <maintainers@users.noreply.r-seed-8b68ab84.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "heat and cold therapy timer for smart pads over MQTT")
# No semicolons in it (a CMake list separator); lines under 80 columns for dpkg and lintian.
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "padtimerd runs heat and cold therapy routines on smart plugs and pads\n"
  "(Tasmota, Shelly, Zigbee2MQTT and JSON pads) through an MQTT broker and\n"
  "enforces their safety limits: phase lengths, rest intervals, daily caps,\n"
  "temperature cutoffs and a device-side auto-off with every ON. It never starts\n"
  "a session by itself except from the schedules in its config, and never\n"
  "resumes an interrupted one.\n"
  ".\n"
  "This package has padtimerd with its systemd unit (installed disabled),\n"
  "padtimerctl (a command-line client) and padtimer-sim (a device simulator).\n"
  "It needs an MQTT broker on this machine or the network, and neither installs\n"
  "nor configures one.")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS mosquitto-clients)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS mosquitto)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${padtimer_deb_dir}/conffiles ${padtimer_deb_sources}/postinst
    ${padtimer_deb_sources}/prerm ${padtimer_deb_sources}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# DESTDIR staging, so /etc/padtimer and /lib/systemd/system land in the package.
set(CPACK_SET_DESTDIR ON)
# cpack installs the `deb` component of this tree through a script rather than
# CPACK_INSTALL_CMAKE_PROJECTS, which would first build the `preinstall` target (all of it,
# tests included): packaging takes what is built, and scripts/package.sh builds the three
# programs first.
set(CPACK_INSTALL_CMAKE_PROJECTS "")
file(CONFIGURE OUTPUT ${padtimer_deb_dir}/install-deb.cmake CONTENT [[
set(CMAKE_INSTALL_PREFIX "@CPACK_PACKAGING_INSTALL_PREFIX@")
set(CMAKE_INSTALL_COMPONENT deb)
set(CMAKE_INSTALL_DO_STRIP 1)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include("@PROJECT_BINARY_DIR@/cmake_install.cmake")
]] @ONLY)
set(CPACK_INSTALL_SCRIPTS ${padtimer_deb_dir}/install-deb.cmake)
include(CPack)

# ctest -L package: builds the package into a scratch directory and inspects it.
if(PADTIMER_BUILD_TESTS)
  add_subdirectory(tests/package)
endif()
