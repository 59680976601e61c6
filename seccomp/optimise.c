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
 * Nothing is taken on trust: each new search is run against the tree it
 * replaces at every value where either can change its answer (each
 * constant of the tree, and the one after it), and the program laid out is
 * decoded back and compared with the graph it was made from, instruction
 * by instruction.  The result replaces libseccomp's program only where it
 * is smaller and passes both; otherwise libseccomp's stays as it is. */
#include "internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

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

/* Values lo..hi of the accumulator lead to node exit. */
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

/* A tree that splits values into more pieces than this is left as it is:
 * libseccomp's largest programs (4096 instructions) make a few thousand. */
#define MAX_PIECES 8192

/* What rewrite_after_load found. */
enum { REWRITTEN = 1, KEPT = 0, BROKEN = -1 };

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

/* Fails on a jump out of the program (the kernel refuses those too). */
static int
graph_from (struct graph *g, const struct sock_filter *p, unsigned short n)
{
  for (int i = 0; i < n; i++)
    {
      int jt = -1, jf = -1;

      if (is_cond (&p[i]))
        jt = i + 1 + p[i].jt, jf = i + 1 + p[i].jf;
      else if (is_ja (&p[i]))
        jt = p[i].k < (uint32_t) (n - i - 1) ? i + 1 + (int) p[i].k : n;
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

/* Two exits do the same: one node, or returns of the same value. */
static bool
same_exit (const struct graph *g, int a, int b)
{
  const struct sock_filter *x = &g->v[a].ins, *y = &g->v[b].ins;

  return a == b || (is_ret (x) && x->code == y->code && x->k == y->k);
}

/* libseccomp repeats its returns: one of them stands for all that return
 * the same, so that their intervals merge. */
static int
same_return (const struct graph *g, const struct pieces *ps, int i)
{
  if (is_ret (&g->v[i].ins))
    for (size_t k = 0; k < ps->n; k++)
      if (same_exit (g, i, ps->v[k].exit))
        return ps->v[k].exit;
  return i;
}

/* Where node i leads for accumulator values lo..hi, as pieces; marks in
 * tested the interval tests on the way.  Its depth is at most the length of
 * a path through the program: a few thousand frames at worst. */
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
 * returns it leads to, right after its tests, which keeps most of its
 * jumps within the 255 instructions a conditional jump reaches (place()
 * adds a `ja` for the others). */
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
        int to = side ? g->v[t].jf : g->v[t].jt;
        size_t c;

        if ((size_t) to >= n_orig || !is_ret (&g->v[to].ins))
          continue;
        for (c = last; c < g->n; c++)
          if (same_exit (g, to, (int) c))
            break;
        /* may move g->v: t's successors are written through the index */
        if (c == g->n && add_node (g, g->v[to].ins, -1, -1) < 0)
          return -1;
        if (side)
          g->v[t].jf = (int) c;
        else
          g->v[t].jt = (int) c;
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
  int self, above, below;

  if (a == b)
    return ps->v[a].exit;
  mid = a + (b - a + 1) / 2;
  jge.k = ps->v[mid].lo;
  self = add_node (g, jge, -1, -1);
  if (self < 0)
    return -1;
  /* pre-order: each test before the tests it leads to (forward jumps) */
  above = emit_search (g, n_orig, ps, mid, b, in_chunk || chunk);
  if (above < 0)
    return -1;
  below = emit_search (g, n_orig, ps, a, mid - 1, in_chunk || chunk);
  if (below < 0)
    return -1;
  g->v[self].jt = above;
  g->v[self].jf = below;
  if (chunk && local_returns (g, n_orig, first) < 0)
    return -1;
  return self;
}

/* Where node i leads for accumulator value v, through interval tests and
 * `ja`s: the node that does something else. */
static int
exit_for (const struct graph *g, int i, uint32_t v)
{
  for (;;)
    {
      const struct sock_filter *f = &g->v[i].ins;
      bool t;

      if (is_ja (f))
        {
          i = g->v[i].jt;
          continue;
        }
      if (!is_interval_test (f))
        return i;
      switch (BPF_OP (f->code))
        {
        case BPF_JEQ: t = v == f->k; break;
        case BPF_JGT: t = v > f->k; break;
        default: t = v >= f->k; break;
        }
      i = t ? g->v[i].jt : g->v[i].jf;
    }
}

static bool
same_at (const struct graph *g, int old_start, int new_start, uint32_t v)
{
  return same_exit (g, exit_for (g, old_start, v), exit_for (g, new_start, v));
}

/* The search from new_start leads where the tree from old_start does for
 * every value: both answer the same between two neighbours of the values
 * where one of the tree's tests changes its answer (each constant k and
 * k + 1: the new tests' bounds are among them), so those are tried. */
static bool
check_search (const struct graph *g, const bool *tested, size_t n_orig,
              int old_start, int new_start)
{
  if (!same_at (g, old_start, new_start, 0))
    return false;
  for (size_t i = 0; i < n_orig; i++)
    {
      uint32_t k = g->v[i].ins.k;

      if (tested[i] && (!same_at (g, old_start, new_start, k)
                        || (k < UINT32_MAX
                            && !same_at (g, old_start, new_start, k + 1))))
        return false;
    }
  return true;
}

/* Replaces the comparisons after the load at node l where the tree has
 * more tests than the search would (tests of the tree that are reached
 * from elsewhere too stay: only the final length tells whether the whole
 * is smaller).  The new tests are appended to the graph; they are laid out
 * right after l (see order_nodes).  n_orig: the nodes that are
 * instructions of the original program (the only ones a walk meets). */
static int
rewrite_after_load (struct graph *g, size_t n_orig, int l)
{
  cleanup_free bool *tested = NULL;
  struct pieces ps = { 0 };
  size_t tests = 0;
  int start = g->v[l].jt, root, rc = BROKEN;

  if (!is_interval_test (&g->v[start].ins) && !is_ja (&g->v[start].ins))
    return KEPT;
  tested = calloc (n_orig, sizeof *tested);
  if (tested == NULL)
    return BROKEN;
  if (walk (g, start, 0, UINT32_MAX, &ps, tested) < 0)
    {
      rc = ps.n == MAX_PIECES ? KEPT : BROKEN;
      goto out;
    }
  if (merge (&ps) < 0)
    goto out;
  for (size_t i = 0; i < n_orig; i++)
    tests += tested[i];
  if (ps.n - 1 >= tests)
    {
      rc = KEPT;
      goto out;
    }
  root = emit_search (g, n_orig, &ps, 0, ps.n - 1, false);
  /* one interval: the load goes on to its exit, through a ja */
  if (root >= 0 && ps.n == 1)
    root = add_node (g, (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA, 0),
                     root, -1);
  if (root < 0 || !check_search (g, tested, n_orig, start, root))
    goto out;
  g->v[l].jt = root;
  rc = REWRITTEN;
out:
  free (ps.v);
  return rc;
}

/* ---------- layout ---------- */

/* A conditional jump too far for its 8-bit offset goes to a `ja` right
 * after it, which goes on. */
enum { VIA_JA_T = 1, VIA_JA_F = 2 };

struct layout
{
  int *order;           /* nodes in program order */
  size_t n;
  int *pos;             /* node -> its index in the program, -1: left out */
  unsigned char *via_ja; /* per order slot: VIA_JA_T | VIA_JA_F */
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
             const size_t *new_end, struct layout *lay)
{
  cleanup_free bool *seen = calloc (g->n, sizeof *seen);

  lay->order = malloc (g->n * sizeof *lay->order);
  lay->pos = malloc (g->n * sizeof *lay->pos);
  if (seen == NULL || lay->order == NULL || lay->pos == NULL)
    return -1;
  mark_reachable (g, 0, seen);
  lay->n = 0;
  for (size_t i = 0; i < g->n; i++)
    lay->pos[i] = -1;
  for (size_t i = 0; i < n_orig; i++)
    {
      if (seen[i])
        lay->order[lay->n++] = (int) i;
      for (size_t j = new_begin[i]; j < new_end[i]; j++)
        if (seen[j])
          lay->order[lay->n++] = (int) j;
    }
  lay->via_ja = calloc (lay->n ? lay->n : 1, 1);
  return lay->via_ja ? 0 : -1;
}

static size_t
slot_size (const struct layout *lay, size_t k)
{
  return 1 + !!(lay->via_ja[k] & VIA_JA_T) + !!(lay->via_ja[k] & VIA_JA_F);
}

/* Positions with the current `ja`s; adds those that the positions show
 * missing (*changed: place again).  Returns the program's length, 0 for a
 * jump that would go backwards (a bug: nothing is replaced then). */
static size_t
place (const struct graph *g, struct layout *lay, bool *changed)
{
  size_t p = 0;

  for (size_t k = 0; k < lay->n; k++)
    {
      lay->pos[lay->order[k]] = (int) p;
      p += slot_size (lay, k);
    }
  *changed = false;
  for (size_t k = 0; k < lay->n; k++)
    {
      const struct node *v = &g->v[lay->order[k]];
      long from = lay->pos[lay->order[k]] + 1;

      if (!is_cond (&v->ins))
        {
          if (is_ja (&v->ins) && lay->pos[v->jt] < from)
            return 0;
          continue;
        }
      if (lay->pos[v->jt] < from || lay->pos[v->jf] < from)
        return 0;
      if (!(lay->via_ja[k] & VIA_JA_T) && lay->pos[v->jt] - from > 255)
        lay->via_ja[k] |= VIA_JA_T, *changed = true;
      if (!(lay->via_ja[k] & VIA_JA_F) && lay->pos[v->jf] - from > 255)
        lay->via_ja[k] |= VIA_JA_F, *changed = true;
    }
  return p;
}

static struct sock_filter
ja_at (size_t at, long to)
{
  return (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA,
                                        (uint32_t) (to - (long) at - 1));
}

static void
emit (const struct graph *g, const struct layout *lay, struct sock_filter *out)
{
  size_t p = 0;

  for (size_t k = 0; k < lay->n; k++)
    {
      const struct node *v = &g->v[lay->order[k]];
      struct sock_filter ins = v->ins;
      size_t next = p + 1;

      if (is_cond (&ins))
        {
          if (lay->via_ja[k] & VIA_JA_T)
            {
              ins.jt = (uint8_t) (next - p - 1);
              out[next] = ja_at (next, lay->pos[v->jt]);
              next++;
            }
          else
            ins.jt = (uint8_t) (lay->pos[v->jt] - (long) p - 1);
          if (lay->via_ja[k] & VIA_JA_F)
            {
              ins.jf = (uint8_t) (next - p - 1);
              out[next] = ja_at (next, lay->pos[v->jf]);
              next++;
            }
          else
            ins.jf = (uint8_t) (lay->pos[v->jf] - (long) p - 1);
        }
      else if (is_ja (&ins))
        ins.k = (uint32_t) (lay->pos[v->jt] - (long) p - 1);
      out[p] = ins;
      p = next;
    }
}

/* Where a jump of the program lands, past a `ja` put there by emit. */
static long
landing (const struct sock_filter *out, size_t len, long at, bool via_ja)
{
  if (!via_ja)
    return at;
  if (at < 0 || (size_t) at >= len || !is_ja (&out[at]))
    return -1;
  return at + 1 + (long) out[at].k;
}

/* The program laid out is the graph: each node's instruction at its place,
 * its jumps landing on its successors' places, a straight-line node
 * followed by its successor, the program's start first. */
static bool
check_layout (const struct graph *g, const struct layout *lay,
              const struct sock_filter *out, size_t len)
{
  if (lay->n == 0 || lay->order[0] != 0 || lay->pos[0] != 0)
    return false;
  for (size_t k = 0; k < lay->n; k++)
    {
      const struct node *v = &g->v[lay->order[k]];
      long p = lay->pos[lay->order[k]];
      const struct sock_filter *f = &out[p];
      long after = p + (long) slot_size (lay, k);

      /* (a ja's k is its offset, checked below) */
      if (f->code != v->ins.code || (!is_ja (f) && f->k != v->ins.k)
          || (k + 1 < lay->n) != ((size_t) after < len))
        return false;
      if (is_cond (f))
        {
          bool t_ja = lay->via_ja[k] & VIA_JA_T, f_ja = lay->via_ja[k] & VIA_JA_F;
          if (landing (out, len, p + 1 + f->jt, t_ja) != lay->pos[v->jt]
              || landing (out, len, p + 1 + f->jf, f_ja) != lay->pos[v->jf])
            return false;
        }
      else if (is_ja (f))
        {
          if (p + 1 + (long) f->k != lay->pos[v->jt])
            return false;
        }
      else if (!is_ret (f) && lay->pos[v->jt] != p + 1)
        return false;
    }
  return true;
}

/* ---------- the whole ---------- */

static int
optimise (const struct sock_filter *p, unsigned short n,
          struct sock_filter **out, size_t *out_n)
{
  struct graph g = { 0 };
  struct layout lay = { 0 };
  cleanup_free size_t *new_begin = calloc (n, sizeof *new_begin);
  cleanup_free size_t *new_end = calloc (n, sizeof *new_end);
  size_t len = 0;
  bool changed = true, rewritten = false;
  int rc = -1;

  if (new_begin == NULL || new_end == NULL || graph_from (&g, p, n) < 0)
    goto out;
  for (int i = 0; i < n; i++)
    {
      int r = KEPT;

      new_begin[i] = g.n;
      if (BPF_CLASS (p[i].code) == BPF_LD)
        r = rewrite_after_load (&g, n, i);
      if (r == BROKEN)
        goto out;
      rewritten |= r == REWRITTEN;
      new_end[i] = g.n;
    }
  if (!rewritten || order_nodes (&g, n, new_begin, new_end, &lay) < 0)
    goto out;
  while (changed)
    len = place (&g, &lay, &changed);
  if (len == 0 || len >= n)
    goto out;
  *out = malloc (len * sizeof **out);
  if (*out == NULL)
    goto out;
  emit (&g, &lay, *out);
  if (!check_layout (&g, &lay, *out, len))
    {
      free (*out);
      goto out;
    }
  *out_n = len;
  rc = 0;
out:
  free (g.v);
  free (lay.order);
  free (lay.pos);
  free (lay.via_ja);
  return rc;
}

void
sc_optimise (struct sock_filter **insns, unsigned short *n)
{
  struct sock_filter *small = NULL;
  size_t len;

  if (optimise (*insns, *n, &small, &len) < 0)
    return;
  free (*insns);
  *insns = small;
  *n = (unsigned short) len;
}
