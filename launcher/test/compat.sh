#!/usr/bin/env bash
# compat.sh CASE - mpirun's and mpiexec's options on real agents and ranks, each checked by its
# effect: what the ranks see (environment, directory, CPU affinity, node), where output
# lands, and the plan --dry-run prints. Ranks are shell commands: no MPI library needed.
. "$(dirname "$0")/lib.sh"

# "0-2,5" -> "0,1,2,5"
expand_list() {
	local part out=""
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then
			out="$out$(seq -s, "${part%-*}" "${part#*-}"),"
		else
			out="$out$part,"
		fi
	done
	echo "${out%,}"
}

# The PUs (OS numbers, comma-separated) of this machine's core N, and of all of it.
core_pus() { hwloc-calc --po -I pu --sep , "core:$1"; }
all_pus() { hwloc-calc --po -I pu --sep , all; }
ncores() { hwloc-calc -N core all; }

# A rank's own affinity, as the kernel holds it.
AFFINITY='echo "$CMPI_RANK $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'

# rank_cpus R: the expanded affinity list rank R printed.
rank_cpus() { expand_list "$(awk -v r="$1" '$1 == r { print $2 }' "$OUT")"; }

case_env() {
	run_job -n 2 -x XA=1 -x XB="two words" -genv GA 3 --mca btl_tcp_if_include lo \
		sh -c 'echo "$CMPI_RANK [$XA] [$XB] [$GA] [$OMPI_MCA_btl_tcp_if_include]"'
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf '0 [1] [two words] [3] [lo]\n1 [1] [two words] [3] [lo]')" ] ||
		fail "ranks did not see -x, -genv and --mca"
	check_no_leftovers
	# -x VAR passes cmpirun's value; a variable cmpirun does not have is an error.
	XC=from-launcher run_job -n 1 -x XC sh -c 'echo "[$XC]"'
	expect_rc 0
	grep -qx '\[from-launcher\]' "$OUT" || fail "-x XC did not pass cmpirun's value"
	run_job -n 1 -x CMPI_NO_SUCH_VAR true
	expect_rc 2
	expect_err "CMPI_NO_SUCH_VAR"
}

case_mpmd() {
	# Each program gets its own ranks, in order, and its own -env and -wdir.
	run_job -n 1 -wdir /tmp sh -c 'echo "A $CMPI_RANK of $CMPI_SIZE [$E] $PWD"' : \
		-n 2 -env E two -wdir / sh -c 'echo "B $CMPI_RANK of $CMPI_SIZE [$E] $PWD"'
	expect_rc 0
	[ "$(sort "$OUT")" = "$(printf 'A 0 of 3 [] /tmp\nB 1 of 3 [two] /\nB 2 of 3 [two] /')" ] ||
		fail "MPMD ranks ran the wrong programs"
	check_no_leftovers
	run_job -n 1 true : sh -c true
	expect_rc 2
	expect_err "needs -n"
}

case_wdir() {
	run_job -n 2 -wdir /tmp sh -c 'pwd'
	expect_rc 0
	[ "$(sort -u "$OUT")" = /tmp ] || fail "-wdir /tmp not where the ranks ran"
	run_job -n 1 --wdir "$WORK/nowhere" true
	expect_rc 1
	expect_err "cannot enter '$WORK/nowhere'"
}

case_output_filename() {
	run_job -n 3 --output-filename "$WORK/o" sh -c 'echo "out $CMPI_RANK"; echo "err $CMPI_RANK" >&2'
	expect_rc 0
	local r
	for r in 0 1 2; do
		[ "$(cat "$WORK/o/1/rank.$r/stdout")" = "out $r" ] || fail "rank $r's stdout file is wrong"
		[ "$(cat "$WORK/o/1/rank.$r/stderr")" = "err $r" ] || fail "rank $r's stderr file is wrong"
	done
	grep -q "^out" "$OUT" && fail "output went to the terminal too"
	check_no_leftovers
}

