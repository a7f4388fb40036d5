# padtimer_standard_library_only(TARGET): at the end of configuring, fail if TARGET links
# anything at all. The engine and the JSON library must stay free of third-party code, and
# the linker is the one place that cannot be fooled by an #include that slipped through.
function(padtimer_standard_library_only target)
  # DEFER expands its arguments only when it runs, so the target name is baked in by EVAL.
  cmake_language(EVAL CODE
    "cmake_language(DEFER DIRECTORY \"${PROJECT_SOURCE_DIR}\" CALL _padtimer_check_links_nothing ${target})")
endfunction()

function(_padtimer_check_links_nothing target)
  get_target_property(libs ${target} LINK_LIBRARIES)
  get_target_property(iface ${target} INTERFACE_LINK_LIBRARIES)
  if(libs OR iface)
    message(FATAL_ERROR "${target} must link only the standard library, but links: ${libs} ${iface}")
  endif()
endfunction()
