# Debian packages of the C library and the commands:  cpack -G DEB  in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (so the library goes to the multiarch dir, lib/x86_64-linux-gnu).
#
#   libruddercore      libruddercore.so.<major> (SONAME) and .so.<version>
#   libruddercore-dev  ruddercore.h, the libruddercore.so link, libruddercore.a, ruddercore.pc
#   ruddercore         the commands: ruddercore, ruddercore-spool, rudder-dataplane
#
# The install() rules name their component (lib, dev, tools; the Lua module is "lua", which
# luarocks installs and no .deb carries).  tests/packaging/deb.sh builds, installs and removes
# these packages.
set(CPACK_PACKAGE_NAME ruddercore)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR ruddercore)
set(CPACK_PACKAGE_CONTACT "ruddercore developers <dev@ruddercore.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Send product events to RudderStack (client + walkerOS destination)")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/ruddercore/ruddercore")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/README.md")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_COMPONENTS_ALL lib dev tools)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Depends: from dpkg-shlibdeps (libcurl4, libcjson1, zlib1g, libhiredis, libc6) and between
# our own packages (dev needs lib of the same version).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

# The summary is each package's first Description line; these are the text below it.
set(CPACK_COMPONENT_LIB_DESCRIPTION "The C library (libruddercore.so.${PROJECT_VERSION_MAJOR}): the RudderStack client and the walkerOS destination.")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libruddercore)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# shlibs file and the ldconfig trigger, so programs find the library right after dpkg -i
set(CPACK_DEBIAN_LIB_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_COMPONENT_DEV_DESCRIPTION "Development files: ruddercore.h, libruddercore.so, libruddercore.a and ruddercore.pc (pkg-config).")
set(CPACK_COMPONENT_DEV_DEPENDS lib)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libruddercore-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# ruddercore.pc lists these in Requires.private, so pkg-config needs their .pc files
set(_rc_dev_depends "libcurl4-openssl-dev | libcurl-dev, libcjson-dev, zlib1g-dev")
if(HIREDIS_FOUND)
  string(APPEND _rc_dev_depends ", libhiredis-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_rc_dev_depends}")

set(CPACK_COMPONENT_TOOLS_DESCRIPTION "The commands ruddercore (map, send, conformance, persistence, spool) and ruddercore-spool, and rudder-dataplane, a local RudderStack data plane stand-in for trying things out.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ruddercore)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)

include(CPack)
