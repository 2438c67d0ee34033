/* The same checks compiled as C++: extern "C" blocks and no C-only constructs. */
#include "headers.c"
