/* seccomp/optimise.c against libseccomp's own program, with the kernel as
 * the judge: both programs run as socket filters (SO_ATTACH_FILTER on a
 * datagram socketpair) over packets that hold a struct seccomp_data, so
 * neither husk's interpreter nor its own check decides whether the smaller
 * program answers as libseccomp's does.
 *
 * A socket filter loads words in network order and its return value is the
 * length of the packet to keep: each word of the packet is stored
 * big-endian, and each program's `ret K` becomes `ret N`, N the index of K
 * among libseccomp's return values (1, 2, ...), which the receiver reads
 * as the length it got.  Inputs: every architecture the profiles name and
 * one they do not, syscall numbers 0..1099 and their x32 twins, the edges
 * of the 32-bit range; for the syscalls whose arguments the profiles
 * compare, a set of argument values (those compared with and their
 * neighbours, in the low half, the high half or both).  Then 400 random
 * programs (the same on every run) on random inputs, for what libseccomp's
 * programs do not reach.
 *
 *   seccomp_test [PROFILE.json...]   also checks the profiles in files */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../seccomp/internal.h"
#include "check.h"

static const uint32_t arches[] = {
  AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0,
};

static const uint64_t arg_values[] = {
  0, 1, 2, 3, 4, 5, 7, 8, 9, 39, 40, 41, 99, 100, 101, 0x20000, 0x20008,
  0x10000000, 0x7e020000, 0x7e020001, 0x80000000, 0xfffffffe, 0xffffffff,
  0x100000000ULL, 0x100000005ULL, 0xffffffff00000000ULL, UINT64_MAX,
};

/* Rules with arguments compared by every operator, 64-bit values, several
 * rules and actions for one syscall: added to a long allow list (the
 * default profile's, less these syscalls), the optimiser's case. */
static const char *const arg_rules =
  "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
  "[{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_NE\"}]},"
  "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
  "[{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
  "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": "
  "[{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
  "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
  "[{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": "
  "\"SCMP_CMP_MASKED_EQ\"}]},"
  "{\"names\": [\"lseek\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
  "[{\"index\": 1, \"value\": 4294967296, \"op\": \"SCMP_CMP_LT\"},"
  " {\"index\": 2, \"value\": 2, \"op\": \"SCMP_CMP_LE\"}]},"
  "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\", \"args\": "
  "[{\"index\": 1, \"value\": 9, \"op\": \"SCMP_CMP_GE\"}]},"
  "{\"names\": [\"tkill\"], \"action\": \"SCMP_ACT_LOG\", \"args\": "
  "[{\"index\": 1, \"value\": 100, \"op\": \"SCMP_CMP_GT\"}]},"
  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5}";

/* The syscalls of arg_rules: left out of the allow list they are added to
 * (an unconditional allow beside them would take over). */
static const char *const in_arg_rules[] = {
  "socket", "personality", "clone", "lseek", "kill", "tkill", "getpid", NULL,
};

/* Built on the default profile's allow list (see main), the optimiser's
 * case: the first n_names of it, with their own architectures and default,
 * and the share of libseccomp's size the program must come down to (the
 * first 200 names, alphabetical, are less dense in syscall numbers). */
static const struct
{
  const char *what, *head;
  size_t n_names;
  bool with_arg_rules;
  double shrink;
} long_lists[] = {
  { "allow list and argument rules, x86_64",
    "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, "
    "\"architectures\": [\"SCMP_ARCH_X86_64\"]", SIZE_MAX, true, 0.35 },
  { "allow list and argument rules, x86 and x32",
    "\"defaultAction\": \"SCMP_ACT_KILL\", "
    "\"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]", 200, true, 0.8 },
  { "allow list alone, the three",
    "\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
    "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]", SIZE_MAX, false,
    0.35 },
};

/* Short profiles, where libseccomp's program is already small: checked
 * all the same. */
