// Compiles Boost.Asio once, for the tests, examples and benchmarks, which
// link this library and see BOOST_ASIO_SEPARATE_COMPILATION (as Boost.Beast's
// test/lib_asio.cpp does). It defines nothing itself.
#include <boost/asio/impl/src.hpp>
