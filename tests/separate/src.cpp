// otpp's runtime, compiled once for the separate-compilation tests: the other
// units of otpp_separate_tests see OTPP_SEPARATE_COMPILATION and only
// declarations of it.
#include <otpp/src.hpp>