static const char *const short_profiles[] = {
  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
  "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], "
  "\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\", \"rmdir\", \"unshare\", "
  "\"mount\", \"umount2\", \"pivot_root\", \"setns\", \"ptrace\", \"reboot\"], "
  "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",

  "{\"defaultAction\": \"SCMP_ACT_KILL\", \"architectures\": "
  "[\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": ["
  "{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5}]}",
};

/* Socket-filter copies of a program: returns renumbered (see above). */
static bool
as_socket_filter (const struct sock_filter *p, size_t n,
                  const uint32_t *rets, size_t n_rets, struct sock_filter *out)
{
  for (size_t i = 0; i < n; i++)
    {
      out[i] = p[i];
      if (BPF_CLASS (p[i].code) != BPF_RET)
        continue;
      size_t r = 0;
      while (r < n_rets && rets[r] != p[i].k)
        r++;
      if (r == n_rets || BPF_RVAL (p[i].code) != BPF_K)
        return false;
      out[i].k = (uint32_t) r + 1;
    }
  return true;
}

static size_t
return_values (const struct sock_filter *p, size_t n, uint32_t *rets)
{
  size_t m = 0;

  for (size_t i = 0; i < n; i++)
    if (BPF_CLASS (p[i].code) == BPF_RET)
      {
        size_t r = 0;
        while (r < m && rets[r] != p[i].k)
          r++;
        if (r == m)
          rets[m++] = p[i].k;
      }
  return m;
}

/* The two programs attached to a socketpair each. */
struct judge
{
  int sv[2][2];
};

static void
judge_close (struct judge *j)
{
  for (int k = 0; k < 2; k++)
    for (int e = 0; e < 2; e++)
      if (j->sv[k][e] >= 0)
        {
          close (j->sv[k][e]);
          j->sv[k][e] = -1;
        }
}

/* false (and nothing open) when the kernel refuses either program. */
static bool
judge_open (struct judge *j, const struct sock_filter *raw, size_t n_raw,
            const struct sock_filter *opt, size_t n_opt)
{
  struct sock_filter *a = calloc (n_raw, sizeof *a), *b = calloc (n_opt, sizeof *b);
  uint32_t *rets = calloc (n_raw, sizeof *rets);
  struct sock_fprog progs[2] = {
    { (unsigned short) n_raw, a }, { (unsigned short) n_opt, b },
  };
  size_t n_rets;
  bool ok;

  if (a == NULL || b == NULL || rets == NULL)
    abort ();
  memset (j, -1, sizeof *j);
  n_rets = return_values (raw, n_raw, rets);
  ok = as_socket_filter (raw, n_raw, rets, n_rets, a)
       && as_socket_filter (opt, n_opt, rets, n_rets, b);
  for (int k = 0; ok && k < 2; k++)
    ok = socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, j->sv[k]) == 0
         && setsockopt (j->sv[k][1], SOL_SOCKET, SO_ATTACH_FILTER, &progs[k],
                        sizeof progs[k]) == 0;
  if (!ok)
    judge_close (j);
  free (a);
  free (b);
  free (rets);
  return ok;
}

