/* The program libseccomp exports, made smaller.
 *
 * libseccomp tests a syscall number against one value at a time: even as a
 * binary tree, the default profile takes 1223 instructions, almost all of
 * them `jeq NR` leading to the same `ret ALLOW`.  The kernel's load of a
 * filter (conversion to eBPF, the JIT, and the run of the filter for every
 * syscall number that fills its allow cache) is linear in that size, and it
 * happens in every container's start, on the init's path to exec.
 *
 * After each load of the accumulator comes a tree of comparisons of it with
 * constants: `jeq`, `jgt` and `jge` (and `ja`).  Where it leads depends only
 * on which interval of values the accumulator falls in: neighbouring
 * syscall numbers with the same outcome make one interval.  That tree is
 * replaced by a binary search over those intervals (one `jge` per interval
 * but one); what it leads to (returns, the argument checks) is kept as it
 * was, relinked.  Jumps that end up more than 255 instructions away go
 * through a `ja`.
 *
 * The result replaces libseccomp's only where it is smaller and where an
 * interpreter finds it gives the same answer as libseccomp's for every
 * class of input the program distinguishes; otherwise libseccomp's program
 * is kept as it is. */
#include "internal.h"

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"

/* A node of the program as a graph: an instruction and its successors as
 * node numbers (offsets are recomputed when the graph is laid out). */
struct node
{
  struct sock_filter ins;
  int jt, jf; /* conditional: both; ja and straight-line: jt; ret: none */
};

struct graph
{
  struct node *v;
  size_t n, cap;
};

struct piece
{
  uint32_t lo, hi;
  int exit;
};

struct pieces
{
  struct piece *v;
  size_t n, cap;
};

#define MAX_PIECES 8192

static bool
is_cond (const struct sock_filter *f)
{
  return BPF_CLASS (f->code) == BPF_JMP && BPF_OP (f->code) != BPF_JA;
}

static bool
is_ja (const struct sock_filter *f)
{
  return f->code == (BPF_JMP | BPF_JA);
}

static bool
is_ret (const struct sock_filter *f)
{
  return BPF_CLASS (f->code) == BPF_RET;
}

/* A comparison of the accumulator with a constant that splits values into
 * intervals (jset does not). */
static bool
is_interval_test (const struct sock_filter *f)
{
  return f->code == (BPF_JMP | BPF_JEQ | BPF_K)
         || f->code == (BPF_JMP | BPF_JGT | BPF_K)
         || f->code == (BPF_JMP | BPF_JGE | BPF_K);
}

