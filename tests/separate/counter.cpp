#include "counter.hpp"

#include <otpp/child_spec.hpp>

#include <stdexcept>

int counter::handle_call(get) { return count; }
void counter::handle_cast(add a) { count += a.n; }
void counter::handle_cast(crash) { throw std::runtime_error("counter crashed on purpose"); }

otpp::server_ref<counter> start_counter(otpp::runtime& rt, const std::string& name) {
  return otpp::start<counter>(rt, otpp::name{name});
}

otpp::supervisor_ref start_counter_supervisor(otpp::runtime& rt, const std::string& name) {
  auto spec = otpp::child_spec_for<counter>(otpp::name{name});
  spec.id = name;
  return otpp::start_supervisor(rt, {{.strategy = otpp::one_for_one}, {spec}});
}
