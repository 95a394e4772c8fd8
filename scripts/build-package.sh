#!/usr/bin/env bash
# Builds mapengine as a packager does and makes the Debian package: a Release build with the
# compiler and linker flags Debian's packages are built with (dpkg-buildflags: -O2, hardening,
# -Werror=format-security, _FORTIFY_SOURCE), then `cpack -G DEB`. Prints the .deb's path.
#
#   scripts/build-package.sh            build-package/mapengine_<version>-1_<arch>.deb
#   MAPENGINE_PACKAGE_BUILD_DIR=dir     overrides the build folder
#   MAPENGINE_WERROR=ON                 also treats warnings as errors (.ci/run does, so that a
#                                       warning only a packager's flags show fails CI, never a user)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${MAPENGINE_PACKAGE_BUILD_DIR:-build-package}
scripts/install-deps.sh
CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DBUILD_TESTING=OFF -DMAPENGINE_WERROR="${MAPENGINE_WERROR:-OFF}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" >&2
(cd "$build_dir" && rm -f ./*.deb && cpack -G DEB >&2)
ls "$PWD/$build_dir"/mapengine_*.deb
