/* The version of the library actually loaded (headers may be older). */
#include "internal.h"

const char *chain_version_string(void)
{
	return CHAIN_VERSION_STRING;
}

unsigned int chain_version_number(void)
{
	return CHAIN_VERSION_NUMBER;
}