/* The index of the return program k gives for d (0: none, -1: error). */
static int
verdict (struct judge *j, int k, const struct seccomp_data *d)
{
  uint32_t words[sizeof *d / 4], got[sizeof *d / 4];
  ssize_t n;

  memcpy (words, d, sizeof words);
  for (size_t i = 0; i < sizeof words / 4; i++)
    words[i] = htonl (words[i]);
  if (send (j->sv[k][0], words, sizeof words, 0) != (ssize_t) sizeof words)
    return -1;
  n = recv (j->sv[k][1], got, sizeof got, MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN ? 0 : -1;
  return (int) n;
}

/* 1 where the programs answer d differently, 0 where alike, -1: error. */
static int
judge_differ (struct judge *j, const struct seccomp_data *d)
{
  int x = verdict (j, 0, d), y = verdict (j, 1, d);

  return x < 0 || y < 0 ? -1 : x != y;
}

/* The syscalls whose arguments a profile compares, as (architecture,
 * number) for each architecture swept (x32's numbers are x86_64's with bit
 * 30), with x86's socketcall and ipc, through which libseccomp also
 * filters the calls they multiplex: those get every argument value, the
 * others the first two (the sweep takes a syscall a value). */
struct arg_syscalls
{
  uint32_t arch[256], nr[256];
  size_t n;
};

static void
add_arg_syscall (struct arg_syscalls *a, uint32_t arch, int nr)
{
  if (nr >= 0 && a->n < sizeof a->nr / sizeof *a->nr)
    {
      a->arch[a->n] = arch;
      a->nr[a->n++] = (uint32_t) nr;
    }
}

static void
add_arg_name (struct arg_syscalls *a, const char *name)
{
  add_arg_syscall (a, AUDIT_ARCH_X86_64,
                   seccomp_syscall_resolve_name_arch (SCMP_ARCH_X86_64, name));
  add_arg_syscall (a, AUDIT_ARCH_X86_64,
                   seccomp_syscall_resolve_name_arch (SCMP_ARCH_X32, name));
  add_arg_syscall (a, AUDIT_ARCH_I386,
                   seccomp_syscall_resolve_name_arch (SCMP_ARCH_X86, name));
}

static void
arg_syscalls_of (const struct oci_seccomp *s, struct arg_syscalls *a)
{
  a->n = 0;
  add_arg_name (a, "socketcall");
  add_arg_name (a, "ipc");
  for (size_t i = 0; i < s->n_syscalls; i++)
    for (char **name = s->syscalls[i].names; s->syscalls[i].n_args && *name;
         name++)
      add_arg_name (a, *name);
}

static bool
compares_args (const struct arg_syscalls *a, uint32_t arch, uint32_t nr)
{
  for (size_t i = 0; i < a->n; i++)
    if (a->arch[i] == arch && a->nr[i] == nr)
      return true;
  return false;
}

/* Inputs where the two programs differ (0: none; -1: the judge failed). */
static long
differences (const struct sock_filter *raw, size_t n_raw,
             const struct sock_filter *opt, size_t n_opt,
             const struct arg_syscalls *args)
{
  static const uint32_t nr_edges[] = { 0x7fffffff, 0x80000000, 0xffffffff };
  static const size_t n_args = sizeof arg_values / sizeof *arg_values;
  struct judge j;
  long diff = 0;

  if (!judge_open (&j, raw, n_raw, opt, n_opt))
    return -1;
  for (size_t ai = 0; diff >= 0 && ai < sizeof arches / sizeof *arches; ai++)
    for (uint32_t i = 0; diff >= 0 && i < 2 * 1100 + 3; i++)
      {
        struct seccomp_data d = { .arch = arches[ai] };

        d.nr = (int) (i < 1100 ? i : i < 2200 ? 0x40000000 + i - 1100
                                              : nr_edges[i - 2200]);
        size_t n_values = compares_args (args, d.arch, (uint32_t) d.nr)
                            ? n_args : 2;

        for (size_t v = 0; diff >= 0 && v < n_values; v++)
          {
            int r;

            for (size_t k = 0; k < 6; k++)
              d.args[k] = arg_values[(v + k) % n_args];
            r = judge_differ (&j, &d);
            diff = r < 0 ? -1 : diff + r;
          }
      }
  judge_close (&j);
  return diff;
}

/* Compiles s, optimises a copy and has the kernel compare them.  shrink:
 * the optimised program must be at most that fraction of libseccomp's (1:
 * no smaller needed).  Keeps the two programs in *raw / *opt if asked. */
static void
check_profile (const char *what, const struct oci_seccomp *s, double shrink,
               struct sock_filter **keep_raw, unsigned short *keep_n_raw,
               struct sock_filter **keep_opt, unsigned short *keep_n_opt)
{
  static struct arg_syscalls args;
  struct sock_filter *raw = NULL, *opt;
  unsigned short n_raw = 0, n_opt;
  husk_err *err = NULL;
  long diff;

  if (sc_compile (s, &raw, &n_raw, &err) < 0)
    {
      check (false, "%s: compiles (%s)", what, err->msg);
      husk_err_free (err);
      return;
    }
  opt = malloc (n_raw * sizeof *opt);
  if (opt == NULL)
    abort ();
  memcpy (opt, raw, n_raw * sizeof *opt);
  n_opt = n_raw;
  sc_optimise (&opt, &n_opt);
  if (shrink < 1)
    check (n_opt <= shrink * n_raw, "%s: %u instructions, libseccomp's %u "
           "(at most %.0f%% wanted)", what, n_opt, n_raw, 100 * shrink);
  else
    check (n_opt <= n_raw, "%s: %u instructions, libseccomp's %u", what,
           n_opt, n_raw);
  arg_syscalls_of (s, &args);
  diff = differences (raw, n_raw, opt, n_opt, &args);
  check (diff == 0, "%s: the kernel finds the same answers for both "
         "(differences: %ld)", what, diff);
  if (keep_raw)
    {
      *keep_raw = raw, *keep_n_raw = n_raw;
      *keep_opt = opt, *keep_n_opt = n_opt;
      return;
    }
  free (raw);
  free (opt);
}

static bool
listed (const char *const *v, const char *s)
{
  for (; *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* A profile: head, then up to n names of the default profile's allow list
 * (less those of arg_rules) allowed, then arg_rules if asked. */
static char *
long_profile (const struct oci_seccomp *def, const char *head, size_t n,
              bool with_arg_rules)
{
  char *text = NULL;
  size_t len = 0, put = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  fprintf (f, "{%s, \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", "
           "\"names\": [", head);
  for (char **name = def->syscalls[0].names; *name && put < n; name++)
    if (!listed (in_arg_rules, *name))
      fprintf (f, "%s\"%s\"", put++ ? ", " : "", *name);
  fprintf (f, "]}%s%s]}", with_arg_rules ? ", " : "",
           with_arg_rules ? arg_rules : "");
  if (fclose (f) != 0)
    abort ();
  return text;
}

static void
check_text (const char *what, const char *text, double shrink)
{
  struct oci_seccomp *s = NULL;
  husk_err *err = NULL;

  if (oci_seccomp_parse (text, strlen (text), what, &s, &err) < 0)
    {
      check (false, "%s parses (%s)", what, err->msg);
      husk_err_free (err);
      return;
    }
  check_profile (what, s, shrink, NULL, NULL, NULL, NULL);
  oci_seccomp_free (s);
}

/* The judge sees a difference where there is one: the optimised default
 * program with one return changed. */
static void
check_judge (const struct oci_seccomp *s, struct sock_filter *raw,
             unsigned short n_raw, struct sock_filter *opt, unsigned short n_opt)
{
  static struct arg_syscalls args;
  size_t i = n_opt;

  while (i > 0 && !(BPF_CLASS (opt[i - 1].code) == BPF_RET
                    && opt[i - 1].k == SECCOMP_RET_ALLOW))
    i--;
  if (i == 0)
    {
      check (false, "the judge: the default program has a ret ALLOW");
      return;
    }
  opt[i - 1].k = raw[n_raw - 1].k == SECCOMP_RET_ALLOW ? raw[n_raw - 2].k
                                                        : raw[n_raw - 1].k;
  arg_syscalls_of (s, &args);
  check (differences (raw, n_raw, opt, n_opt, &args) > 0,
         "the judge finds a program with one return changed different");
}

/* ---------- random programs ---------- */

/* xorshift64: the same programs on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd (void)
{
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return (uint32_t) (rnd_state >> 16);
}

static const uint32_t rnd_consts[] = {
  0, 1, 2, 3, 5, 8, 9, 100, 0x40000000, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
};

static uint32_t
rnd_value (void)
{
  uint32_t r = rnd ();

  if (r % 8 == 0)
    return rnd ();
  return rnd_consts[r / 8 % (sizeof rnd_consts / sizeof *rnd_consts)]
         + r / 1024 % 3 - 1;
}

/* A program of n instructions the kernel takes: loads of any word of
 * seccomp_data and of constants, masks, interval and bit tests, `ja`s,
 * returns of four values; jumps forward and in range, a return last. */
static void
random_program (struct sock_filter *p, size_t n)
{
  static const uint16_t tests[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };

  for (size_t i = 0; i < n; i++)
    {
      size_t room = n - i - 1, reach = room < 256 ? room : 256;
      uint32_t r = rnd () % 100;

      if (i == n - 1 || (i > 0 && r < 12))
        p[i] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, 1 + rnd () % 4);
      else if (i == 0 || r < 30)
        p[i] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                              4 * (rnd () % 16));
      else if (r < 32)
        p[i] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_IMM, rnd_value ());
      else if (r < 35)
        p[i] = (struct sock_filter) BPF_STMT (BPF_ALU | BPF_AND | BPF_K,
                                              rnd_value ());
      else if (r < 38)
        p[i] = (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA, rnd () % room);
      else
        p[i] = (struct sock_filter) BPF_JUMP (
            BPF_JMP | tests[rnd () % 4] | BPF_K, rnd_value (),
            (uint8_t) (rnd () % reach), (uint8_t) (rnd () % reach));
    }
}

