# Writes the man pages from the binary's own help text with help2man: mapengine.1 from
# `mapengine --help` and mapengine-<command>.1 from `mapengine <command> --help` for every
# subcommand `mapengine --help` lists; gzip-compressed, as Debian installs man pages.
#   cmake -DMAPENGINE=bin/mapengine -DHELP2MAN=/usr/bin/help2man -DOUT=dir -P man_pages.cmake
cmake_minimum_required(VERSION 3.22)
foreach(variable MAPENGINE HELP2MAN OUT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "man_pages.cmake: -D${variable}=... is required")
  endif()
endforeach()

execute_process(COMMAND ${MAPENGINE} --help OUTPUT_VARIABLE help RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "man_pages.cmake: ${MAPENGINE} --help failed")
endif()
# The lines under "Subcommands:" up to the next blank line: "  name   description".
string(REGEX REPLACE ".*\nSubcommands:\n" "" listing "${help}")
string(REGEX REPLACE "\n\n.*" "" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")

file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
set(see_also "")
set(pages "")
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^  ([a-z][a-z0-9-]*) +(.*)$")
    continue()
  endif()
  set(command ${CMAKE_MATCH_1})
  set(summary "${CMAKE_MATCH_2}")
  list(APPEND pages ${command})
  string(APPEND see_also ".BR mapengine\\-${command} (1),\n")
  # help2man takes the page's name from the first word of the NAME section.
  file(WRITE ${OUT}/${command}.h2m
       "[NAME]\nmapengine-${command} \\- ${summary}\n[SEE ALSO]\n.BR mapengine (1)\n")
endforeach()
if(NOT pages)
  message(FATAL_ERROR "man_pages.cmake: no subcommands found in `${MAPENGINE} --help`")
endif()
string(REGEX REPLACE ",\n$" "\n" see_also "${see_also}")
file(WRITE ${OUT}/mapengine.h2m "[SEE ALSO]\n${see_also}")

function(run_help2man page help_option include)
  execute_process(
    COMMAND ${HELP2MAN} --no-info --section=1 --manual=mapengine
            "--help-option=${help_option}" --include=${include}
            --output=${OUT}/${page}.1 ${MAPENGINE}
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "man_pages.cmake: help2man failed for ${page}")
  endif()
  execute_process(COMMAND gzip -9nf ${OUT}/${page}.1 RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "man_pages.cmake: gzip failed for ${page}")
  endif()
endfunction()

run_help2man(mapengine --help ${OUT}/mapengine.h2m)
foreach(command IN LISTS pages)
  run_help2man(mapengine-${command} "${command} --help" ${OUT}/${command}.h2m)
endforeach()
file(GLOB includes ${OUT}/*.h2m)
file(REMOVE ${includes})
