// The `warden` executable: warden's command line with the built-in types.
#include "warden/cli/run_main.hpp"

int main(int argc, char** argv) {
  return warden::run_main(argc, argv);
}
