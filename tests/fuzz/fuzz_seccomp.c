/* libFuzzer target: the seccomp translation (seccomp/ through libseccomp,
 * without loading).  The input is a linux.seccomp object, put into a minimal
 * config so that the parser checks it first, as it does for husk; inputs
 * that are whole configs are taken as they are. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../seccomp/seccomp.h"
#include "../../specs/specs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char head[]
    = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
      "\"linux\": {\"seccomp\": ";
static const char tail[] = "}}";

static void
prepare (const struct oci_config *cfg)
{
  struct husk_seccomp *sc = NULL;
  husk_err *err = NULL;

  if (cfg->linux_
      && husk_seccomp_prepare (cfg->linux_->seccomp, NULL, &sc, &err) == 0)
    husk_seccomp_free (sc);
  husk_err_free (err);
}

static int
parse (const char *buf, size_t len, struct oci_config **cfg)
{
  husk_err *err = NULL;
  int rc = oci_config_parse (buf, len, "config.json", cfg, &err);
  husk_err_free (err);
  return rc;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_config *cfg = NULL;
  char *buf = malloc (sizeof head - 1 + size + sizeof tail - 1);

  if (buf == NULL)
    return 0;
  memcpy (buf, head, sizeof head - 1);
  memcpy (buf + sizeof head - 1, data, size);
  memcpy (buf + sizeof head - 1 + size, tail, sizeof tail - 1);
  if (parse (buf, sizeof head - 1 + size + sizeof tail - 1, &cfg) == 0
      || parse ((const char *) data, size, &cfg) == 0)
    {
      prepare (cfg);
      oci_config_free (cfg);
    }
  free (buf);
  return 0;
}
