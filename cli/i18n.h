/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * Messages for people go through gettext: wrap them in _("...") where
 * they are printed, and in N_("...") where a table holds them (translated
 * by _() when printed).  The catalogue's text domain is "amie"; main()
 * binds it to $AMIE_LOCALEDIR when set (an uninstalled amie, the tests),
 * else to AMIE_LOCALEDIR, which the Makefile sets to
 * $(PREFIX)/share/locale.  JSON keys, command and option names, and exit
 * codes are never translated.  docs/cli.md tells how messages of the
 * daemon reach French users and how to update po/.
 */
#ifndef AMIE_CLI_I18N_H
#define AMIE_CLI_I18N_H

#include <libintl.h>

#define AMIE_TEXTDOMAIN "amie"
#ifndef AMIE_LOCALEDIR
#define AMIE_LOCALEDIR "/usr/local/share/locale"
#endif

#define _(s) gettext(s)
#define N_(s) (s)

#endif
