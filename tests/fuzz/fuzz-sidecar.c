/* fuzz-sidecar.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: any bytes as a sidecar; a readable one must serialise
 * and read back with the same number of shapes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "densito-sidecar.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* A critical warning is a bug too: abort, so libFuzzer keeps the input. */
static GLogWriterOutput
abort_on_critical (GLogLevelFlags   level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_ERROR))
    {
      g_log_writer_standard_streams (level, fields, n_fields, data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_writer_func (abort_on_critical, NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(DensitoDiagnostics) diags = densito_diagnostics_new ();
  g_autoptr(DensitoSidecar) s = densito_sidecar_load_from_data ((const char *)data, size, "/tmp/x/1-1.png",
                                                                "/tmp/x/1-1.json", 500, 600, diags);

  if (!densito_sidecar_is_broken (s))
    {
      gsize len;
      g_autofree char *out = densito_sidecar_to_data (s, &len);
      g_autoptr(DensitoSidecar) back = densito_sidecar_load_from_data (out, len, "/tmp/x/1-1.png",
                                                                       "/tmp/x/1-1.json", 500, 600, NULL);
      g_assert_false (densito_sidecar_is_broken (back));
      g_assert_cmpuint (densito_sidecar_get_n_rois (back), ==, densito_sidecar_get_n_rois (s));
    }
  return 0;
}