/* Random programs, optimised and judged by the kernel on random inputs
 * (each word one of the constants the programs use, or its neighbour, or
 * anything): the cases libseccomp's programs do not reach. */
static void
check_random_programs (void)
{
  enum { PROGRAMS = 400, INPUTS = 150, MAX_LEN = 160 };
  long diff = 0, optimised = 0;

  for (int i = 0; i < PROGRAMS && diff >= 0; i++)
    {
      unsigned short n = (unsigned short) (8 + rnd () % (MAX_LEN - 8));
      struct sock_filter *raw = calloc (n, sizeof *raw), *opt;
      unsigned short n_opt = n;
      struct judge j;
      bool judged;

      if (raw == NULL || (opt = malloc (n * sizeof *opt)) == NULL)
        abort ();
      random_program (raw, n);
      memcpy (opt, raw, n * sizeof *opt);
      sc_optimise (&opt, &n_opt);
      optimised += n_opt < n;
      judged = judge_open (&j, raw, n, opt, n_opt);
      if (!judged)
        diff = -1;
      for (int k = 0; diff >= 0 && k < INPUTS; k++)
        {
          struct seccomp_data d;
          uint32_t words[sizeof d / 4];
          int r;

          for (size_t w = 0; w < sizeof words / 4; w++)
            words[w] = rnd_value ();
          memcpy (&d, words, sizeof d);
          r = judge_differ (&j, &d);
          diff = r < 0 ? -1 : diff + r;
        }
      if (judged)
        judge_close (&j);
      free (raw);
      free (opt);
    }
  check (optimised > PROGRAMS / 2, "random programs: %ld of %d made smaller",
         optimised, PROGRAMS);
  check (diff == 0, "random programs: the kernel finds the same answers for "
         "both (differences: %ld)", diff);
}

