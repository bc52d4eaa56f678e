#!/usr/bin/env bash
# soak.sh containers|bare [JOBS] - runs JOBS (100) MPI hello jobs back to back (4 ranks on
# 2 agents, Open MPI and MPICH in turn) and checks that none leaks: after every job no
# agent, rank, container or private directory of it is left, and the descriptors
# cmpirun and its agents hold while a job runs do not grow from the first jobs to the
# last. For containers it also watches the engine's own descriptors (dockerd's).
# Prints one summary line with the time and the counts.
set -u

MODE=${1:?usage: soak.sh containers|bare [JOBS]}
JOBS=${2:-100}
CMPIRUN=${CMPIRUN:?set CMPIRUN to the cmpirun binary}
BIN_DIR=${TEST_MPI_BIN:?set TEST_MPI_BIN to the directory of the compiled programs}
IMAGE=${CMPI_TEST_IMAGE:-cmpi-test/bookworm-mpi:1}
# dockerd serves other users of this machine too: a few descriptors come and go.
DOCKERD_SLACK=20

WORK=$(mktemp -d /tmp/cmpi-soak.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
ERR=$WORK/err

fail() {
	echo "FAIL: soak $MODE, job $JOB of $JOBS: $*" >&2
	echo "--- stdout (first 20 lines)" >&2; head -n 20 "$OUT" >&2 2>/dev/null
	echo "--- stderr (first 40 lines)" >&2; head -n 40 "$ERR" >&2 2>/dev/null
	exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

IMAGE_ARGS=()
DOCKERD=""
if [ "$MODE" = containers ]; then
	docker image inspect "$IMAGE" >/dev/null 2>&1 ||
		{ echo "SKIP: no engine or no image $IMAGE (scripts/test-images.sh)"; exit 77; }
	IMAGE_ARGS=(--image "$IMAGE")
	# The dockerd behind the default socket writes its pid here; others (the
	# engine tests' own) have files of their own.
	DOCKERD=$(cat /var/run/docker.pid 2>/dev/null)
	[ -n "$DOCKERD" ] && grep -qa dockerd "/proc/$DOCKERD/cmdline" 2>/dev/null || DOCKERD=""
fi
for mpi in openmpi mpich; do
	[ -x "$BIN_DIR/hello.$mpi" ] || { echo "FAIL: no program $BIN_DIR/hello.$mpi" >&2; exit 1; }
	# Containers see only the working directory: the programs go there.
	cp "$BIN_DIR/hello.$mpi" "$WORK/"
done
cd "$WORK" || exit 1

# Containers of any job, ours or not, before we start: others may run jobs meanwhile.
containers_now() { docker ps -aq --no-trunc --filter label=cmpi.job | sort; }
[ "$MODE" = containers ] && containers_now >"$WORK/containers.before"
dockerd_before=""
[ -n "$DOCKERD" ] && dockerd_before=$(fd_count "$DOCKERD")

# Nothing of job $1 (its agents $2...) may be left once cmpirun has returned.
check_no_leftovers() {
	local jobid=$1 p d left
	shift
	for _ in $(seq 1 100); do
		left=""
		for p in "$@" $(grep -lsa "CMPI_JOBID=$jobid" /proc/[0-9]*/environ | cut -d/ -f3); do
			alive "$p" && left="$left $p"
		done
		if [ -z "$left" ] && [ "$MODE" = containers ]; then
			left=$(docker ps -aq --filter "label=cmpi.job=$jobid")
			[ -n "$left" ] && left="containers $left"
		fi
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || fail "job $jobid left:$left"
	for d in /tmp/cmpi-"$jobid"-* /dev/shm/cmpi-"$jobid"-*; do
		[ -e "$d" ] && fail "left behind: $d"
	done
	return 0
}

declare -A FDS # [mpi,first|last] = "cmpirun agent0 agent1"
JOB=0
t0=$(now_ms)
for JOB in $(seq 1 "$JOBS"); do
	mpi=openmpi
	[ $((JOB % 2)) -eq 0 ] && mpi=mpich
	rm -f "$WORK"/mark.*
	# Each rank says hello through MPI, then sleeps, so that the descriptors are
	# counted while the job is up but every rank is past MPI_Finalize.
	"$CMPIRUN" -v -n 4 --agents 2 --timeout 60 "${IMAGE_ARGS[@]}" sh -c \
		"./hello.$mpi && touch $WORK/mark.\$CMPI_RANK && sleep 0.5" >"$OUT" 2>"$ERR" </dev/null &
	pid=$!
	for _ in $(seq 1 600); do
		[ "$(ls "$WORK" | grep -c '^mark\.')" -eq 4 ] && break
		alive "$pid" || break
		sleep 0.05
	done
	[ "$(ls "$WORK" | grep -c '^mark\.')" -eq 4 ] || { wait "$pid"; fail "the ranks did not all say hello"; }
	sleep 0.1 # the agents see the ranks' PMI connections close
	agents=$(sed -n 's/.*cmpirun: agent [0-9]* connected (pid \([0-9]*\)).*/\1/p' "$ERR")
	[ "$(echo "$agents" | wc -w)" -eq 2 ] || { wait "$pid"; fail "expected 2 agents in -v"; }
	counts=$(fd_count "$pid")
	for a in $(sed -n 's/.*cmpirun: agent \([0-9]*\) connected (pid \([0-9]*\)).*/\1 \2/p' "$ERR" |
		sort -n | cut -d' ' -f2); do
		counts="$counts $(fd_count "$a")"
	done
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc"
	[ "$(grep -cE '^hello from rank [0-3] of 4 ' "$OUT")" -eq 4 ] || fail "not 4 hello lines"
	jobid=$(sed -n 's/.*cmpirun: job \([0-9a-f]\{16\}\):.*/\1/p' "$ERR" | head -n 1)
	[ -n "$jobid" ] || fail "no job id in the verbose log"
	echo "$jobid" >>"$WORK/jobids"
	# shellcheck disable=SC2086
	check_no_leftovers "$jobid" $agents
	[ -z "${FDS[$mpi,first]:-}" ] && FDS[$mpi,first]=$counts
	FDS[$mpi,last]=$counts
	echo "job $JOB ($mpi, $jobid): descriptors cmpirun, agent 0, agent 1: $counts"
done
elapsed=$(($(now_ms) - t0))

# The same counts of descriptors in the last jobs as in the first of the same MPI.
for mpi in openmpi mpich; do
	[ -z "${FDS[$mpi,first]:-}" ] && continue
	[ "${FDS[$mpi,first]}" = "${FDS[$mpi,last]}" ] ||
		fail "$mpi: descriptors (cmpirun, agent 0, agent 1) were ${FDS[$mpi,first]} in the first job, ${FDS[$mpi,last]} in the last"
done
if [ "$MODE" = containers ]; then
	containers_now >"$WORK/containers.after"
	ours=$(comm -13 "$WORK/containers.before" "$WORK/containers.after" |
		while read -r c; do docker inspect -f '{{index .Config.Labels "cmpi.job"}}' "$c" 2>/dev/null; done |
		grep -xF -f "$WORK/jobids")
	[ -z "$ours" ] || fail "containers of these jobs left: $ours"
fi
dockerd=""
if [ -n "$DOCKERD" ]; then
	dockerd_after=$(fd_count "$DOCKERD")
	dockerd="; dockerd (pid $DOCKERD) $dockerd_before -> $dockerd_after descriptors"
	[ "$dockerd_after" -le $((dockerd_before + DOCKERD_SLACK)) ] ||
		fail "dockerd's descriptors grew from $dockerd_before to $dockerd_after"
elif [ "$MODE" = containers ]; then
	dockerd="; dockerd's descriptors not watched (no /var/run/docker.pid)"
fi
echo "soak $MODE: $JOBS jobs in $((elapsed / 1000)).$((elapsed % 1000 / 100)) s" \
	"($((elapsed / JOBS)) ms a job); descriptors (cmpirun, agent 0, agent 1) first/last job:" \
	"Open MPI ${FDS[openmpi,first]:-}/${FDS[openmpi,last]:-}, MPICH ${FDS[mpich,first]:-}/${FDS[mpich,last]:-}$dockerd"
echo "PASS: soak $MODE"