case_bind_core() {
	local n
	n=$(ncores)
	[ "$n" -ge 2 ] || { echo "SKIP: one core"; exit 77; }
	run_job -n 2 --bind-to core --report-bindings sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 0)" = "$(core_pus 0)" ] || fail "rank 0 not bound to core 0"
	[ "$(rank_cpus 1)" = "$(core_pus 1)" ] || fail "rank 1 not bound to core 1"
	expect_err "MCW rank 0 bound to socket 0[core 0["
	expect_err "MCW rank 1 bound to socket"
	check_no_leftovers
	# Two agents on this host share its cores: the second one's rank takes core 1.
	run_job -n 2 --agents 2 --bind-to core sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 1)" = "$(core_pus 1)" ] || fail "agent 1's rank not bound to core 1"
	# By socket: ranks go round robin over the sockets, each to its socket's next core.
	run_job -n 2 --map-by socket --bind-to core sh -c "$AFFINITY"
	expect_rc 0
	local sockets
	sockets=$(hwloc-calc -N package all)
	if [ "$sockets" -ge 2 ]; then
		[ "$(rank_cpus 1)" = "$(hwloc-calc --po -I pu --sep , package:1.core:0)" ] ||
			fail "--map-by socket: rank 1 not on the second socket's first core"
	else
		[ "$(rank_cpus 1)" = "$(core_pus 1)" ] || fail "--map-by socket on one socket: rank 1 not on core 1"
	fi
	# PE=2: a rank gets two cores.
	run_job -n 1 --map-by core:PE=2 --bind-to core sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 0)" = "$(core_pus 0),$(core_pus 1)" ] || fail "PE=2 did not give cores 0 and 1"
}

case_bind_refused() {
	local n
	n=$(($(ncores) + 1))
	run_job -n "$n" --bind-to core sh -c "$AFFINITY"
	expect_rc 1
	expect_err "binding $n ranks with 1 core each needs $n cores"
	expect_err "could not be bound to its cores"
	check_no_leftovers
	run_job -n "$n" --bind-to core:overload-allowed sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus $((n - 1)))" = "$(core_pus 0)" ] || fail "overload did not wrap to core 0"
}

case_bind_default() {
	# Open MPI's default: a core each for up to 2 ranks (when they fit).
	[ "$(ncores)" -ge 2 ] || { echo "SKIP: one core"; exit 77; }
	run_job -n 2 --report-bindings sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 1)" = "$(core_pus 1)" ] || fail "by default rank 1 is not on core 1"
	# More ranks than cores: oversubscribed, so nobody is bound, and the report says so.
	local n=$(($(ncores) + 1))
	run_job -n "$n" --report-bindings sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 0)" = "$(all_pus)" ] || fail "an oversubscribed rank was bound"
	expect_err "MCW rank 1 is not bound (or bound to all available processors)"
	run_job -n 2 --bind-to none sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 1)" = "$(all_pus)" ] || fail "--bind-to none bound a rank"
	run_job -n 2 --bind-to socket sh -c "$AFFINITY"
	expect_rc 0
	[ "$(rank_cpus 1)" = "$(hwloc-calc --po -I pu --sep , "$(hwloc-calc -I package core:0 | sed 's/^/package:/')")" ] ||
		fail "--bind-to socket did not give the socket's PUs"
}

case_map_by_node() {
	run_job -n 5 --agents 2 --map-by node sh -c 'echo "$CMPI_RANK $CMPI_NODE $CMPI_LOCAL_RANK"'
	expect_rc 0
	[ "$(sort -n "$OUT")" = "$(printf '0 0 0\n1 1 0\n2 0 1\n3 1 1\n4 0 2')" ] ||
		fail "--map-by node did not deal the ranks round robin"
	check_no_leftovers
	run_job --agents 2 -N 2 sh -c 'echo "$CMPI_RANK $CMPI_NODE"'
	expect_rc 0
	[ "$(sort -n "$OUT")" = "$(printf '0 0\n1 0\n2 1\n3 1')" ] || fail "-N 2 on 2 agents"
	# MPICH's spellings: -ppn for -N, and Open MPI's -c for -n.
	run_job --agents 2 -ppn 1 -c 2 sh -c 'echo "$CMPI_RANK $CMPI_NODE"'
	expect_rc 0
	[ "$(sort -n "$OUT")" = "$(printf '0 0\n1 1')" ] || fail "-ppn 1 -c 2 on 2 agents"
	run_job -n 5 --agents 2 -N 2 true
	expect_rc 2
	expect_err "-N 2 on 2 nodes runs at most 4 ranks, not 5"
}

