/* main.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "densito-cli.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc >= 2 && (densito_cli_is_command (argv[1]) || argv[1][0] == '-'))
    return densito_cli_run (argc, argv);

  /* The application window comes with the GUI; until then opening a
   * dataset shows its validation report. */
  if (argc >= 2)
    {
      char *args[] = { argv[0], (char *)"validate", argv[1], NULL };
      return densito_cli_run (3, args);
    }
  return densito_cli_run (argc, argv);
}
