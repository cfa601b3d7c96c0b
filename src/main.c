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

/* GTK 4.8 draws with OpenGL by default. Where no GPU device node exists
 * (virtual machines, remote desktops), Mesa can only give llvmpipe, a
 * software rasteriser that compiles its shaders with LLVM: on the 2-core
 * development VM that was about 40% of the CPU time to the first frame
 * and most of the peak memory (tests/bench/README.md, issue 4), where
 * GTK's cairo renderer draws the same window in far less. A GSK_RENDERER
 * that the user set wins.
 *
 * Choosing the cairo renderer is not enough: GDK 4.8 on X11 still loads
 * and initialises Mesa's GL (LLVM included) when it opens the display.
 * With no GPU that costs 120-130 ms to the first frame and 60 MB of
 * resident memory for nothing (the bare GTK window of the startup bench:
 * 362 -> 245 ms, 94 -> 34 MB), so GL is switched off as well, unless the
 * user set GDK_DEBUG themselves. */
static void
choose_renderer (void)
{
#ifdef __linux__
  g_autoptr(GDir) dri = NULL;
  const char *name;

  if (g_getenv ("GSK_RENDERER") != NULL || g_file_test ("/dev/nvidia0", G_FILE_TEST_EXISTS))
    return;
  dri = g_dir_open ("/dev/dri", 0, NULL);
  while (dri != NULL && (name = g_dir_read_name (dri)) != NULL)
    if (g_str_has_prefix (name, "renderD") || g_str_has_prefix (name, "card"))
      return;
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
#endif
}

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

  choose_renderer ();
  app = densito_application_new ();
  densito_application_preload_args (app, argc, argv);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
