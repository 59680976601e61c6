/* rootfs_setup: the steps in order.  Everything up to the move into the
 * rootfs works on fds of the rootfs mount (masks and read-only paths
 * included), so nothing depends on the container's /proc or on a path the
 * container could change. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

static void
ctx_free (struct rootfs_ctx *ctx)
{
  husk_closep (&ctx->rootfd);
  husk_closep (&ctx->devnullfd);
  free (ctx->root_path);
  ctx->root_path = NULL;
}

static int
ctx_init (struct rootfs_ctx *ctx, husk_err **err)
{
  const struct oci_root *root = ctx->c->root;
  cleanup_free char *joined = NULL;
  const char *path;

  if (root == NULL || root->path == NULL)
    return husk_error (err, EINVAL, "root.path: required");
  path = root->path;
  if (path[0] != '/')
    {
      if (asprintf (&joined, "%s/%s", ctx->o->bundle, path) < 0)
        return husk_error (err, ENOMEM, "root.path");
      path = joined;
    }
  ctx->root_path = realpath (path, NULL);
  if (ctx->root_path == NULL)
    return husk_error (err, errno, "root.path \"%s\"", path);
  ctx->devnullfd = rootfs_open_devnull (err);
  return ctx->devnullfd < 0 ? -1 : 0;
}

int
rootfs_setup (const struct rootfs_opts *o, husk_err **err)
{
  struct rootfs_ctx ctx __attribute__ ((cleanup (ctx_free)))
  = { .o = o, .c = o->config, .rootfd = -1,
      .devnullfd = -1 };

  if (ctx_init (&ctx, err) < 0 || rootfs_prepare_root (&ctx, err) < 0
      || rootfs_do_mounts (&ctx, err) < 0 || rootfs_setup_dev (&ctx, err) < 0
      || (o->before_pivot && o->before_pivot (o->before_pivot_arg, err) < 0)
      || rootfs_mask_paths (&ctx, err) < 0
      || rootfs_readonly_paths (&ctx, err) < 0
      || rootfs_readonly_root (&ctx, err) < 0 || rootfs_enter (&ctx, err) < 0
      || rootfs_apply_propagation (&ctx, err) < 0)
    return -1;
  return 0;
}
