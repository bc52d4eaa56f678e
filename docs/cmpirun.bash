# cmpirun.bash - bash completion for cmpirun(1): options, their values, the program and its files.
# Installed as share/bash-completion/completions/cmpirun; plain bash, no bash-completion helpers.

_cmpirun_options='-n -np -c -N --npernode -ppn --map-by --bind-to --report-bindings
	--oversubscribe --agents -H --host -hosts --hostfile -f --machinefile -x -genv -env --mca
	-wdir --wdir --tag-output -l --label --output-filename --image --engine --stage
	--launcher-addr --pull --cleanup --timeout --report-timing --report-json --dry-run -v --verbose --pmi-port --tree-fanout --allow-run-as-root
	-h --help -V --version'

# How many values option $1 takes (0, 1 or 2). cmpirun, like mpirun, takes long options
# with one dash or two (-np, --np, -map-by), and NAME=VALUE after two.
_cmpirun_nargs()
{
	local name=${1#-}
	name=${name#-}
	case $name in
	*=*) echo 0 ;;
	n | np | c | N | npernode | ppn | map-by | bind-to | agents | H | host | hosts | hostfile | \
		f | machinefile | x | wdir | output-filename | image | engine | stage | launcher-addr | timeout | \
		report-json | tree-fanout)
		echo 1 ;;
	genv | env | mca) echo 2 ;;
	*) echo 0 ;;
	esac
}

_cmpirun()
{
	# Words split at blanks only, from the line itself: bash's COMP_WORDS also splits at
	# ':' and '=', which would cut core:PE=2 and host:slots apart. A lone ':' is the MPMD
	# separator between a program's arguments and the next section's options.
	local line=${COMP_LINE:0:COMP_POINT}
	local -a words
	read -ra words <<<"$line"
	[[ -z $line || $line == *[[:space:]] ]] && words+=("")
	local cword=$((${#words[@]} - 1)) cur=${words[${#words[@]} - 1]}

	local i=1 state=options opt="" need=0 pos=0
	while ((i < cword)); do
		local w=${words[i]}
		if [[ $state == program ]]; then
			[[ $w == : ]] && state=options
		elif ((need > 0)); then
			need=$((need - 1))
			pos=$((pos + 1))
		elif [[ $w == -* ]]; then
			opt=$w
			need=$(_cmpirun_nargs "$w")
			pos=0
		else
			state=program
		fi
		i=$((i + 1))
	done

	COMPREPLY=()
	if [[ $state == program ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	elif ((need > 0)); then
		local name=${opt#-}
		name=${name#-}
		case $name:$pos in
		map-by:0)
			if [[ $cur == *:* ]]; then
				COMPREPLY=("${cur%%:*}:PE=")
				compopt -o nospace 2>/dev/null
			else
				mapfile -t COMPREPLY < <(compgen -W 'slot node core socket' -- "$cur")
			fi
			;;
		bind-to:0)
			if [[ $cur == *:* ]]; then
				mapfile -t COMPREPLY < <(compgen -P "${cur%%:*}:" -W 'overload-allowed' -- "${cur#*:}")
			else
				mapfile -t COMPREPLY < <(compgen -W 'none core socket' -- "$cur")
			fi
			;;
		hostfile:0 | f:0 | machinefile:0 | output-filename:0 | report-json:0)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			;;
		wdir:0)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			;;
		image:0)
			if command -v docker >/dev/null 2>&1; then
				mapfile -t COMPREPLY < <(compgen -W "$(timeout 5 docker image ls \
					--format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>')" -- "$cur")
			fi
			;;
		engine:0)
			mapfile -t COMPREPLY < <(compgen -W 'unix:///var/run/docker.sock tcp://' -- "$cur")
			compopt -o nospace 2>/dev/null
			;;
		x:0 | genv:0 | env:0)
			mapfile -t COMPREPLY < <(compgen -e -- "$cur")
			;;
		esac
	elif [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$_cmpirun_options" -- "$cur")
	else
		# The program: a command on PATH, or a file (./prog).
		compopt -o filenames 2>/dev/null
		if [[ $cur == */* ]]; then
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		else
			mapfile -t COMPREPLY < <({ compgen -c -- "$cur"; compgen -f -- "$cur"; } | sort -u)
		fi
	fi

	# Bash replaces only what follows the last ':' or '=' of the word (COMP_WORDBREAKS):
	# drop what comes before it from each completion.
	local breaks=${COMP_WORDBREAKS//[[:space:]\"\']/}
	if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
		local keep=${cur##*["$breaks"]}
		local drop=${cur%"$keep"}
		COMPREPLY=("${COMPREPLY[@]#"$drop"}")
	fi
}

complete -F _cmpirun cmpirun