case_hosts() {
	local me
	me=$(hostname)
	# Two names of this machine are two nodes, with their slots.
	run_job -H "localhost:2,$me" --oversubscribe -n 4 sh -c 'echo "$CMPI_RANK $CMPI_NODE"'
	expect_rc 0
	[ "$(sort -n "$OUT")" = "$(printf '0 0\n1 0\n2 1\n3 0')" ] || fail "slots not filled in order"
	check_no_leftovers
	run_job -H localhost:1 -n 2 true
	expect_rc 2
	expect_err "2 ranks need more than the 1 slots the hosts give (--oversubscribe allows it)"
	run_job -H cmpi-no-such-host:2 -n 2 true
	expect_rc 1
	expect_err "host 'cmpi-no-such-host' is not this machine"
	grep -q "started agent" "$ERR" && fail "agents started for a host that is not here"
	return 0
}

case_hostfile() {
	printf '# Open MPI\nnodeA slots=2\nnodeB slots=1   # comment\n\n' >"$WORK/ompi"
	printf 'nodeA:2\nnodeB\n' >"$WORK/mpich"
	local f
	for f in ompi mpich; do
		run_job --hostfile "$WORK/$f" --dry-run prog x
		expect_rc 0
		grep -qx 'job: 3 ranks, 1 program, 2 nodes, one agent a node on this host' "$OUT" ||
			fail "$f hostfile: wrong job line"
		grep -q '^node 0 nodeA (2 slots) \[not this machine.*\]: 2 ranks 0-1$' "$OUT" ||
			fail "$f hostfile: wrong node 0"
		grep -q '^node 1 nodeB (1 slot) .*: 1 rank 2$' "$OUT" || fail "$f hostfile: wrong node 1"
		grep -qx 'program 0, ranks 0-2: prog x' "$OUT" || fail "$f hostfile: wrong program"
		grep -q "started agent" "$ERR" && fail "--dry-run started an agent"
	done
	printf 'nodeA slots=2 max_slots=4\n' >"$WORK/bad"
	run_job -f "$WORK/bad" true
	expect_rc 2
	expect_err "line 1: max_slots is not supported"
	return 0
}

case_dry_run() {
	run_job -n 3 --agents 2 --map-by node --bind-to core:overload-allowed -x A=1 --dry-run \
		prog 1 : -n 1 other
	expect_rc 0
	grep -qx 'placement: --map-by node, --bind-to core (bindings from this machine.s topology)' "$OUT" ||
		fail "no placement line"
	grep -q '^node 0 .*: 2 ranks 0,2$' "$OUT" || fail "node 0 should run ranks 0 and 2"
	grep -q '^    MCW rank 2 bound to socket' "$OUT" || fail "no binding shown for rank 2"
	grep -qx 'program 1, rank 3: other' "$OUT" || fail "second program missing"
	grep -qx 'env for every rank: A=1' "$OUT" || fail "-x not shown"
	grep -q "started agent" "$ERR" && fail "--dry-run started an agent"
	return 0
}

case_refused_options() {
	local opt
	for opt in "--rankfile rf" "--prefix /opt" "-genvall" "--display-map"; do
		# shellcheck disable=SC2086
		run_job -n 1 $opt true
		expect_rc 2
		expect_err "option '${opt%% *}' is not supported by cmpirun"
	done
	run_job -n 1 --map-by numa true
	expect_rc 2
	expect_err "numa"
	run_job -n 1 --allow-run-as-root --tag-output true
	expect_rc 0
}

"case_$1"
echo "PASS: $1"
