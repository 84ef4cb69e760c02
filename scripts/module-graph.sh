#!/usr/bin/env bash
# The dependency graph between pachhook's top-level modules, from the `crate::` paths
# (and `pachhook::` in main.rs) each module's files name, test code included.
#
#   scripts/module-graph.sh           prints one "from -> to" edge a line
#   scripts/module-graph.sh --check   also fails (exit 1) naming the modules of a cycle
#
# Dependencies must point one way (see README, "The code follows the data"); the
# integration test `layout::no_cycle_between_top_level_modules` runs the check.
set -euo pipefail
cd "$(dirname "$0")/../src"

edges() {
  local file top
  find . -name '*.rs' ! -path ./lib.rs | sort | while read -r file; do
    top=${file#./}
    top=${top%%/*}
    top=${top%.rs}
    # `crate::a::b`, `crate::{a, b::c}`, `pachhook::a` (the binary): the first name of
    # each path is the module it depends on.
    perl -0777 -ne '
      s{//[^\n]*}{}g;
      while (/\b(?:crate|pachhook)::\{([^;]*?)\};/gs) {
        my $group = $1; $group =~ s/\{[^{}]*\}//g while $group =~ /\{/;
        print "$_\n" for map { /^\s*(\w+)/ ? $1 : () } split /,/, $group;
      }
      print "$1\n" while /\b(?:crate|pachhook)::(\w+)/g;
    ' "$file" | while read -r to; do
      [[ $to != "$top" && $to != self && $to != super ]] && echo "$top $to"
    done
  done | sort -u
}

graph=$(edges)
awk '{ print $1 " -> " $2 }' <<<"$graph"
if [[ ${1:-} == --check ]]; then
  if ! out=$(tsort <<<"$graph" 2>&1 >/dev/null) || [[ -n $out ]]; then
    echo "module cycle: $out" | tr '\n' ' ' >&2
    echo >&2
    exit 1
  fi
fi
