// What `mapengine --version` names: the release (project version in CMakeLists.txt) and the git
// commit the build was configured from ("unknown" outside a git checkout, unless the packager
// passed -DMAPENGINE_COMMIT=...). Defined in a file CMake generates, so that only that file
// changes from one commit to the next.
#pragma once

#include <string>
#include <string_view>

namespace mapengine::cli {

std::string_view build_commit();

// "mapengine 0.1.0 (commit 1a2b3c4d5e6f)".
std::string version_line();

}  // namespace mapengine::cli
