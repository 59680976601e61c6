/* pause / resume: the cgroup v2 freezer (cgroup.freeze, kernel >= 5.2). */
#include <errno.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "internal.h"

/* Freezing waits for every task to reach the refrigerator; a task stuck in
 * an uninterruptible sleep can hold it.  Generous for TCG guests. */
#define FREEZE_TIMEOUT_MS 10000

int
husk_cgroup_freeze (struct husk_cgroup *cg, bool frozen, husk_err **err)
{
  int r;

  if (cg_write (cg, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  r = cg_wait_event (cg, "frozen", frozen ? 1 : 0, FREEZE_TIMEOUT_MS, err);
  if (r < 0)
    return -1;
  if (r == 0)
    {
      /* Leave it as it was rather than half frozen. */
      if (frozen)
        cg_try_write (cg, "cgroup.freeze", "0");
      return husk_error (err, ETIMEDOUT, "cgroup: %s did not %s within %d ms",
                         cg->path, frozen ? "freeze" : "thaw", FREEZE_TIMEOUT_MS);
    }
  return 0;
}

int
husk_cgroup_frozen (struct husk_cgroup *cg, bool *frozen, husk_err **err)
{
  cleanup_free char *s = NULL;

  if (cg_read (cg, "cgroup.freeze", &s, err) < 0)
    return -1;
  if (s[0] != '0' && s[0] != '1')
    return husk_error (err, 0, "cgroup: %s/cgroup.freeze: unexpected \"%s\"", cg->path, s);
  *frozen = s[0] == '1';
  return 0;
}
