# SPDX-License-Identifier: AGPL-3.0-or-later
# The limits amie(1) gives for kb: a query of at most 1024 bytes, an
# article of at most 262144 bytes.
. tests/integration/lib.sh

new_node A --federation Nord || finish

word() {	# N: a word of N letters
	head -c "$1" /dev/zero | tr '\0' a
}

# A query of 1023 or 1024 bytes is a query: nothing matches (1).
expect_code 1 "$AMIE" --dir "$T/A" kb search "$(word 1023)"
expect_code 1 "$AMIE" --dir "$T/A" kb search "$(word 1024)"
expect_code 1 "$AMIE" --dir "$T/A" kb search "$(word 511)" "$(word 512)"
expect_code 64 "$AMIE" --dir "$T/A" kb search "$(word 1025)"
expect_code 64 "$AMIE" --dir "$T/A" kb search "$(word 512)" "$(word 512)"

# The text with the title and the other fields fits in 262144 bytes; past
# that the error says what is over the limit.
word 262000 >"$T/big.md"
expect_code 0 "$AMIE" --dir "$T/A" kb add --title T "$T/big.md"
word 262144 >"$T/big.md"
expect_code 65 "$AMIE" --dir "$T/A" kb add --title T "$T/big.md"
grep -q "text, title and other fields" "$T/err" ||
    fail "a text of 262144 bytes is refused as: $(cat "$T/err")"

finish
