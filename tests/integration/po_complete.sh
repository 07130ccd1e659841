# SPDX-License-Identifier: AGPL-3.0-or-later
# The French catalogue is complete for the current sources: every message
# marked with _() or N_() in cli/*.c has a translation in po/fr.po that is
# neither missing nor fuzzy, and whose printf directives match (msgfmt
# --check).  A new message without its translation fails here; `make po`
# adds it to po/fr.po for translating.
. tests/integration/lib.sh

for t in xgettext msgmerge msgattrib msgfmt; do
	command -v $t >/dev/null ||
	    { echo "$t is needed (Debian package gettext; make deps)" >&2; exit 1; }
done
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
    --add-location=file --package-name=amie --msgid-bugs-address=amie \
    -o "$T/amie.pot" cli/*.c 2>"$T/err" || fail "xgettext: $(cat "$T/err")"
msgmerge --quiet --no-fuzzy-matching -o "$T/fr.po" po/fr.po "$T/amie.pot" \
    2>"$T/err" || fail "msgmerge: $(cat "$T/err")"
msgattrib --untranslated --no-obsolete "$T/fr.po" >"$T/untranslated"
msgattrib --only-fuzzy --no-obsolete "$T/fr.po" >"$T/fuzzy"
if grep -q '^msgid "..*"\|^msgid ""$' "$T/untranslated" &&
    [ "$(grep -c '^msgid' "$T/untranslated")" -gt 1 ]; then
	fail "po/fr.po lacks translations (run make po, then translate):
$(grep -A3 '^#:' "$T/untranslated")"
fi
if [ "$(grep -c '^msgid' "$T/fuzzy")" -gt 1 ]; then
	fail "po/fr.po has fuzzy translations to check:
$(grep -A3 '^#:' "$T/fuzzy")"
fi
msgfmt --check -o /dev/null "$T/fr.po" 2>"$T/err" ||
    fail "po/fr.po does not compile: $(cat "$T/err")"
# The catalogue of the build speaks French.
[ -f "$BUILD/locale/fr/LC_MESSAGES/amie.mo" ] || fail "no French catalogue in $BUILD"
finish