/* A program the optimiser must leave alone: what follows the load of the
 * syscall number is a jset, not an interval test. */
static void
check_left_alone (void)
{
  struct sock_filter p[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_filter *q = malloc (sizeof p);
  unsigned short n = 4;

  if (q == NULL)
    abort ();
  memcpy (q, p, sizeof p);
  sc_optimise (&q, &n);
  check (n == 4 && memcmp (q, p, sizeof p) == 0,
         "a program with nothing to gain is left as it is");
  free (q);
}

/* Profiles in files (argv): podman's default among them (tests/unit.bats
 * converts containers-common's for it). */
static void
check_files (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      struct oci_seccomp *s = NULL;
      husk_err *err = NULL;

      if (oci_seccomp_load (AT_FDCWD, argv[i], &s, &err) < 0)
        {
          check (false, "%s loads (%s)", argv[i], err->msg);
          husk_err_free (err);
          continue;
        }
      check_profile (argv[i], s, 1, NULL, NULL, NULL, NULL);
      oci_seccomp_free (s);
    }
}

int
main (int argc, char **argv)
{
  static const char *const caps[] = { "CAP_CHOWN", "CAP_KILL", NULL };
  struct oci_seccomp *def = NULL;
  struct sock_filter *raw = NULL, *opt = NULL;
  unsigned short n_raw = 0, n_opt = 0;
  husk_err *err = NULL;

  if (oci_default_seccomp (caps, &def, &err) < 0)
    {
      check (false, "default profile (%s)", err->msg);
      husk_err_free (err);
      printf ("1..%d\n", n_tests);
      return 1;
    }
  /* 1223 -> 313 when written */
  check_profile ("husk spec's default profile", def, 0.35, &raw, &n_raw,
                 &opt, &n_opt);
  if (raw)
    check_judge (def, raw, n_raw, opt, n_opt);
  free (raw);
  free (opt);
  for (size_t i = 0; i < sizeof long_lists / sizeof *long_lists; i++)
    {
      char *text = long_profile (def, long_lists[i].head, long_lists[i].n_names,
                                 long_lists[i].with_arg_rules);
      check_text (long_lists[i].what, text, long_lists[i].shrink);
      free (text);
    }
  oci_seccomp_free (def);
  for (size_t i = 0; i < sizeof short_profiles / sizeof *short_profiles; i++)
    {
      char what[32];

      snprintf (what, sizeof what, "short profile %zu", i + 1);
      check_text (what, short_profiles[i], 1);
    }
  check_left_alone ();
  check_random_programs ();
  check_files (argc, argv);
  printf ("1..%d\n", n_tests);
  return n_failed ? 1 : 0;
}
