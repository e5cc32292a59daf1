/*
 * cairnd -- the cairn backup daemon: entry point.
 * (placeholder until the configuration module lands)
 */
#include "config.h"

#include <stdio.h>

int
main(void)
{
	printf("%s\n", PACKAGE_STRING);
	return 0;
}
