/* libFuzzer target: config.json parsing (specs/).  Any input must give a
 * config or an error, never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "../../specs/specs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_config *cfg = NULL;
  husk_err *err = NULL;

  if (oci_config_parse ((const char *) data, size, "config.json", &cfg,
                        &err) == 0)
    oci_config_free (cfg);
  husk_err_free (err);
  return 0;
}
