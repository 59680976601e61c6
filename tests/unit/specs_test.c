/* Unit tests of specs/ (built with ASan/UBSan and LeakSanitizer).
 *
 *   specs_test [CORPUS_DIR]     checks on CORPUS_DIR/good/ (default
 *                               tests/corpus) and on inline documents; TAP
 *   specs_test --config FILE... parses each FILE as config.json: prints "ok"
 *   specs_test --process FILE...   or the error (one line, starting with
 *   specs_test --resources FILE... FILE) for each; exits 1 when one failed
 *                                  (tests/specs.bats drives these)
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../lib/cleanup.h"
#include "../../specs/specs.h"
#include "check.h"

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* Prints s on one line, newlines and quotes escaped. */
static const char *
one_line (const char *s, char *buf, size_t size)
{
  size_t o = 0;
  if (s == NULL)
    return "(null)";
  for (; *s && o + 3 < size; s++)
    {
      if (*s == '\n' || *s == '"' || *s == '\\')
        buf[o++] = '\\';
      buf[o++] = *s == '\n' ? 'n' : *s;
    }
  buf[o] = '\0';
  return buf;
}

static void
check_str (const char *got, const char *want, const char *expr)
{
  char g[512], w[512];
  check (streq (got, want), "%s == \"%s\" (got \"%s\")", expr,
         one_line (want, w, sizeof w), one_line (got, g, sizeof g));
}

#define CHECK_STR(got, want) check_str ((got), (want), #got)
#define CHECK_INT(got, want) \
  check ((intmax_t) (got) == (intmax_t) (want), "%s == %jd (got %jd)", #got, \
         (intmax_t) (want), (intmax_t) (got))
