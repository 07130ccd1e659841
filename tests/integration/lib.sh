# SPDX-License-Identifier: AGPL-3.0-or-later
# Shared helpers for the integration tests: real amied processes in a
# private temporary directory, driven through the amie command line.
# Sourced by each tests/integration/*.sh; B is the build directory.

set -u
B=${B:-build}
case "$B" in
/*) BUILD=$B ;;
*) BUILD="$(pwd)/$B" ;;
esac
AMIE="$BUILD/amie"
AMIED="$BUILD/amied"
CTLTOOL="$BUILD/tests/tools/ctltool"
PEERTOOL="$BUILD/tests/tools/peertool"
T=$(mktemp -d "${TMPDIR:-/tmp}/amie-test.XXXXXX")
PIDS=""
FAILED=0

cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# fail MESSAGE: record a failure and go on.
fail() {
	echo "  FAIL: $*" >&2
	FAILED=1
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	desc=$1
	shift
	"$@" || fail "$desc"
}

# expect_code CODE COMMAND...: the command must exit with CODE.
expect_code() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$* exited $got, expected $want: $(cat "$T/err")"
	fi
}

# wait_for SECONDS COMMAND...: retry until the command succeeds or the
# deadline passes.  Returns 1 on timeout.
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# start_node DIR: run amied on DIR in the background, wait until it
# answers.  Its pid is in NODE_PID, its log in DIR.log.
start_node() {
	"$AMIED" --dir "$1" 2>>"$1.log" &
	NODE_PID=$!
	PIDS="$PIDS $NODE_PID"
	if ! wait_for 20 "$AMIE" --dir "$1" status; then
		fail "amied on $1 did not become ready: $(cat "$1.log")"
		return 1
	fi
}

# stop_node PID: SIGTERM, then the daemon must exit 0 (under sanitizers
# that also proves it leaked nothing).
stop_node() {
	kill -TERM "$1"
	wait "$1"
	rc=$?
	[ "$rc" = 0 ] || fail "amied (pid $1) exited $rc on SIGTERM"
}

# json_field NAME FILE: the first scalar value of "NAME" in FILE.
json_field() {
	sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2" | head -n 1
}

finish() {
	if [ "$FAILED" != 0 ]; then
		exit 1
	fi
	exit 0
}

# free_port: a TCP port on 127.0.0.1 no socket uses now, in any state.
# Ports come from below Linux's ephemeral range (32768 and up by default),
# so that no outgoing connection, of this test or another, takes the port
# between this check and the daemon's bind.
NEXT_PORT=$((20000 + $$ % 10000))
free_port() {
	while :; do
		[ "$NEXT_PORT" -lt 32768 ] || NEXT_PORT=20000
		ss -tan "sport = :$NEXT_PORT" 2>/dev/null |
		    grep -q ":$NEXT_PORT " || break
		NEXT_PORT=$((NEXT_PORT + 1))
	done
	echo "$NEXT_PORT"
	NEXT_PORT=$((NEXT_PORT + 1))
}

# new_node NAME [ARGS...]: init a node in $T/NAME listening on a free
# loopback port (extra ARGS go to amie init), and start it.  Sets D_NAME
# style variables through the caller: use "$T/NAME".  MAX_PEERS and
# INTERVAL, when set, go to its [sync] max_peers and interval.
new_node() {
	name=$1
	shift
	"$AMIE" init --dir "$T/$name" --name "$name" \
	    --listen "tcp://127.0.0.1:$(free_port)" "$@" >/dev/null 2>&1 ||
	    fail "init $name"
	if [ -n "${MAX_PEERS:-}${INTERVAL:-}" ]; then
		printf '\n[sync]\n' >>"$T/$name/amied.conf"
		[ -z "${MAX_PEERS:-}" ] ||
		    printf 'max_peers = %s\n' "$MAX_PEERS" >>"$T/$name/amied.conf"
		[ -z "${INTERVAL:-}" ] ||
		    printf 'interval = %s\n' "$INTERVAL" >>"$T/$name/amied.conf"
	fi
	start_node "$T/$name"
	eval "PID_$name=\$NODE_PID"
}

# join NAME INVITER: NAME joins the federation with an invite of INVITER.
join() {
	code=$("$AMIE" --dir "$T/$2" invite 2>/dev/null) || {
		fail "invite by $2"
		return 1
	}
	"$AMIE" --dir "$T/$1" join "$code" >/dev/null 2>"$T/join.err" || {
		fail "$1 joining through $2: $(cat "$T/join.err")"
		return 1
	}
}

# linked NAME: NAME has a connected peer.
linked() {
	"$AMIE" --dir "$T/$1" peers --json >"$T/linked.json" 2>/dev/null &&
	    grep -q '"state": "connected"' "$T/linked.json"
}

# inbound_only_pair: A founds Nord and B joins it, B opening no link of
# its own (max_peers 0); both hold the same records.  The caller sets
# INTERVAL first if it wants.
inbound_only_pair() {
	new_node A --federation Nord || return 1
	MAX_PEERS=0 new_node B || return 1
	join B A || return 1
	wait_for 20 same_records A B || fail "A and B differ after the join"
}

# only_inbound NAME: NAME has a connected link that a peer opened, and
# none of its own.
only_inbound() {
	"$AMIE" --dir "$T/$1" peers --json >"$T/inb.json" 2>/dev/null &&
	    grep -q '"direction": "in"' "$T/inb.json" &&
	    ! grep -q '"direction": "out"' "$T/inb.json" &&
	    grep -q '"state": "connected"' "$T/inb.json"
}

# both_links NAME: NAME's link to its one peer and the peer's link to it
# are both connected (amie peers shows two connected rows).
both_links() {
	"$AMIE" --dir "$T/$1" peers --json >"$T/both.json" 2>/dev/null &&
	    [ "$(grep -c '"state": "connected"' "$T/both.json")" -ge 2 ]
}

# peer_field NAME FIELD: FIELD of NAME's first peer in amie peers --json.
peer_field() {
	"$AMIE" --dir "$T/$1" peers --json >"$T/peer.json" 2>/dev/null &&
	    json_field "$2" "$T/peer.json"
}

# peer_target NAME: set NET, AID and EP to the network id, node id and
# listen endpoint of node NAME, as peertool takes them.
peer_target() {
	"$AMIE" --dir "$T/$1" status --json >"$T/target.json" 2>/dev/null ||
	    return 1
	NET=$(json_field network_id "$T/target.json")
	AID=$(json_field node_id "$T/target.json")
	EP=$(sed -n 's/^listen = //p' "$T/$1/amied.conf")
}

# has_article NAME ID: the node NAME shows the article ID.
has_article() {
	"$AMIE" --dir "$T/$1" kb show "$2" >/dev/null 2>&1
}

# article_title NAME ID: the title NAME shows for ID.
article_title() {
	"$AMIE" --dir "$T/$1" kb show "$2" --json 2>/dev/null >"$T/title.json" &&
	    json_field title "$T/title.json"
}

# title_is NAME ID TITLE
title_is() {
	[ "$(article_title "$1" "$2")" = "$3" ]
}

# records NAME: the record count of node NAME.
records() {
	"$AMIE" --dir "$T/$1" status --json >"$T/rec.json" 2>/dev/null &&
	    json_field records "$T/rec.json"
}

# same_records A B: both nodes hold as many records.
same_records() {
	ra=$(records "$1") && rb=$(records "$2") && [ -n "$ra" ] && [ "$ra" = "$rb" ]
}

# missed_article A B TITLE: with A stopped, write an article TITLE on B,
# then stop B and start A again: A runs without it, and B is stopped.
# Sets X (its id), REC (its revision id) and TS (its ts).
missed_article() {
	eval "stop_node \"\$PID_$1\""
	X=$(add_article "$2" "$3") || { fail "add on $2"; return 1; }
	"$AMIE" --dir "$T/$2" kb show "$X" --json >"$T/x.json" ||
	    { fail "show on $2"; return 1; }
	REC=$(json_field revision "$T/x.json")
	TS=$(json_field updated "$T/x.json")
	eval "stop_node \"\$PID_$2\""
	start_node "$T/$1" || return 1
	eval "PID_$1=\$NODE_PID"
}

# strace_hold NAME STRACE_OPTIONS...: attach strace (fault injection,
# to hold a system call of amied on NAME) and wait until it is attached;
# ST is its pid.  Exits 77 (skipped) without strace or where it cannot
# attach.
strace_hold() {
	command -v strace >/dev/null 2>&1 || exit 77
	eval "hold_pid=\$PID_$1"
	shift
	strace -f -qq -o /dev/null "$@" -p "$hold_pid" 2>"$T/strace.err" &
	ST=$!
	PIDS="$PIDS $ST"
	wait_for 10 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$hold_pid/status" || {
		kill "$ST" 2>/dev/null
		echo "strace cannot attach: $(cat "$T/strace.err")"
		exit 77
	}
}

# add_article NAME TITLE: write an article on NAME, print its id.
add_article() {
	echo "Text of $2" | "$AMIE" --dir "$T/$1" kb add --title "$2" -
}
