/*
 * fuzz_config_plist: libFuzzer target for config.plist loading, XML or
 * binary, with validation.  A bundle's config.plist lies in a directory
 * the VM's own processes can reach after a breakout, so any bytes must
 * be read or refused cleanly.  A config that loads must render to XML
 * and load back to the same config.
 *
 *	make fuzz FUZZ_ONLY=config_plist
 */
#include "vmm/bundle.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_config c, again;
	size_t len;
	char *xml;

	if (vm_config_parse((const char *)data, size, NULL, &c) < 0)
		return 0;
	vm_config_parse((const char *)data, size, "lab1", &again);

	xml = vm_config_to_xml(&c, &len);
	if (!xml)
		__builtin_trap();
	if (vm_config_parse(xml, len, c.name, &again) < 0 ||
	    memcmp(&c, &again, sizeof(c)) != 0)
		__builtin_trap();
	free(xml);
	return 0;
}
