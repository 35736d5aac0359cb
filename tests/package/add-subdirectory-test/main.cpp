#include <otpp/otpp.hpp>

int main() {
  otpp::runtime rt;
  return 0;
}
