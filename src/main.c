/* main.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "densito-application.h"
#include "densito-cli.h"


int
main (int    argc,
      char **argv)
{
  g_autoptr(DensitoApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Subcommands, --help and --version need no display. */
  if (argc >= 2 && densito_cli_is_command (argv[1]))
    return densito_cli_run (argc, argv);
  if (argc >= 2 && argv[1][0] == '-')
    return densito_cli_run (argc, argv);

  if (argc == 2 && !g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      g_autofree char *display = g_filename_display_name (argv[1]);
      g_printerr (_("densito: %s: no such file or folder\n"), display);
      return 2;
    }

  densito_application_choose_renderer ();
  app = densito_application_new ();
  densito_application_preload_args (app, argc, argv);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