static int
add_node (struct graph *g, struct sock_filter ins, int jt, int jf)
{
  if (g->n == g->cap)
    {
      size_t cap = g->cap ? 2 * g->cap : 256;
      struct node *v = realloc (g->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      g->v = v;
      g->cap = cap;
    }
  g->v[g->n] = (struct node) { ins, jt, jf };
  return (int) g->n++;
}

static int
graph_from (struct graph *g, const struct sock_filter *p, unsigned short n)
{
  for (int i = 0; i < n; i++)
    {
      int jt = -1, jf = -1;

      if (is_cond (&p[i]))
        jt = i + 1 + p[i].jt, jf = i + 1 + p[i].jf;
      else if (is_ja (&p[i]))
        jt = i + 1 + (int) p[i].k;
      else if (!is_ret (&p[i]))
        jt = i + 1;
      if (jt >= n || jf >= n || add_node (g, p[i], jt, jf) < 0)
        return -1;
    }
  return 0;
}

static int
add_piece (struct pieces *ps, uint32_t lo, uint32_t hi, int exit)
{
  if (ps->n == MAX_PIECES)
    return -1;
  if (ps->n == ps->cap)
    {
      size_t cap = ps->cap ? 2 * ps->cap : 64;
      struct piece *v = realloc (ps->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      ps->v = v;
      ps->cap = cap;
    }
  ps->v[ps->n++] = (struct piece) { lo, hi, exit };
  return 0;
}

/* libseccomp repeats its returns: one of them stands for all that return
 * the same, so that their intervals merge. */
static int
same_return (const struct graph *g, const struct pieces *ps, int i)
{
  const struct sock_filter *f = &g->v[i].ins;

  if (is_ret (f))
    for (size_t k = 0; k < ps->n; k++)
      {
        const struct sock_filter *e = &g->v[ps->v[k].exit].ins;
        if (e->code == f->code && e->k == f->k)
          return ps->v[k].exit;
      }
  return i;
}

/* Where node i leads for accumulator values lo..hi, as pieces; marks in
 * tested the interval tests on the way. */
static int
walk (const struct graph *g, int i, uint32_t lo, uint32_t hi,
      struct pieces *ps, bool *tested)
{
  while (is_ja (&g->v[i].ins))
    i = g->v[i].jt;
  if (!is_interval_test (&g->v[i].ins))
    return add_piece (ps, lo, hi, same_return (g, ps, i));

  uint32_t k = g->v[i].ins.k;
  int jt = g->v[i].jt, jf = g->v[i].jf;

  tested[i] = true;
  switch (BPF_OP (g->v[i].ins.code))
    {
    case BPF_JEQ:
      if (k < lo || k > hi)
        return walk (g, jf, lo, hi, ps, tested);
      if (k > lo && walk (g, jf, lo, k - 1, ps, tested) < 0)
        return -1;
      if (walk (g, jt, k, k, ps, tested) < 0)
        return -1;
      return k < hi ? walk (g, jf, k + 1, hi, ps, tested) : 0;
    case BPF_JGT:
      if (k >= hi)
        return walk (g, jf, lo, hi, ps, tested);
      if (k < lo)
        return walk (g, jt, lo, hi, ps, tested);
      if (walk (g, jf, lo, k, ps, tested) < 0)
        return -1;
      return walk (g, jt, k + 1, hi, ps, tested);
    default: /* BPF_JGE */
      if (k > hi)
        return walk (g, jf, lo, hi, ps, tested);
      if (k <= lo)
        return walk (g, jt, lo, hi, ps, tested);
      if (walk (g, jf, lo, k - 1, ps, tested) < 0)
        return -1;
      return walk (g, jt, k, hi, ps, tested);
    }
}

static int
by_lo (const void *a, const void *b)
{
  const struct piece *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts the pieces, checks that they cover every value once, and merges
 * neighbours with the same exit into intervals. */
static int
merge (struct pieces *ps)
{
  size_t m = 0;

  qsort (ps->v, ps->n, sizeof *ps->v, by_lo);
  if (ps->n == 0 || ps->v[0].lo != 0 || ps->v[ps->n - 1].hi != UINT32_MAX)
    return -1;
  for (size_t i = 1; i < ps->n; i++)
    {
      if (ps->v[i].lo != ps->v[i - 1].hi + 1)
        return -1;
      if (ps->v[i].exit == ps->v[m].exit)
        ps->v[m].hi = ps->v[i].hi;
      else
        ps->v[++m] = ps->v[i];
    }
  ps->n = m + 1;
  return 0;
}

/* Tests of a search are laid out in the order made, each before those it
 * leads to, so the leaves at its start are far from what comes after it.
 * A subtree of at most this many intervals gets its own copies of the
 * returns it leads to, right after its tests: its jumps stay within the
 * 255 instructions that a conditional jump reaches. */
#define CHUNK 128

/* Points the tests made from node first on at copies of the returns they
 * lead to, made now (after them). */
static int
local_returns (struct graph *g, size_t n_orig, size_t first)
{
  size_t last = g->n;

  for (size_t t = first; t < last; t++)
    for (int side = 0; side < 2; side++)
      {
        int *to = side ? &g->v[t].jf : &g->v[t].jt;
        const struct sock_filter *f;
        size_t c;

        if ((size_t) *to >= n_orig || !is_ret (&g->v[*to].ins))
          continue;
        f = &g->v[*to].ins;
        for (c = last; c < g->n; c++)
          if (g->v[c].ins.code == f->code && g->v[c].ins.k == f->k)
            break;
        if (c == g->n && add_node (g, *f, -1, -1) < 0)
          return -1;
        *to = (int) c;
      }
  return 0;
}

/* The binary search over intervals a..b: returns the node that starts it
 * (an exit itself when a == b: no test is needed there). */
static int
emit_search (struct graph *g, size_t n_orig, const struct pieces *ps,
             size_t a, size_t b, bool in_chunk)
{
  struct sock_filter jge = BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, 0, 0, 0);
  bool chunk = !in_chunk && b - a < CHUNK;
  size_t mid, first = g->n;
  int self, hi, lo;

  if (a == b)
    return ps->v[a].exit;
  mid = a + (b - a + 1) / 2;
  jge.k = ps->v[mid].lo;
  self = add_node (g, jge, -1, -1);
  if (self < 0)
    return -1;
  /* pre-order: each test before the tests it leads to (forward jumps) */
  hi = emit_search (g, n_orig, ps, mid, b, in_chunk || chunk);
  if (hi < 0)
    return -1;
  lo = emit_search (g, n_orig, ps, a, mid - 1, in_chunk || chunk);
  if (lo < 0)
    return -1;
  g->v[self].jt = hi;
  g->v[self].jf = lo;
  if (chunk && local_returns (g, n_orig, first) < 0)
    return -1;
  return self;
}

/* Replaces the comparisons after the load at node l where that makes them
 * fewer.  The new tests are appended to the graph; they are laid out right
 * after l (see order_nodes).  n_orig: the nodes that are instructions of
 * the original program (the only ones a walk meets). */
static int
rewrite_after_load (struct graph *g, size_t n_orig, int l)
{
  cleanup_free bool *tested = calloc (n_orig, sizeof *tested);
  struct pieces ps = { 0 };
  size_t tests = 0;
  int start = g->v[l].jt, root, rc = 0;

  if (tested == NULL)
    return -1;
  if (!is_interval_test (&g->v[start].ins) && !is_ja (&g->v[start].ins))
    return 0;
  if (walk (g, start, 0, UINT32_MAX, &ps, tested) < 0 || merge (&ps) < 0)
    {
      /* too many pieces to be worth it: left as it is */
      rc = ps.n == MAX_PIECES ? 0 : -1;
      goto out;
    }
  for (size_t i = 0; i < n_orig; i++)
    tests += tested[i];
  if (ps.n - 1 >= tests)
    goto out;
  root = emit_search (g, n_orig, &ps, 0, ps.n - 1, false);
  /* one interval: the load goes on to its exit, through a ja */
  if (root >= 0 && ps.n == 1)
    root = add_node (g, (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA, 0),
                     root, -1);
  if (root < 0)
    rc = -1;
  else
    g->v[l].jt = root;
out:
  free (ps.v);
  return rc;
}

/* ---------- layout ---------- */

struct layout
{
  int *order;       /* nodes in program order */
  size_t n;
  int *pos;         /* node -> its index in the program, -1 if left out */
  unsigned char *tramp; /* per order slot: 1 jt via ja, 2 jf via ja */
};

static void
mark_reachable (const struct graph *g, int i, bool *seen)
{
  while (i >= 0 && !seen[i])
    {
      seen[i] = true;
      if (is_cond (&g->v[i].ins))
        mark_reachable (g, g->v[i].jf, seen);
      i = g->v[i].jt;
    }
}

/* Program order: the original nodes in their order, and after each load
 * whose tests were replaced the new tests in the order they were made.
 * Every jump then goes forward, and a straight-line node is followed by
 * its successor. */
static int
order_nodes (const struct graph *g, size_t n_orig, const size_t *new_begin,
             const size_t *new_end, struct layout *lo)
{
  cleanup_free bool *seen = calloc (g->n, sizeof *seen);

  lo->order = malloc (g->n * sizeof *lo->order);
  if (seen == NULL || lo->order == NULL)
    return -1;
  mark_reachable (g, 0, seen);
  lo->n = 0;
  for (size_t i = 0; i < n_orig; i++)
    {
      if (seen[i])
        lo->order[lo->n++] = (int) i;
      for (size_t j = new_begin[i]; j < new_end[i]; j++)
        if (seen[j])
          lo->order[lo->n++] = (int) j;
    }
  return 0;
}

static size_t
slot_size (const struct layout *lo, size_t k)
{
  return 1 + (lo->tramp[k] & 1) + ((lo->tramp[k] >> 1) & 1);
}

/* Positions with the current trampolines; adds those that the positions
 * show missing (*changed: place again).  Returns the program's length, 0
 * for a jump that would go backwards (a bug: nothing is replaced then). */
static size_t
place (const struct graph *g, struct layout *lo, bool *changed)
{
  size_t p = 0;

  for (size_t k = 0; k < lo->n; k++)
    {
      lo->pos[lo->order[k]] = (int) p;
      p += slot_size (lo, k);
    }
  *changed = false;
  for (size_t k = 0; k < lo->n; k++)
    {
      const struct node *v = &g->v[lo->order[k]];
      long from = lo->pos[lo->order[k]] + 1;

      if (!is_cond (&v->ins))
        {
          if (is_ja (&v->ins) && lo->pos[v->jt] < from)
            return 0;
          continue;
        }
      if (lo->pos[v->jt] < from || lo->pos[v->jf] < from)
        return 0;
      if (!(lo->tramp[k] & 1) && lo->pos[v->jt] - from > 255)
        lo->tramp[k] |= 1, *changed = true;
      if (!(lo->tramp[k] & 2) && lo->pos[v->jf] - from > 255)
        lo->tramp[k] |= 2, *changed = true;
    }
  return p;
}

static struct sock_filter
ja_to (long from, long to)
{
  return (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA, (uint32_t) (to - from));
}

static void
emit (const struct graph *g, const struct layout *lo, struct sock_filter *out)
{
  size_t p = 0;

  for (size_t k = 0; k < lo->n; k++)
    {
      const struct node *v = &g->v[lo->order[k]];
      struct sock_filter ins = v->ins;
      long next = (long) p + 1;
      int extra = 0;

      if (is_cond (&ins))
        {
          if (lo->tramp[k] & 1)
            ins.jt = 0, out[p + 1 + extra++] = ja_to (next + 1, lo->pos[v->jt]);
          else
            ins.jt = (uint8_t) (lo->pos[v->jt] - next);
          if (lo->tramp[k] & 2)
            {
              ins.jf = (uint8_t) extra;
              out[p + 1 + extra] = ja_to (next + extra + 1, lo->pos[v->jf]);
              extra++;
            }
          else
            ins.jf = (uint8_t) (lo->pos[v->jf] - next);
        }
      else if (is_ja (&ins))
        ins.k = (uint32_t) (lo->pos[v->jt] - next);
      out[p] = ins;
      p += 1 + (size_t) extra;
    }
}

/* ---------- the check ---------- */

/* Runs a program as the kernel would on d; false for anything the
 * interpreter does not know (the optimisation is then not made). */
static bool
interpret (const struct sock_filter *p, size_t n, const struct seccomp_data *d,
           uint32_t *ret, bool *read_args)
{
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

  for (size_t pc = 0; pc < n; pc++)
    {
      const struct sock_filter *f = &p[pc];
      uint32_t src = BPF_SRC (f->code) == BPF_X ? x : f->k;

      switch (BPF_CLASS (f->code))
        {
        case BPF_LD:
          if (f->code == (BPF_LD | BPF_W | BPF_ABS) && f->k % 4 == 0
              && f->k < sizeof *d)
            {
              memcpy (&a, (const char *) d + f->k, 4);
              *read_args |= f->k >= offsetof (struct seccomp_data, args);
            }
          else if (f->code == (BPF_LD | BPF_IMM))
            a = f->k;
          else if (f->code == (BPF_LD | BPF_MEM) && f->k < BPF_MEMWORDS)
            a = mem[f->k];
          else
            return false;
          break;
        case BPF_LDX:
          if (f->code == (BPF_LDX | BPF_IMM))
            x = f->k;
          else if (f->code == (BPF_LDX | BPF_MEM) && f->k < BPF_MEMWORDS)
            x = mem[f->k];
          else
            return false;
          break;
        case BPF_ST:
        case BPF_STX:
          if (f->k >= BPF_MEMWORDS)
            return false;
          mem[f->k] = BPF_CLASS (f->code) == BPF_ST ? a : x;
          break;
        case BPF_ALU:
          switch (BPF_OP (f->code))
            {
            case BPF_ADD: a += src; break;
            case BPF_SUB: a -= src; break;
            case BPF_MUL: a *= src; break;
            case BPF_AND: a &= src; break;
            case BPF_OR: a |= src; break;
            case BPF_XOR: a ^= src; break;
            case BPF_LSH: a = src < 32 ? a << src : 0; break;
            case BPF_RSH: a = src < 32 ? a >> src : 0; break;
            case BPF_NEG: a = -a; break;
            default: return false;
            }
          break;
        case BPF_JMP:
          {
            bool t;
            switch (BPF_OP (f->code))
              {
              case BPF_JA: pc += f->k; continue;
              case BPF_JEQ: t = a == src; break;
              case BPF_JGT: t = a > src; break;
              case BPF_JGE: t = a >= src; break;
              case BPF_JSET: t = (a & src) != 0; break;
              default: return false;
              }
            pc += t ? f->jt : f->jf;
            break;
          }
        case BPF_RET:
          if (BPF_RVAL (f->code) == BPF_K)
            *ret = f->k;
          else if (BPF_RVAL (f->code) == BPF_A)
            *ret = a;
          else
            return false;
          return true;
        case BPF_MISC:
          if (f->code == (BPF_MISC | BPF_TAX))
            x = a;
          else if (f->code == (BPF_MISC | BPF_TXA))
            a = x;
          else
            return false;
          break;
        default:
          return false;
        }
    }
  return false;
}

/* The values a program tells apart, by what it loads: syscall numbers,
 * architectures, and the rest (arguments, instruction pointer). */
struct values
{
  uint32_t *v;
  size_t n;
};

enum { V_NR, V_ARCH, V_ARG, V_KINDS };

#define SRC_UNSET (-2)
#define SRC_MIXED (-1)

static void
flow_source (int *dst, int src)
{
  if (*dst == SRC_UNSET)
    *dst = src;
  else if (*dst != src)
    *dst = SRC_MIXED;
}

/* src[i]: the offset in seccomp_data of the word the accumulator holds (or
 * was computed from) at instruction i; jumps go forward, so one pass in
 * program order sees every predecessor first. */
static void
accumulator_sources (const struct sock_filter *p, size_t n, int *src)
{
  for (size_t i = 0; i < n; i++)
    src[i] = i == 0 ? SRC_MIXED : SRC_UNSET;
  for (size_t i = 0; i < n; i++)
    {
      const struct sock_filter *f = &p[i];
      int out = src[i];

      if (out == SRC_UNSET)
        continue;
      if (f->code == (BPF_LD | BPF_W | BPF_ABS))
        out = (int) f->k;
      else if (BPF_CLASS (f->code) == BPF_LD || f->code == (BPF_MISC | BPF_TXA))
        out = SRC_MIXED;
      if (is_cond (f))
        {
          if (i + 1 + f->jt < n)
            flow_source (&src[i + 1 + f->jt], out);
          if (i + 1 + f->jf < n)
            flow_source (&src[i + 1 + f->jf], out);
        }
      else if (is_ja (f))
        {
          if (i + 1 + f->k < n)
            flow_source (&src[i + 1 + f->k], out);
        }
      else if (!is_ret (f) && i + 1 < n)
        flow_source (&src[i + 1], out);
    }
}

static int
by_value (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

static void
sort_unique (struct values *vs)
{
  size_t m = 0;

  qsort (vs->v, vs->n, sizeof *vs->v, by_value);
  for (size_t i = 0; i < vs->n; i++)
    if (m == 0 || vs->v[i] != vs->v[m - 1])
      vs->v[m++] = vs->v[i];
  vs->n = m;
}

/* Every constant compared with a loaded word, and its neighbours, by what
 * was loaded: the program's outcome is the same for all values between
 * two of them. */
static int
interesting_values (const struct sock_filter *p, size_t n,
                    struct values vs[V_KINDS])
{
  cleanup_free int *src = malloc (n * sizeof *src);

  if (src == NULL)
    return -1;
  accumulator_sources (p, n, src);
  for (int k = 0; k < V_KINDS; k++)
    {
      vs[k].v = malloc ((3 * n + 2) * sizeof *vs[k].v);
      if (vs[k].v == NULL)
        return -1;
      vs[k].v[0] = 0;
      vs[k].v[1] = UINT32_MAX;
      vs[k].n = 2;
    }
  for (size_t i = 0; i < n; i++)
    {
      struct values *v;

      if (!is_cond (&p[i]) || BPF_SRC (p[i].code) != BPF_K)
        continue;
      v = &vs[src[i] == (int) offsetof (struct seccomp_data, nr) ? V_NR
              : src[i] == (int) offsetof (struct seccomp_data, arch) ? V_ARCH
              : V_ARG];
      v->v[v->n++] = p[i].k;
      v->v[v->n++] = p[i].k - 1;
      v->v[v->n++] = p[i].k + 1;
    }
  for (int k = 0; k < V_KINDS; k++)
    sort_unique (&vs[k]);
  return 0;
}

static bool
same_answer (const struct sock_filter *a, size_t na, const struct sock_filter *b,
             size_t nb, const struct seccomp_data *d, bool *read_args)
{
  uint32_t ra, rb;
  bool unused = false;

  return interpret (a, na, d, &ra, read_args)
         && interpret (b, nb, d, &rb, &unused) && ra == rb;
}

/* Where a reads the arguments for this architecture and number: each
 * argument value it tells apart, in every argument at once, as the low
 * half with a high half of 0, the same value or all ones. */
static bool
same_for_args (const struct sock_filter *a, size_t na,
               const struct sock_filter *b, size_t nb, struct seccomp_data d,
               const struct values *args)
{
  static const int highs = 3;
  bool unused = false;

  for (size_t i = 0; i < args->n; i++)
    for (int h = 0; h < highs; h++)
      {
        uint64_t lo = args->v[i];
        uint64_t hi = h == 0 ? 0 : h == 1 ? lo : UINT32_MAX;

        for (int k = 0; k < 6; k++)
          d.args[k] = lo | hi << 32;
        if (!same_answer (a, na, b, nb, &d, &unused))
          return false;
      }
  return true;
}

static bool
equivalent (const struct sock_filter *a, size_t na, const struct sock_filter *b,
            size_t nb)
{
  struct values vs[V_KINDS] = { 0 };
  bool same = interesting_values (a, na, vs) == 0;

  for (size_t i = 0; same && i < vs[V_ARCH].n; i++)
    for (size_t j = 0; same && j < vs[V_NR].n; j++)
      {
        struct seccomp_data d = { .nr = (int) vs[V_NR].v[j],
                                  .arch = vs[V_ARCH].v[i] };
        bool read_args = false;

        same = same_answer (a, na, b, nb, &d, &read_args)
               && (!read_args || same_for_args (a, na, b, nb, d, &vs[V_ARG]));
      }
  for (int k = 0; k < V_KINDS; k++)
    free (vs[k].v);
  return same;
}

/* ---------- the whole ---------- */

static int
optimise (const struct sock_filter *p, unsigned short n,
          struct sock_filter **out, size_t *out_n)
{
  struct graph g = { 0 };
  struct layout lo = { 0 };
  cleanup_free size_t *nb = calloc (n, sizeof *nb);
  cleanup_free size_t *ne = calloc (n, sizeof *ne);
  size_t len = 0;
  bool changed = true;
  int rc = -1;

  if (nb == NULL || ne == NULL || graph_from (&g, p, n) < 0)
    goto out;
  for (int i = 0; i < n; i++)
    {
      nb[i] = g.n;
      if (BPF_CLASS (p[i].code) == BPF_LD
          && rewrite_after_load (&g, n, i) < 0)
        goto out;
      ne[i] = g.n;
    }
  if (order_nodes (&g, n, nb, ne, &lo) < 0)
    goto out;
  lo.pos = malloc (g.n * sizeof *lo.pos);
  lo.tramp = calloc (lo.n, 1);
  if (lo.pos == NULL || lo.tramp == NULL)
    goto out;
  while (changed)
    len = place (&g, &lo, &changed);
  if (len == 0 || len >= n)
    goto out;
  *out = malloc (len * sizeof **out);
  if (*out == NULL)
    goto out;
  emit (&g, &lo, *out);
  *out_n = len;
  rc = 0;
out:
  free (g.v);
  free (lo.order);
  free (lo.pos);
  free (lo.tramp);
  return rc;
}

void
sc_optimise (struct sock_filter **insns, unsigned short *n)
{
  struct sock_filter *small = NULL;
  size_t len;

  if (optimise (*insns, *n, &small, &len) < 0)
    return;
  if (!equivalent (*insns, *n, small, len))
    {
      free (small);
      return;
    }
  free (*insns);
  *insns = small;
  *n = (unsigned short) len;
}
