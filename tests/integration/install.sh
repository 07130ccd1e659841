# SPDX-License-Identifier: AGPL-3.0-or-later
# make install into a DESTDIR installs the binaries, the man pages, the
# systemd unit, the sysusers.d entry and the bash completion, each where
# systemd, man and bash-completion look for them; systemd-analyze verify
# passes on the unit and rates its sandboxing well; the completion offers
# every command of `amie --help`.
. tests/integration/lib.sh

S="$T/stage"
P=/usr/local
# Not the jobserver of a calling make.  Should a source be newer than the
# build in $B, make rebuilds it: with the sanitizers if $B has them.
unset MAKEFLAGS MFLAGS MAKELEVEL
san=
grep -q __asan_init "$AMIED" 2>/dev/null && san=SAN=1
make --no-print-directory -s install B="$B" $san DESTDIR="$S" PREFIX="$P" \
    >"$T/make.out" 2>&1 || fail "make install: $(cat "$T/make.out")"

# check_file PATH MODE: installed, with that mode.
check_file() {
	if [ ! -f "$S$1" ]; then
		fail "not installed: $1"
		return 1
	fi
	m=$(stat -c %a "$S$1")
	[ "$m" = "$2" ] || fail "$1: mode $m, expected $2"
}
check_file $P/bin/amied 755
check_file $P/bin/amie 755
cmp -s "$S$P/bin/amied" "$AMIED" || fail "installed amied differs from $AMIED"
cmp -s "$S$P/bin/amie" "$AMIE" || fail "installed amie differs from $AMIE"
check_file $P/share/man/man1/amie.1 644
check_file $P/share/man/man5/amied.conf.5 644
check_file $P/share/man/man8/amied.8 644
UNIT=$P/lib/systemd/system/amied.service
check_file $UNIT 644
check_file $P/lib/sysusers.d/amie.conf 644
check_file $P/share/bash-completion/completions/amie 644

for line in "Type=notify" "User=amie" "StateDirectory=amie" \
    "StateDirectoryMode=0700" "RuntimeDirectory=amie" \
    "RestartPreventExitStatus=78" "Restart=on-failure" \
    "ExecStart=$P/bin/amied --dir /var/lib/amie" \
    "ExecStartPre=$P/bin/amied -t --dir /var/lib/amie"; do
	grep -qx "$line" "$S$UNIT" || fail "unit lacks $line"
done
grep -q '@[A-Z]*@' "$S$UNIT" && fail "unit keeps a placeholder: $(grep @ "$S$UNIT")"
grep -q '^u amie - ' "$S$P/lib/sysusers.d/amie.conf" ||
    fail "sysusers entry: $(cat "$S$P/lib/sysusers.d/amie.conf")"

# The completion, loaded as bash-completion would, with the installed amie.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _amie; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$S$P/share/bash-completion/completions/amie" "$@" | sort
}
PATH="$S$P/bin:$PATH"
commands=$(amie --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | sort)
[ -n "$commands" ] || fail "no command in amie --help"
[ "$(complete_words amie "")" = "$commands" ] ||
    fail "completion of commands: $(complete_words amie "" | tr '\n' ' ')"
for c in $commands; do
	complete_words amie "$c" -- | grep -qx -- --help ||
	    fail "completion of amie $c options lacks --help"
done
complete_words amie sync -- | grep -qx -- --wait || fail "no --wait for sync"
complete_words amie kb "" | grep -qx search || fail "no kb search"
complete_words amie kb search -- | grep -qx -- --limit ||
    fail "no --limit for kb search"
complete_words amie kb search -- | grep -qx -- --raw &&
    fail "kb search offered kb show's --raw"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "install.sh: systemd-analyze not found (Debian package systemd):" \
	    "the unit was not verified" >&2
	[ "$FAILED" = 0 ] && exit 77
	finish
fi
# verify checks that the commands exist: point them into the stage.  It
# also looks up the Documentation= man pages: the installed ones.
mkdir "$T/unit"
sed "s|$P/bin/|$S$P/bin/|g" "$S$UNIT" >"$T/unit/amied.service"
MANPATH="$S$P/share/man" systemd-analyze verify "$T/unit/amied.service" \
    >"$T/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify")"
[ -s "$T/verify" ] && fail "systemd-analyze verify warns: $(cat "$T/verify")"
systemd-analyze security --offline=true "$T/unit/amied.service" \
    >"$T/security" 2>&1 || fail "systemd-analyze security: $(tail -n 3 "$T/security")"
score=$(sed -n 's/.*Overall exposure level for amied.service: \([0-9.]*\).*/\1/p' \
    "$T/security")
echo "systemd-analyze security: exposure $score"
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' ||
    fail "exposure level '$score', expected under 2.0: $(tail -n 1 "$T/security")"
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/root/etc"
	systemd-sysusers --root="$T/root" --dry-run \
	    "$S$P/lib/sysusers.d/amie.conf" >"$T/sysusers" 2>&1 ||
	    fail "systemd-sysusers: $(cat "$T/sysusers")"
	grep -q "Creating user 'amie'" "$T/sysusers" ||
	    fail "systemd-sysusers creates no amie: $(cat "$T/sysusers")"
fi
finish
