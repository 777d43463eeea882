# Corpus replay in the main build: each fuzz target compiled with the normal
# compiler and fuzz/replay_main.cpp, run by ctest over fuzz/corpus/<target>.
include(${CMAKE_SOURCE_DIR}/fuzz/targets.cmake)
foreach(target ${HYBRIDREC_FUZZ_TARGETS})
  add_executable(${target}_replay ${CMAKE_SOURCE_DIR}/fuzz/${target}.cpp ${CMAKE_SOURCE_DIR}/fuzz/replay_main.cpp)
  target_link_libraries(${target}_replay PRIVATE hybridrec)
  add_test(NAME fuzz_corpus_${target} COMMAND ${target}_replay ${CMAKE_SOURCE_DIR}/fuzz/corpus/${target})
endforeach()
