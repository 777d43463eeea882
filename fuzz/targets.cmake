# The fuzz targets and the library part each links: one list for the clang
# fuzz build (fuzz/CMakeLists.txt) and the corpus replay (fuzz/replay.cmake).
set(HYBRIDREC_FUZZ_TARGETS fuzz_delimited_reader fuzz_jsonl_reader fuzz_config_loader fuzz_serve_request fuzz_http_request)
set(HYBRIDREC_FUZZ_LIB_fuzz_delimited_reader hr_fuzz_data)
set(HYBRIDREC_FUZZ_LIB_fuzz_jsonl_reader hr_fuzz_data)
set(HYBRIDREC_FUZZ_LIB_fuzz_config_loader hr_fuzz_config)
set(HYBRIDREC_FUZZ_LIB_fuzz_serve_request hr_fuzz_serve)
set(HYBRIDREC_FUZZ_LIB_fuzz_http_request hr_fuzz_serve)
