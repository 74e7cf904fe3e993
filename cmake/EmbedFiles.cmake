# parley_embed_files(OUT_VAR SOURCE_DIR OUTPUT_CPP)
# Compiles every file under SOURCE_DIR into OUTPUT_CPP as a byte array, listed by a function named
# after the folder (web -> parley::embedded::web_files(), voices -> voice_files()); see src/core/embedded.h.
# Regenerated whenever a file in the folder changes.
function(parley_embed_files out_var source_dir output_cpp)
  get_filename_component(group ${source_dir} NAME)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${source_dir}/*)
  add_custom_command(
    OUTPUT ${output_cpp}
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${source_dir} -DOUTPUT=${output_cpp} -DGROUP=${group}
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding ${group} files"
    VERBATIM)
  set(${out_var} ${output_cpp} PARENT_SCOPE)
endfunction()
