/* test-sidecar-kill.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A child process saves the same sidecar in a loop while this process
 * kills it with SIGKILL at random moments, at least 200 times and until
 * 50 kills came after a save had landed. After every kill the file must
 * parse and hold one whole version, the one before or after the save that
 * was cut, never a mixture and never less than what was there.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "densito-sidecar.h"
#include "test-util.h"

#define W 20000
#define H 20000
#define KILLS 200
#define MAX_KILLS 1000

static void
test_kill_while_saving (void)
{
  const char *tool = g_getenv ("SIDECAR_TOOL");
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *image = test_write_png (dir, "1-1.png", W, H, FALSE);
  g_autofree char *w = g_strdup_printf ("%d", W);
  g_autofree char *h = g_strdup_printf ("%d", H);
  GRand *rand = g_rand_new_with_seed (20261130);
  guint last = 0;
  guint advanced = 0;
  guint kills = 0;
  /* A save takes longer on a busy machine: when a kill comes before the
   * first save lands, the next may come later (up to 40 ms), and earlier
   * again after one that came after a save. */
  int max_delay_us = 8000;

  g_assert_nonnull (tool);

  for (guint i = 0; i < MAX_KILLS && (i < KILLS || advanced <= KILLS / 4); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
      g_autoptr(DensitoSidecar) s = NULL;
      const char *argv[] = { tool, "save-loop", image, w, h, NULL };
      GPid pid;
      int status;
      int out_fd = -1;
      char ready[7] = { 0 };
      guint version;
      const DensitoRoi *roi;
      g_autofree char *expected_reason = NULL;

      g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                NULL, &out_fd, NULL, &error);
      g_assert_no_error (error);
      /* Wait for the loop to start, then kill it somewhere in its saves. */
      g_assert_cmpint (read (out_fd, ready, 6), ==, 6);
      g_assert_cmpstr (ready, ==, "ready\n");
      g_usleep (g_rand_int_range (rand, 0, max_delay_us));
      kill (pid, SIGKILL);
      kills++;
      waitpid (pid, &status, 0);
      g_spawn_close_pid (pid);
      close (out_fd);
      g_assert_true (WIFSIGNALED (status) || WIFEXITED (status));

      s = densito_sidecar_load (image, NULL, W, H, diags, NULL, &error);
      g_assert_no_error (error);
      if (!densito_sidecar_exists_on_disk (s))
        {
          /* Killed before the very first save finished: nothing yet, which is fine. */
          g_assert_cmpuint (last, ==, 0);
          max_delay_us = MIN (max_delay_us + 1000, 40000);
          continue;
        }
      if (densito_sidecar_is_broken (s))
        {
          g_autofree char *msg = densito_diagnostic_dup_message (densito_diagnostics_get (diags, 0));
          g_test_message ("kill %u: %s", i, msg);
        }
      g_assert_false (densito_sidecar_is_broken (s));
      g_assert_cmpuint (densito_diagnostics_get_n (diags), ==, 0);
      g_assert_cmpuint (densito_sidecar_get_n_rois (s), ==, 1);
      roi = densito_sidecar_get_roi (s, 0);
      version = (guint)roi->box.cx;
      expected_reason = g_strdup_printf ("v%u", version);
      /* One whole version: its box and its review agree. */
      g_assert_cmpstr (densito_sidecar_get_review (s)->reason, ==, expected_reason);
      /* Never older than what a previous run left. */
      g_assert_cmpuint (version, >=, last);
      if (version > last)
        {
          advanced++;
          max_delay_us = MAX (max_delay_us - 1000, 8000);
        }
      else
        max_delay_us = MIN (max_delay_us + 1000, 40000);
      last = version;
    }

  g_test_message ("%u kills, the file advanced %u times, last version %u, last delay bound %d us",
                  kills, advanced, last, max_delay_us);
  /* The loop did save between kills; otherwise this test proved nothing. */
  g_assert_cmpuint (advanced, >, KILLS / 4);

  g_rand_free (rand);
  test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sidecar/kill-while-saving", test_kill_while_saving);

  return g_test_run ();
}
