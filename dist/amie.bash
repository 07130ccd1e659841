# SPDX-License-Identifier: AGPL-3.0-or-later
# bash completion for amie(1).  The commands, subcommands and options are
# read from the installed amie's own help (`amie --help`, `amie CMD
# --help`), in the C locale, so they are always those of this version.

# The command names of `amie --help`: the indented lines of its list.
_amie_commands()
{
	LC_ALL=C "$1" --help 2>/dev/null |
	    sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
}

# The subcommands of CMD: the lowercase words after "amie CMD " in its
# usage lines.
_amie_subcommands()
{
	LC_ALL=C "$1" "$2" --help 2>/dev/null |
	    sed -n "s/.*amie $2 \([a-z][a-z-]*\).*/\1/p" | sort -u
}

# The long options in the help of CMD [SUB]: on its usage line and on the
# lines that name no command (continuations, notes), so not those of
# CMD's other subcommands.
_amie_options()
{
	{
		LC_ALL=C "$1" "$2" ${3:+"$3"} --help 2>/dev/null |
		    awk -v p="amie $2${3:+ $3}" \
		    'index($0, p) || !index($0, "amie ")'
		echo "--help"
	} | grep -o -- '--[a-z][a-z-]*' | sort -u
}

_amie()
{
	local amie=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local prev= cmd= sub= i w

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	--dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	esac
	# The command and subcommand typed so far, skipping "--dir DIR".
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--dir) i=$((i + 1)) ;;
		-*) ;;
		*)
			if [ -z "$cmd" ]; then
				cmd=$w
			elif [ -z "$sub" ]; then
				sub=$w
			fi
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--dir --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_amie_commands "$amie")" \
			    -- "$cur"))
		fi
		return 0
	fi
	local subs
	subs=$(_amie_subcommands "$amie" "$cmd")
	if [ -n "$subs" ] && [ -z "$sub" ] && [[ $cur != -* ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		return 0
	fi
	if [[ $cur == -* ]]; then
		if [ -n "$subs" ] && [ -n "$sub" ]; then
			COMPREPLY=($(compgen -W "$(_amie_options "$amie" "$cmd" \
			    "$sub")" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_amie_options "$amie" "$cmd")" \
			    -- "$cur"))
		fi
		return 0
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	return 0
}

complete -F _amie amie