#define CHECK_U64(got, want) \
  check ((uint64_t) (got) == (uint64_t) (want), "%s == %" PRIu64 " (got %" \
         PRIu64 ")", #got, (uint64_t) (want), (uint64_t) (got))
#define CHECK(cond) check ((cond), "%s", #cond)

static const char *corpus = "tests/corpus";

static struct oci_config *
load_good (const char *file)
{
  cleanup_free char *path = NULL;
  struct oci_config *c = NULL;
  husk_err *err = NULL;

  if (asprintf (&path, "%s/good/%s", corpus, file) < 0)
    abort ();
  oci_config_load (AT_FDCWD, path, &c, &err);
  check (c != NULL, "load %s%s%s", path, err ? ": " : "",
         err ? err->msg : "");
  husk_err_free (err);
  return c;
}

/* Parses an inline document; returns the error message (to free) or NULL. */
static char *
parse_error (const char *doc)
{
  struct oci_config *c = NULL;
  husk_err *err = NULL;
  char *msg = NULL;

  if (oci_config_parse (doc, strlen (doc), "config.json", &c, &err) < 0)
    {
      msg = strdup (err->msg);
      husk_err_free (err);
    }
  oci_config_free (c);
  return msg;
}

/* ---------- good documents ---------- */

static void
test_runc_default (void)
{
  struct oci_config *c = load_good ("runc-default.json");
  if (c == NULL)
    return;
  CHECK_STR (c->oci_version, "1.0.2-dev");
  CHECK (c->process && c->process->terminal);
  CHECK_STR (c->process->args[0], "sh");
  CHECK_INT (strv_len (c->process->args), 1);
  CHECK_INT (strv_len (c->process->env), 2);
  CHECK_STR (c->process->cwd, "/");
  CHECK_INT (c->process->user.uid, 0);
  CHECK (!c->process->user.has_umask);
  CHECK_INT (strv_len (c->process->capabilities->bounding), 3);
  CHECK_STR (c->process->capabilities->bounding[2], "CAP_NET_BIND_SERVICE");
  CHECK (c->process->capabilities->inheritable == NULL);
  CHECK_INT (c->process->n_rlimits, 1);
  CHECK_INT (c->process->rlimits[0].resource, RLIMIT_NOFILE);
  CHECK_U64 (c->process->rlimits[0].hard, 1024);
  CHECK (c->process->no_new_privileges);
  CHECK (!c->process->has_oom_score_adj);
  CHECK_STR (c->root->path, "rootfs");
  CHECK (c->root->readonly);
  CHECK_STR (c->hostname, "runc");
  CHECK (c->domainname == NULL);
  CHECK_INT (c->n_mounts, 7);
  CHECK_STR (c->mounts[6].destination, "/sys/fs/cgroup");
  CHECK_STR (c->mounts[1].type, "tmpfs");
  CHECK_INT (strv_len (c->mounts[1].options), 4);
  CHECK (c->hooks == NULL);
  CHECK_INT (c->n_annotations, 0);
  CHECK_INT (c->linux_->n_namespaces, 5);
  CHECK (oci_find_namespace (c, OCI_NS_MOUNT) == &c->linux_->namespaces[4]);
  CHECK (oci_find_namespace (c, OCI_NS_USER) == NULL);
  CHECK (c->linux_->namespaces[1].type == OCI_NS_NETWORK
         && c->linux_->namespaces[1].path == NULL);
  CHECK_INT (c->linux_->resources->n_devices, 1);
  CHECK (!c->linux_->resources->devices[0].allow);
  CHECK_STR (c->linux_->resources->devices[0].access, "rwm");
  CHECK (c->linux_->resources->devices[0].type == NULL);
  CHECK (!c->linux_->resources->devices[0].has_major);
  CHECK_INT (strv_len (c->linux_->masked_paths), 10);
  CHECK_STR (c->linux_->readonly_paths[4], "/proc/sysrq-trigger");
  CHECK (c->linux_->seccomp == NULL);
  oci_config_free (c);
}

static void
test_full_process (const struct oci_process *p)
{
  CHECK (p->terminal);
  CHECK (p->has_console_size && p->console_size.height == 25
         && p->console_size.width == 80);
  CHECK_INT (p->user.uid, 1000);
  CHECK_U64 (p->user.gid, 4294967295u);
  CHECK (p->user.has_umask && p->user.umask == 022);
  CHECK_INT (p->user.n_additional_gids, 3);
  CHECK_U64 (p->user.additional_gids[2], 4294967294u);
  CHECK_STR (p->user.username, "ignored-on-linux");
  CHECK_STR (p->args[2], "echo hi");
  CHECK_STR (p->command_line, "sh -c \"echo hi\"");
  CHECK_STR (p->env[2], "EQ=a=b");
  CHECK_STR (p->cwd, "/home/user");
  CHECK (p->capabilities->inheritable && !p->capabilities->inheritable[0]);
  CHECK_STR (p->capabilities->ambient[0], "CAP_KILL");
  CHECK_INT (p->n_rlimits, 3);
  CHECK_INT (p->rlimits[1].resource, RLIMIT_CORE);
  CHECK_U64 (p->rlimits[1].hard, UINT64_MAX);
  CHECK_U64 (p->rlimits[1].soft, UINT64_MAX);
  CHECK_U64 (p->rlimits[2].soft, 9223372036854775808u);
  CHECK_STR (p->rlimits[2].type, "RLIMIT_NPROC");
  CHECK_STR (p->apparmor_profile, "husk-default");
  CHECK (p->has_oom_score_adj && p->oom_score_adj == -999);
  CHECK_STR (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  CHECK_INT (p->io_priority->class_, 2);
  CHECK_STR (p->io_priority->class_name, "IOPRIO_CLASS_BE");
  CHECK_INT (p->io_priority->priority, 7);
  CHECK_INT (p->scheduler->policy_num, 6);
  CHECK (p->scheduler->has_nice && p->scheduler->nice == -20);
  CHECK (p->scheduler->has_priority && p->scheduler->priority == 0);
  CHECK_STR (p->scheduler->flags[1], "SCHED_FLAG_RECLAIM");
  CHECK_U64 (p->scheduler->period, 30000000);
  CHECK (p->scheduler->has_runtime && p->scheduler->has_deadline);
  CHECK_STR (p->exec_cpu_affinity->initial, "0-1, 3");
  CHECK_STR (p->exec_cpu_affinity->final, "2");
}

static void
test_full_resources (const struct oci_resources *r)
{
  CHECK_INT (r->n_devices, 3);
  CHECK (r->devices[1].allow && r->devices[1].has_major
         && r->devices[1].major == 10 && r->devices[1].minor == 229);
  CHECK (r->devices[2].has_major && r->devices[2].major == -1
         && !r->devices[2].has_minor);
  CHECK_INT (r->memory->limit, 536870912);
  CHECK (r->memory->has_swap && r->memory->swap == -1);
  CHECK (r->memory->has_kernel_tcp && r->memory->kernel_tcp == 0);
  CHECK_U64 (r->memory->swappiness, 60);
  CHECK (r->memory->has_disable_oom_killer && !r->memory->disable_oom_killer);
  CHECK (r->memory->has_check_before_update && r->memory->check_before_update);
  CHECK_U64 (r->cpu->shares, 1024);
  CHECK_INT (r->cpu->quota, 1000000);
  CHECK_U64 (r->cpu->burst, 1000000);
  CHECK_INT (r->cpu->realtime_runtime, 950000);
  CHECK_STR (r->cpu->mems, "0-7");
  CHECK (r->cpu->has_idle && r->cpu->idle == 1);
  CHECK (r->pids->has_limit && r->pids->limit == 32771);
  CHECK_INT (r->block_io->weight, 10);
  CHECK_INT (r->block_io->n_weight_device, 2);
  CHECK (r->block_io->weight_device[1].has_weight
         && !r->block_io->weight_device[1].has_leaf_weight);
  CHECK_U64 (r->block_io->throttle_write_bps_device[0].rate, UINT64_MAX);
  CHECK_INT (r->block_io->throttle_read_iops_device[0].minor, 1);
  CHECK_INT (r->block_io->n_throttle_write_iops_device, 1);
  CHECK_STR (r->hugepage_limits[1].page_size, "64KB");
  CHECK_U64 (r->hugepage_limits[0].limit, 209715200);
  CHECK_U64 (r->network->class_id, 1048577);
  CHECK_STR (r->network->priorities[1].name, "eth1");
  CHECK_INT (r->n_rdma, 2);
  CHECK (r->rdma[1].has_hca_objects && !r->rdma[1].has_hca_handles);
  CHECK_STR (r->rdma[0].device, "mlx5_1");
  CHECK_INT (r->n_unified, 2);
  CHECK_STR (r->unified[1].value, "max");
}

static void
test_full_seccomp (const struct oci_seccomp *s)
{
  CHECK_STR (s->default_action, "SCMP_ACT_ERRNO");
  CHECK (s->has_default_errno_ret && s->default_errno_ret == 38);
  CHECK_INT (strv_len (s->architectures), 3);
  CHECK_STR (s->flags[2], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  CHECK_STR (s->listener_path, "/run/seccomp-agent.sock");
  CHECK_STR (s->listener_metadata, "MKNOD=/dev/null");
  CHECK_INT (s->n_syscalls, 10);
  CHECK (s->syscalls[1].has_errno_ret && s->syscalls[1].errno_ret == 1);
  CHECK (!s->syscalls[0].has_errno_ret);
  CHECK_INT (s->syscalls[2].n_args, 7);
  CHECK (s->syscalls[2].args[1].op == OCI_OP_NE
         && s->syscalls[2].args[1].value == UINT64_MAX);
  CHECK (s->syscalls[2].args[5].index == 5 && s->syscalls[2].args[5].op == OCI_OP_GT);
  CHECK (s->syscalls[2].args[6].op == OCI_OP_MASKED_EQ
         && s->syscalls[2].args[6].has_value_two
         && s->syscalls[2].args[6].value_two == 8);
  CHECK (!s->syscalls[2].args[0].has_value_two);
  CHECK_STR (s->syscalls[8].action, "SCMP_ACT_NOTIFY");
}

static void
test_full_linux (const struct oci_linux *l)
{
  CHECK_INT (l->n_namespaces, 8);
  CHECK (l->namespaces[7].type == OCI_NS_TIME);
  CHECK_STR (l->namespaces[1].path, "/var/run/netns/test");
  CHECK_INT (l->n_gid_mappings, 2);
  CHECK_U64 (l->gid_mappings[1].host_id, 4294967295u);
  CHECK_INT (l->uid_mappings[0].size, 32000);
  CHECK (l->time_monotonic.present && l->time_monotonic.secs == -86400
         && l->time_monotonic.nanosecs == 999999999);
  CHECK (l->time_boottime.present && l->time_boottime.secs == INT64_MAX
         && l->time_boottime.nanosecs == 0);
  CHECK_INT (l->n_devices, 3);
  CHECK (l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK (l->devices[1].has_major && !l->devices[1].has_uid);
  CHECK (!l->devices[2].has_major && streq (l->devices[2].type, "p"));
  CHECK_STR (l->cgroups_path, "/husk/full");
  test_full_resources (l->resources);
  CHECK_STR (l->intel_rdt->clos_id, "guaranteed_group");
  CHECK_STR (l->intel_rdt->schemata, "L3:0=7f0;1=1f\nMB:0=20;1=70");
  CHECK (l->intel_rdt->has_enable_cmt && l->intel_rdt->enable_cmt);
  CHECK (l->intel_rdt->has_enable_mbm && !l->intel_rdt->enable_mbm);
  CHECK (l->intel_rdt->has_enable_monitoring);
  CHECK_INT (l->n_sysctl, 2);
  CHECK_STR (l->sysctl[0].key, "net.ipv4.ip_forward");
  test_full_seccomp (l->seccomp);
  CHECK_STR (l->rootfs_propagation, "rslave");
  CHECK_STR (l->masked_paths[1], "/sys/firmware");
  CHECK_STR (l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
  CHECK_STR (l->personality->domain, "LINUX32");
  CHECK (l->personality->flags && !l->personality->flags[0]);
  CHECK_INT (l->n_net_devices, 2);
  CHECK_STR (l->net_devices[0].host_name, "eth1");
  CHECK_STR (l->net_devices[0].name, "ctr1");
  CHECK (l->net_devices[1].name == NULL);
  CHECK_STR (l->memory_policy->mode, "MPOL_INTERLEAVE");
  CHECK_STR (l->memory_policy->nodes, "0-1");
  CHECK_STR (l->memory_policy->flags[0], "MPOL_F_STATIC_NODES");
}

static void
test_full (void)
{
  struct oci_config *c = load_good ("full.json");
  const struct oci_hooks *h;

  if (c == NULL)
    return;
  CHECK_STR (c->oci_version, "1.3.0");
  test_full_process (c->process);
  CHECK_STR (c->root->path, "rootfs");
  CHECK_STR (c->hostname, "full-host");
  CHECK_STR (c->domainname, "example.org");
  CHECK_INT (c->n_mounts, 3);
  CHECK (c->mounts[0].options == NULL && c->mounts[0].n_uid_mappings == 0);
  CHECK_INT (c->mounts[1].uid_mappings[0].host_id, 100000);
  CHECK_INT (c->mounts[1].gid_mappings[0].size, 1);
  CHECK_STR (c->mounts[1].options[3], "idmap");
  h = c->hooks;
  CHECK_STR (h->prestart.hooks[0].path, "/usr/bin/prestart");
  CHECK_STR (h->prestart.hooks[0].args[1], "a");
  CHECK_STR (h->prestart.hooks[0].env[0], "K=V");
  CHECK (h->prestart.hooks[0].has_timeout && h->prestart.hooks[0].timeout == 5);
  CHECK_INT (h->create_runtime.n, 2);
  CHECK (!h->create_runtime.hooks[0].has_timeout);
  CHECK_STR (h->create_container.hooks[0].path, "/bin/cc");
  CHECK_STR (h->start_container.hooks[0].path, "/bin/sc");
  CHECK_STR (h->poststart.hooks[0].path, "/bin/ps");
  CHECK_INT (h->poststop.hooks[0].timeout, 2147483647);
  CHECK_STR (oci_annotation (c, "org.example.key"), "value");
  CHECK_STR (oci_annotation (c, "dup"), "second");
  CHECK (oci_annotation (c, "absent") == NULL);
  test_full_linux (c->linux_);
  oci_config_free (c);
}

static void
test_versions (void)
{
  struct oci_config *c = load_good ("v1.0.0.json");
  if (c)
    {
      CHECK_STR (c->oci_version, "1.0.0");
      CHECK (c->root->readonly == false && c->hostname == NULL);
      CHECK (c->process->capabilities == NULL && c->process->env == NULL);
      CHECK_INT (c->linux_->n_namespaces, 2);
      CHECK (c->linux_->resources == NULL && c->linux_->seccomp == NULL);
      oci_config_free (c);
    }
  c = load_good ("v1.3.0.json");
  if (c)
    {
      CHECK_STR (c->oci_version, "1.3.0-rc.1");
      CHECK (c->linux_ == NULL && c->hostname == NULL);
      CHECK (!c->process->has_oom_score_adj && c->process->env == NULL);
      CHECK (oci_find_namespace (c, OCI_NS_PID) == NULL);
      oci_config_free (c);
    }
}

static void
test_lone_documents (void)
{
  cleanup_free char *path = NULL, *rpath = NULL;
  struct oci_process *p = NULL;
  struct oci_resources *r = NULL;
  husk_err *err = NULL;

  if (asprintf (&path, "%s/good/process.json", corpus) < 0
      || asprintf (&rpath, "%s/good/resources.json", corpus) < 0)
    abort ();
  check (oci_process_load (AT_FDCWD, path, &p, &err) == 0, "load %s%s%s",
         path, err ? ": " : "", err ? err->msg : "");
  husk_err_freep (&err);
  if (p)
    {
      CHECK_STR (p->args[1], "aux");
      CHECK_INT (p->user.uid, 33);
      CHECK_INT (p->user.additional_gids[0], 4);
      CHECK_STR (p->cwd, "/tmp");
      CHECK (p->no_new_privileges && !p->terminal);
    }
  oci_process_free (p);
  check (oci_resources_load (AT_FDCWD, rpath, &r, &err) == 0, "load %s%s%s",
         rpath, err ? ": " : "", err ? err->msg : "");
  husk_err_freep (&err);
  if (r)
    {
      CHECK_INT (r->memory->limit, 104857600);
      CHECK_INT (r->cpu->quota, 50000);
      CHECK_INT (r->pids->limit, 100);
      CHECK_STR (r->unified[0].key, "memory.high");
    }
  oci_resources_free (r);

  const char *bad = "{\"cwd\": \"/\"}";
  oci_process_parse (bad, strlen (bad), "proc.json", &p, &err);
  check (err && streq (err->msg, "proc.json: args: required field is missing"),
         "lone process errors start at the top: %s", err ? err->msg : "(none)");
  husk_err_freep (&err);
}

/* ---------- inline documents ---------- */

#define MINI "\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}"

struct bad_case {
  const char *doc, *want;
};

static const struct bad_case bad_cases[] = {
  { "{" MINI ", \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
    "config.json: linux.resources.memory.limit: expected an integer, got \"1G\"" },
  { "{" MINI ", \"process\": {\"cwd\": \"/\"}}",
    "config.json: process.args: required field is missing" },
  { "{" MINI ", \"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\"}, {\"destination\": 42}]}",
    "config.json: mounts[2].destination: expected a string, got 42" },
  { "{" MINI ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"foo\"}]}}",
    "config.json: linux.namespaces[1].type: expected one of pid, network, mount, ipc, uts, user, cgroup, time, got \"foo\"" },
  { "{\"root\": {\"path\": \"r\"}}",
    "config.json: ociVersion: required field is missing" },
  { "{" MINI ", \"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"user\": {\"uid\": 4294967296}}}",
    "config.json: process.user.uid: expected an integer between 0 and 4294967295, got 4294967296" },
  { "{" MINI ", \"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1.5, \"soft\": 1}]}}",
    "config.json: process.rlimits[0].hard: expected an integer, got 1.5" },
  { "{" MINI ", \"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551616, \"soft\": 1}]}}",
    "config.json: process.rlimits[0].hard: expected an integer between 0 and 18446744073709551615, got 18446744073709551616" },
  { "{" MINI ", \"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1e3, \"soft\": 1}]}}",
    "config.json: process.rlimits[0].hard: expected an integer, got 1e3" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"root\": {}}",
    "config.json: root.path: required field is missing" },
  { "[]", "config.json: expected a JSON object, got an array" },
  { "", "config.json: empty document: expected a JSON object" },
  { "{\"ociVersion\": \"1.0.0\",\n \"root\": {\"path\": \"r\"}\n", "config.json: invalid JSON at line 3, column 1: parse error: premature EOF" },
  { "{\"ociVersion\": \"1.0.0\",\n  \"root\" {}}", "config.json: invalid JSON at line 2, column" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\\u0000b\"}}", "config.json: string with a NUL character" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}} // comment", "config.json: invalid JSON at line 1" },
  { "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}} {}", "config.json: invalid JSON at line 1" },
  { "{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}}", "config.json: ociVersion: expected a 1.x version from 1.0.0 to 1.3.x" },
  { "{\"ociVersion\": \"1.4.0\", \"root\": {\"path\": \"r\"}}", "config.json: ociVersion: expected a 1.x version" },
  { "{\"ociVersion\": \"1.0\", \"root\": {\"path\": \"r\"}}", "config.json: ociVersion: expected a version like \"1.2.0\", got \"1.0\"" },
  { "{" MINI ", \"annotations\": {\"a\": 1}}", "config.json: annotations[\"a\"]: expected a string, got 1" },
};

static void
test_bad_inline (void)
{
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++)
    {
      char *msg = parse_error (bad_cases[i].doc);
      check (msg && strncmp (msg, bad_cases[i].want,
                             strlen (bad_cases[i].want)) == 0,
             "bad inline %zu: want \"%s\", got \"%s\"", i, bad_cases[i].want,
             msg ? msg : "(accepted)");
      free (msg);
    }
}

static void
test_deep_nesting (void)
{
  size_t depth = 1000000;
  char *doc = malloc (depth + 1);
  struct oci_config *c = NULL;
  husk_err *err = NULL;

  if (doc == NULL)
    abort ();
  memset (doc, '[', depth);
  doc[depth] = '\0';
  oci_config_parse (doc, depth, "config.json", &c, &err);
  check (err && strstr (err->msg, "nested more than 64 levels"),
         "a million '[' are refused: %s", err ? err->msg : "(accepted)");
  husk_err_free (err);
  free (doc);
}

static void
test_too_many_values (void)
{
  size_t n = 1000001, len = 2 * n + 1;
  char *doc = malloc (len + 1);
  struct oci_config *c = NULL;
  husk_err *err = NULL;

  if (doc == NULL)
    abort ();
  doc[0] = '[';
  for (size_t i = 0; i < n; i++)
    {
      doc[1 + 2 * i] = '0';
      doc[2 + 2 * i] = i + 1 < n ? ',' : ']';
    }
  doc[len] = '\0';
  oci_config_parse (doc, len, "config.json", &c, &err);
  check (err && strstr (err->msg, "more than 1000000 JSON values"),
         "a million values are refused before the tree is built: %s",
         err ? err->msg : "(accepted)");
  husk_err_free (err);
  free (doc);
}

/* Quoted values in messages are cut at a character boundary, escaped. */
static void
test_message_quoting (void)
{
  char doc[1024];
  char *msg;

  /* 30 two-byte characters: the cut at 40 bytes falls on a boundary, 41
   * would not */
  snprintf (doc, sizeof doc, "{" MINI ", \"hostname\": [], \"process\": "
            "{\"args\": [\"a\"], \"cwd\": \"/\", \"env\": [\"x%s\"]}}",
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");
  msg = parse_error (doc);
  CHECK_STR (msg, "config.json: process.env[0]: expected \"NAME=value\", got "
                  "\"x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"");
  free (msg);
  msg = parse_error ("{" MINI ", \"annotations\": {\"a\\nb\\\"\": 1}}");
  CHECK_STR (msg, "config.json: annotations[\"a\\u000ab\\\"\"]: expected a "
                  "string, got 1");
  free (msg);
}

static void
test_edge_values (void)
{
  const char *doc
      = "{" MINI ", \"process\": {\"args\": [\"a\"], \"cwd\": \"/\","
        " \"user\": {\"uid\": -0, \"umask\": 511}, \"unknown\": [[[]]]},"
        " \"linux\": {\"devices\": null, \"sysctl\": {}}}";
  struct oci_config *c = NULL;
  husk_err *err = NULL;

  oci_config_parse (doc, strlen (doc), "config.json", &c, &err);
  check (c != NULL, "edge values parse%s%s", err ? ": " : "",
         err ? err->msg : "");
  if (c)
    {
      CHECK_INT (c->process->user.umask, 0777);
      CHECK_INT (c->process->user.uid, 0);
      CHECK (c->linux_->devices == NULL && c->linux_->n_devices == 0);
      CHECK (c->linux_->sysctl != NULL && c->linux_->n_sysctl == 0);
    }
  husk_err_free (err);
  oci_config_free (c);
}

/* ---------- state ---------- */

static void
test_state (void)
{
  struct oci_kv ann[] = { { "a", "1" }, { "q\"uote", "back\\slash" } };
  struct oci_state s = { .oci_version = "1.3.0", .id = "c1",
                         .status = "running", .pid = 4242,
                         .bundle = "/b/c1", .annotations = ann,
                         .n_annotations = 2 };
  husk_err *err = NULL;
  char *out = NULL;
  size_t len = 0;

  oci_state_to_json (&s, false, &out, &len, &err);
  CHECK_STR (out, "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":"
                  "\"running\",\"pid\":4242,\"bundle\":\"/b/c1\","
                  "\"annotations\":{\"a\":\"1\",\"q\\\"uote\":"
                  "\"back\\\\slash\"}}");
  CHECK (out && len == strlen (out));
  free (out);

  s.status = "stopped";
  s.pid = 0;
  s.n_annotations = 0;
  oci_state_to_json (&s, true, &out, &len, &err);
  CHECK_STR (out, "{\n  \"ociVersion\": \"1.3.0\",\n  \"id\": \"c1\",\n"
                  "  \"status\": \"stopped\",\n  \"pid\": 0,\n"
                  "  \"bundle\": \"/b/c1\"\n}\n");
  free (out);

  s.bundle = "/b/\xff";
  int r = oci_state_to_json (&s, false, &out, &len, &err);
  check (r < 0 && err && out == NULL,
         "state with a non-UTF-8 bundle is refused: %s",
         err ? err->msg : "(accepted)");
  husk_err_free (err);
}

static void
test_names (void)
{
  CHECK_STR (oci_ns_type_name (OCI_NS_NETWORK), "network");
  CHECK_STR (oci_ns_type_name (OCI_NS_TIME), "time");
  CHECK_STR (oci_ns_type_name (OCI_NS_COUNT), "unknown");
}

/* ---------- file mode ---------- */

static int
parse_file (const char *kind, const char *path)
{
  husk_err *err = NULL;
  int r;

  if (strcmp (kind, "--process") == 0)
    {
      struct oci_process *p = NULL;
      r = oci_process_load (AT_FDCWD, path, &p, &err);
      oci_process_free (p);
    }
  else if (strcmp (kind, "--resources") == 0)
    {
      struct oci_resources *res = NULL;
      r = oci_resources_load (AT_FDCWD, path, &res, &err);
      oci_resources_free (res);
    }
  else
    {
      struct oci_config *c = NULL;
      r = oci_config_load (AT_FDCWD, path, &c, &err);
      oci_config_free (c);
    }
  if (r < 0)
    {
      printf ("%s\n", err ? err->msg : "error without a message");
      husk_err_free (err);
      return 1;
    }
  printf ("ok\n");
  return 0;
}

static int
parse_files (int argc, char **argv)
{
  int status = 0;
  for (int i = 2; i < argc; i++)
    status |= parse_file (argv[1], argv[i]);
  return status;
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && strncmp (argv[1], "--", 2) == 0)
    return parse_files (argc, argv);
  if (argc == 2)
    corpus = argv[1];
  else if (argc > 2)
    {
      fprintf (stderr, "usage: %s [CORPUS_DIR] | --config|--process|"
               "--resources FILE...\n", argv[0]);
      return 2;
    }

  test_runc_default ();
  test_full ();
  test_versions ();
  test_lone_documents ();
  test_bad_inline ();
  test_deep_nesting ();
  test_too_many_values ();
  test_message_quoting ();
  test_edge_values ();
  test_state ();
  test_names ();

  printf ("1..%d\n# %d passed, %d failed\n", n_tests, n_tests - n_failed,
          n_failed);
  return n_failed ? 1 : 0;
}
