// The text of a drafted mapping file (mapping_draft.h): the schema line, `version: 1`, and every
// part with its comments, wrapped at 100 columns. A column entry is one flow line when it fits,
// else a block.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "engine/scaffold/mapping_draft.h"

namespace mapengine::scaffold {

std::string render_mapping(const MappingDraft& draft);

}  // namespace mapengine::scaffold
