# effbench_module(TARGET FOLDER): TARGET's headers are included as
# "FOLDER/name.h" by TARGET and by what links TARGET, and by nothing else.
# The repository root is on no include path: each target's public include
# directory is a folder of the build tree holding one link, FOLDER, to the
# sources. A file that includes a header of a module its target does not link
# fails to compile, so the dependency rules in ../shared/DESIGN.md are checked
# by the compiler, and by tests/module_rules.cmake on the link graph.
function(effbench_module target folder)
  set(root ${PROJECT_BINARY_DIR}/include/${target})
  set(link ${root}/${folder})
  get_filename_component(parent ${link} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT IS_SYMLINK ${link})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${link} SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_include_directories(${target} PRIVATE ${root})
  else()
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${root}>)
  endif()
endfunction()
