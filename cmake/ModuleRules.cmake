# The dependency rules of ../shared/DESIGN.md, checked on the link graph at
# configure time: a target that links a module it may not use stops the
# configuration with the path that breaks the rule. (Headers are checked by the
# compiler: a target sees only the headers of what it links, effbench_module.)

# The effbench targets TARGET links, directly or through others, into OUT.
function(effbench_link_closure target out)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(NOT TARGET ${t})
      continue()
    endif()
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      set(t ${aliased})
    endif()
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(direct ${t} LINK_LIBRARIES)
    get_target_property(interface ${t} INTERFACE_LINK_LIBRARIES)
    foreach(dep IN LISTS direct interface)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      if(dep MATCHES "^effbench")
        list(APPEND todo ${dep})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target} effbench_options)
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# effbench_may_use(TARGET ALLOWED...): TARGET links no effbench target but these.
function(effbench_may_use target)
  effbench_link_closure(${target} closure)
  foreach(dep IN LISTS closure)
    if(NOT dep IN_LIST ARGN)
      message(FATAL_ERROR "module rule broken: ${target} links ${dep}; it may use only: ${ARGN} "
                          "(../shared/DESIGN.md)")
    endif()
  endforeach()
endfunction()

# effbench_must_not_use(TARGET FORBIDDEN...): TARGET links none of these.
function(effbench_must_not_use target)
  effbench_link_closure(${target} closure)
  foreach(dep IN LISTS ARGN)
    if(dep IN_LIST closure)
      message(FATAL_ERROR "module rule broken: ${target} links ${dep} (../shared/DESIGN.md)")
    endif()
  endforeach()
endfunction()

# effbench_links_none_of(TARGET LIBRARY...): neither TARGET nor any effbench
# target it links, directly or through others, links one of these libraries.
function(effbench_links_none_of target)
  effbench_link_closure(${target} closure)
  foreach(t IN LISTS target closure)
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      set(t ${aliased})
    endif()
    get_target_property(direct ${t} LINK_LIBRARIES)
    get_target_property(interface ${t} INTERFACE_LINK_LIBRARIES)
    foreach(dep IN LISTS direct interface)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      if(dep IN_LIST ARGN)
        message(FATAL_ERROR "module rule broken: ${target} links ${dep} through ${t} "
                            "(../shared/DESIGN.md)")
      endif()
    endforeach()
  endforeach()
endfunction()

effbench_may_use(effbench_core)
effbench_may_use(effbench_schemas)
effbench_may_use(effbench_catalog effbench_core effbench_schemas)
effbench_may_use(effbench_workloads effbench_catalog effbench_core effbench_schemas)
effbench_may_use(effbench_result effbench_core effbench_schemas)
effbench_may_use(effbench_reports effbench_result effbench_core effbench_schemas)
effbench_may_use(effbench_stats effbench_core)
# The coordinator and the store link no kernels: suites resolve through the
# catalog of specs, and CPU features come from core.
foreach(target effbench_coordinator effbench_store effbench_analysis effbench_machine)
  effbench_must_not_use(${target} effbench_workloads effbench_engine)
  effbench_links_none_of(${target} DNNL::dnnl benchmark::benchmark)
endforeach()
foreach(agent effbench_agent effbench-agent)
  effbench_must_not_use(${agent} effbench_store effbench_reports effbench_analysis
                        effbench_coordinator effbench_cli effbench_importers effbench_stats)
endforeach()
