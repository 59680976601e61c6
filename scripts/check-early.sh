#!/bin/sh
# Checks an object meant to run before libc's start-up in a static PIE
# (lib/selfexe_early.c): nothing there is relocated yet and there is no TLS,
# so the object may reference no symbol but libc's _start, hold no data
# that needs relocating, no TLS and no constructors, and reach code and
# rodata only PC-relatively.
set -eu
obj=$1
fail() { echo "$obj: $*" >&2; exit 1; }

calls=$(nm -u "$obj") || fail "nm failed"
calls=$(printf '%s\n' "$calls" | awk '$2 != "_start" { print $2 }')
[ -z "$calls" ] || fail "references $(echo $calls)"

sections=$(readelf -SW "$obj") || fail "readelf failed"
for s in .data.rel .tdata .tbss .init_array .ctors .got; do
  ! printf '%s\n' "$sections" | grep -q " $s" || fail "has a $s section"
done

relocs=$(readelf -rW "$obj" | awk '
  /^Relocation section/ { text = ($3 == "'"'"'.rela.text'"'"'") ; next }
  text && $3 ~ /^R_X86_64_/ && $3 != "R_X86_64_PC32" && $3 != "R_X86_64_PLT32" { print $3 }')
[ -z "$relocs" ] || fail "has relocations other than PC-relative in .text: $(echo $relocs)"
