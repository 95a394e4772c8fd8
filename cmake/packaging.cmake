# The Debian package: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/build-package.sh does it all). Its runtime dependencies are not listed by hand:
# dpkg-shlibdeps reads them from the libraries the binary links (libpq5, libyaml-cpp0.7, libfmt9,
# libspdlog1.10, libre2-9, libssl3, libabsl20220623, libdate-tz3, libstdc++6, libc6), with the
# minimum versions the symbols need. tzdata is added: time zones are read from
# /usr/share/zoneinfo.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mapengine)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "mapengine maintainers <mapengine@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "migrate tables between PostgreSQL databases from declarative YAML mappings")
set(CPACK_PACKAGE_DESCRIPTION
    "mapengine migrates tables from a legacy PostgreSQL database into a new one from YAML
mapping files: one file per target table says which source query to read, how each column is
transformed and how legacy foreign keys become the new ids. It streams with COPY in resumable
batches, keeps every legacy id to new id mapping, sets bad rows aside with the reason, and
validates what landed.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS tzdata)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
include(CPack)
