# SPDX-License-Identifier: Apache-2.0
# What `cmake --install` puts where, and the Debian package CPack makes of it (scripts/package).
#
# The layout is Debian 12's: programs in /usr/bin, the unit in /lib/systemd/system, the configuration in
# /etc/jobsessions (a conffile: an upgrade keeps the administrator's edits), the documents in
# /usr/share/doc/jobsessions; the data directory /var/lib/jobsessions is made by the package's postinst, not shipped.

set(JOBSESSIONS_DIST_DIR "${PROJECT_SOURCE_DIR}/dist")
set(JOBSESSIONS_DOC_DIR "share/doc/jobsessions")

install(TARGETS jobsessiond jobsessions RUNTIME DESTINATION bin)
install(FILES "${JOBSESSIONS_DIST_DIR}/jobsessiond.service" DESTINATION /lib/systemd/system)
install(FILES "${JOBSESSIONS_DIST_DIR}/jobsessiond.conf" DESTINATION /etc/jobsessions)
install(FILES "${JOBSESSIONS_DIST_DIR}/debian/copyright" DESTINATION "${JOBSESSIONS_DOC_DIR}")

# Debian wants documents compressed, reproducibly (no name or time in the gzip header).
set(JOBSESSIONS_COMPRESSED_DOCS "${PROJECT_BINARY_DIR}/package-docs")
# third-party-licenses.txt: the licences of the npm packages the web console bundles (web/build.mjs writes them).
add_custom_command(
  OUTPUT "${JOBSESSIONS_COMPRESSED_DOCS}/changelog.gz" "${JOBSESSIONS_COMPRESSED_DOCS}/README.md.gz"
         "${JOBSESSIONS_COMPRESSED_DOCS}/third-party-licenses.txt.gz"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${JOBSESSIONS_COMPRESSED_DOCS}"
  COMMAND gzip -9nc "${JOBSESSIONS_DIST_DIR}/debian/changelog" > "${JOBSESSIONS_COMPRESSED_DOCS}/changelog.gz"
  COMMAND gzip -9nc "${PROJECT_SOURCE_DIR}/README.md" > "${JOBSESSIONS_COMPRESSED_DOCS}/README.md.gz"
  COMMAND gzip -9nc "${PROJECT_BINARY_DIR}/web/licenses.txt" >
          "${JOBSESSIONS_COMPRESSED_DOCS}/third-party-licenses.txt.gz"
  DEPENDS "${JOBSESSIONS_DIST_DIR}/debian/changelog" "${PROJECT_SOURCE_DIR}/README.md"
          "${PROJECT_BINARY_DIR}/web/licenses.txt"
  VERBATIM)
add_custom_target(jobsessions_package_docs ALL DEPENDS "${JOBSESSIONS_COMPRESSED_DOCS}/changelog.gz"
                                                       "${JOBSESSIONS_COMPRESSED_DOCS}/README.md.gz"
                                                       "${JOBSESSIONS_COMPRESSED_DOCS}/third-party-licenses.txt.gz")
install(FILES "${JOBSESSIONS_COMPRESSED_DOCS}/changelog.gz" "${JOBSESSIONS_COMPRESSED_DOCS}/README.md.gz"
              "${JOBSESSIONS_COMPRESSED_DOCS}/third-party-licenses.txt.gz"
        DESTINATION "${JOBSESSIONS_DOC_DIR}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jobsessions)
set(CPACK_PACKAGE_VENDOR "jobsessions")
set(CPACK_PACKAGE_CONTACT "jobsessions maintainers <maintainers@jobsessions.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "record of every backup job, with a scheduler and a REST API")
set(CPACK_PACKAGE_DESCRIPTION
    "jobsessions keeps the record of every job a backup system runs: a backup, a
snapshot, a retention pass, a restore, with its type, status, times and log.
It runs scheduled commands itself and serves the record over a REST API
compatible with the v1 job-sessions API of Veeam Backup for Microsoft Azure,
with a web console and a command-line client.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries' packages from what the programs link (dpkg-shlibdeps), and what the maintainer scripts use.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${JOBSESSIONS_DIST_DIR}/debian/conffiles;${JOBSESSIONS_DIST_DIR}/debian/postinst;${JOBSESSIONS_DIST_DIR}/debian/prerm;${JOBSESSIONS_DIST_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the package: no source archive, no install of the test or benchmark programs.
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_COMPONENTS_ALL Unspecified)
include(CPack)
