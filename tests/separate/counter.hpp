// A gen_server defined in its own unit (counter.cpp) and used from another
// (separate.cpp), in a program built with OTPP_SEPARATE_COMPILATION.
#ifndef OTPP_TESTS_SEPARATE_COUNTER_HPP
#define OTPP_TESTS_SEPARATE_COUNTER_HPP

#include <otpp/gen_server.hpp>
#include <otpp/runtime.hpp>
#include <otpp/supervisor.hpp>

#include <string>

struct counter : otpp::gen_server<counter> {
  struct add {
    int n;
  };
  struct get {
    using reply_type = int;
  };
  struct crash {};

  int handle_call(get);
  void handle_cast(add a);
  void handle_cast(crash);

  int count = 0;
};

// Starts a counter registered as `name`.
otpp::server_ref<counter> start_counter(otpp::runtime& rt, const std::string& name);

// Starts a one_for_one supervisor with one permanent counter registered as `name`.
otpp::supervisor_ref start_counter_supervisor(otpp::runtime& rt, const std::string& name);

#endif  // OTPP_TESTS_SEPARATE_COUNTER_HPP
