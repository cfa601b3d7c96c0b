/* densito-synth.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes a synthetic dataset in the schema of the Arak DXA release:
 *
 *   DIR/osteo.csv            the table, one row per patient
 *   DIR/imge/<ID>-<n>.png    scans: 1 hip, 2 AP spine, 3 forearm, 4 lateral
 *   DIR/imge/<ID>-<n>.json   the true regions of some scans, as Densito
 *                            sidecars (labelme JSON, source "synthetic")
 *   DIR/synthetic-rois.tsv   the true regions of interest of every scan
 *
 * Everything is drawn from GRand streams seeded from --seed, never from
 * the clock, so one seed always gives the same files. The table, the
 * images and the choice of sidecars use separate streams: --no-images
 * writes the same table, and --sidecars changes no table or image byte.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "densito-sidecar.h"

#include "synth-anatomy.h"
#include "synth-png.h"
#include "synth-table.h"

#define DEFAULT_PATIENTS 3643
#define MAX_PATIENTS     100000000
#define FLUSH_SIZE       (1 << 20)

/* Share of images that are forearm scans, and lateral (VFA) frames. */
#define FOREARM_SHARE 0.022
#define LATERAL_SHARE 0.022

/* Which scans get a sidecar with their true regions. */
typedef enum
{
  SIDECARS_NONE,
  SIDECARS_HALF,   /* each scan with probability 0.5 */
  SIDECARS_ALL,
} SidecarMode;

typedef struct
{
  const char  *out_dir;
  guint        n_patients;
  guint32      seed;
  gboolean     images;
  SidecarMode  sidecars;
} Options;

/* Picks exactly @total of @n items in one pass (selection sampling). */
typedef struct
{
  guint left;
  guint items_left;
} Quota;

static gboolean
quota_take (Quota *q,
            GRand *rand)
{
  gboolean take;

  if (q->items_left == 0)
    return FALSE;
  take = g_rand_double (rand) * q->items_left < q->left;
  q->items_left--;
  if (take)
    q->left--;
  return take;
}

static guint
quota_size (guint  n_patients,
            double share)
{
  if (n_patients < 10)
    return 0;
  return MAX (1, (guint)lround (n_patients * share));
}

static gboolean
flush_buffer (FILE        *fp,
              GString     *buffer,
              const char  *path,
              GError     **error)
{
  if (buffer->len > 0 && fwrite (buffer->str, 1, buffer->len, fp) != buffer->len)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
  g_string_truncate (buffer, 0);
  return TRUE;
}

static void
append_coord (GString *out,
              double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.2f", v));
}

/* The value as synthetic-rois.tsv writes it, so that a sidecar and the
 * table agree to the last bit; adding 0.0 turns -0.00 into 0. */
static double
round_coord (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_ascii_strtod (g_ascii_formatd (buf, sizeof buf, "%.2f", v), NULL) + 0.0;
}

/* Removes the sidecar an earlier run left for the image just rewritten:
 * it describes other pixels, and a new one could not be saved over it. */
static gboolean
remove_stale_sidecar (const char  *sidecar_path,
                      GError     **error)
{
  if (g_unlink (sidecar_path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot remove '%s': %s", sidecar_path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_sidecar (const char  *image_path,
               const char  *sidecar_path,
               int          width,
               int          height,
               GArray      *rois,
               GError     **error)
{
  g_autoptr(DensitoSidecar) sidecar = densito_sidecar_new (image_path, sidecar_path,
                                                           (guint)width, (guint)height);

  for (guint i = 0; i < rois->len; i++)
    {
      const SynthRoi *r = &g_array_index (rois, SynthRoi, i);
      DensitoBox box = {
        round_coord (r->cx), round_coord (r->cy),
        round_coord (r->width), round_coord (r->height),
        round_coord (r->angle_deg),
      };
      g_autoptr(DensitoRoi) roi = densito_roi_new_box (r->label, &box, DENSITO_SOURCE_SYNTHETIC);

      densito_sidecar_insert_roi (sidecar, densito_sidecar_get_n_rois (sidecar), roi);
    }

  return densito_sidecar_save (sidecar, NULL, error);
}

static double
site_tscore (const SynthPatient *p,
             DensitoSite         site)
{
  return p->have[site] ? p->t_tenths[site] / 10.0 : NAN;
}

static gboolean
write_scan (const Options      *opts,
            const char         *image_dir,
            const SynthPatient *p,
            SynthScanKind       kind,
            gboolean            with_sidecar,
            GString            *rois_out,
            gboolean           *wrote_sidecar,
            GError            **error)
{
  guint32 seeds[3] = { opts->seed, p->id, kind };
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
  g_autoptr(GArray) rois = g_array_new (FALSE, FALSE, sizeof (SynthRoi));
  g_autofree char *name = g_strdup_printf ("%u-%d.png", p->id, (int)kind);
  g_autofree char *path = g_build_filename (image_dir, name, NULL);
  g_autofree char *sidecar_path = densito_sidecar_path_for_image (path, NULL);
  cairo_surface_t *surface;
  gboolean ok;
  double tscore;
  int width;
  int height;

  switch (kind)
    {
    case SYNTH_SCAN_HIP:
      tscore = site_tscore (p, DENSITO_SITE_HIP);
      break;
    case SYNTH_SCAN_SPINE:
    case SYNTH_SCAN_LATERAL:
      tscore = site_tscore (p, DENSITO_SITE_SPINE);
      break;
    case SYNTH_SCAN_FOREARM:
    default:
      tscore = site_tscore (p, DENSITO_SITE_NECK);
      break;
    }

  surface = synth_scan_draw (kind, p->id, rand, tscore,
                             p->computed == DENSITO_CLASS_OSTEOPOROSIS, rois);
  width = cairo_image_surface_get_width (surface);
  height = cairo_image_surface_get_height (surface);
  ok = synth_png_write_grey (surface, path, error);
  cairo_surface_destroy (surface);
  if (!ok)
    return FALSE;

  if (!remove_stale_sidecar (sidecar_path, error))
    return FALSE;
  /* A scan without regions (lateral frames) gets no sidecar: there is
   * nothing to record. */
  *wrote_sidecar = with_sidecar && rois->len > 0;
  if (*wrote_sidecar && !write_sidecar (path, sidecar_path, width, height, rois, error))
    return FALSE;

  for (guint i = 0; i < rois->len; i++)
    {
      const SynthRoi *roi = &g_array_index (rois, SynthRoi, i);

      g_string_append_printf (rois_out, "%s\t%s\t", name, roi->label);
      append_coord (rois_out, roi->cx);
      g_string_append_c (rois_out, '\t');
      append_coord (rois_out, roi->cy);
      g_string_append_c (rois_out, '\t');
      append_coord (rois_out, roi->width);
      g_string_append_c (rois_out, '\t');
      append_coord (rois_out, roi->height);
      g_string_append_c (rois_out, '\t');
      append_coord (rois_out, roi->angle_deg);
      g_string_append_c (rois_out, '\n');
    }

  return TRUE;
}

/* Which scans a patient has: usually one of hip or spine, about one in
 * ten both, a few none, and never a site the table row lacks; forearm and
 * lateral frames are spread over the whole set by quota. */
static guint
plan_scans (GRand              *rand,
            const SynthPatient *p,
            Quota              *forearm,
            Quota              *lateral,
            SynthScanKind       kinds[4])
{
  gboolean has_hip = p->have[DENSITO_SITE_HIP] || p->have[DENSITO_SITE_NECK];
  gboolean has_spine = p->have[DENSITO_SITE_SPINE];
  double u = g_rand_double (rand);
  guint n = 0;

  if (u < 0.03 || (!has_hip && !has_spine))
    ;
  else if (u < 0.13 && has_hip && has_spine)
    {
      kinds[n++] = SYNTH_SCAN_HIP;
      kinds[n++] = SYNTH_SCAN_SPINE;
    }
  else if (!has_spine)
    kinds[n++] = SYNTH_SCAN_HIP;
  else if (!has_hip)
    kinds[n++] = SYNTH_SCAN_SPINE;
  else
    kinds[n++] = g_rand_double (rand) < 0.55 ? SYNTH_SCAN_HIP : SYNTH_SCAN_SPINE;

  if (quota_take (forearm, rand))
    kinds[n++] = SYNTH_SCAN_FOREARM;
  if (quota_take (lateral, rand))
    kinds[n++] = SYNTH_SCAN_LATERAL;

  return n;
}

static gboolean
choose_sidecar (const Options *opts,
                GRand         *rand)
{
  switch (opts->sidecars)
    {
    case SIDECARS_ALL:
      return TRUE;
    case SIDECARS_HALF:
      return g_rand_double (rand) < 0.5;
    case SIDECARS_NONE:
    default:
      return FALSE;
    }
}

static gboolean
run (const Options  *opts,
     guint          *n_images,
     guint          *n_sidecars,
     GError        **error)
{
  g_autofree char *csv_path = g_build_filename (opts->out_dir, "osteo.csv", NULL);
  g_autofree char *image_dir = g_build_filename (opts->out_dir, "imge", NULL);
  g_autofree char *rois_path = g_build_filename (opts->out_dir, "synthetic-rois.tsv", NULL);
  g_autoptr(SynthTable) table = synth_table_new (opts->seed, opts->n_patients);
  g_autoptr(GString) buffer = g_string_sized_new (FLUSH_SIZE + 4096);
  g_autoptr(GString) rois = NULL;
  g_autoptr(GRand) plan = NULL;
  g_autoptr(GRand) pick = NULL;
  Quota forearm = { quota_size (opts->n_patients, FOREARM_SHARE), opts->n_patients };
  Quota lateral = { quota_size (opts->n_patients, LATERAL_SHARE), opts->n_patients };
  SynthPatient patient;
  FILE *fp;

  *n_images = 0;
  *n_sidecars = 0;

  if (g_mkdir_with_parents (opts->out_dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create directory '%s': %s", opts->out_dir, g_strerror (saved));
      return FALSE;
    }

  if (opts->images)
    {
      guint32 seeds[2] = { opts->seed, 0x696d6765 };  /* "imge" */
      guint32 pick_seeds[2] = { opts->seed, 0x6a736f6e };  /* "json" */

      if (g_mkdir_with_parents (image_dir, 0755) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Cannot create directory '%s': %s", image_dir, g_strerror (saved));
          return FALSE;
        }
      plan = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
      pick = g_rand_new_with_seed_array (pick_seeds, G_N_ELEMENTS (pick_seeds));
      rois = g_string_new ("image\tlabel\tcx\tcy\twidth\theight\tangle_deg\n");
    }

  fp = g_fopen (csv_path, "wb");
  if (fp == NULL)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write '%s': %s", csv_path, g_strerror (saved));
      return FALSE;
    }

  synth_table_append_header (buffer);
  while (synth_table_next (table, &patient))
    {
      synth_table_append_row (buffer, &patient);
      if (buffer->len >= FLUSH_SIZE && !flush_buffer (fp, buffer, csv_path, error))
        goto fail;

      if (opts->images)
        {
          SynthScanKind kinds[4];
          guint n = plan_scans (plan, &patient, &forearm, &lateral, kinds);

          for (guint i = 0; i < n; i++)
            {
              gboolean with_sidecar = choose_sidecar (opts, pick);
              gboolean wrote_sidecar = FALSE;

              if (!write_scan (opts, image_dir, &patient, kinds[i], with_sidecar, rois,
                               &wrote_sidecar, error))
                goto fail;
              (*n_images)++;
              if (wrote_sidecar)
                (*n_sidecars)++;
            }
        }
    }

  if (!flush_buffer (fp, buffer, csv_path, error))
    goto fail;
  if (fclose (fp) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write '%s': %s", csv_path, g_strerror (saved));
      return FALSE;
    }

  if (rois != NULL && !g_file_set_contents (rois_path, rois->str, rois->len, error))
    return FALSE;

  return TRUE;

fail:
  fclose (fp);
  return FALSE;
}

static int
usage_error (const char *message)
{
  g_printerr ("densito-synth: %s\n", message);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out_dir = NULL;
  gint64 n_patients = DEFAULT_PATIENTS;
  gint64 seed = 1;
  gboolean no_images = FALSE;
  g_autofree char *sidecars = NULL;
  Options opts = { 0 };
  guint n_images = 0;
  guint n_sidecars = 0;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Directory to write osteo.csv, imge/ and synthetic-rois.tsv into", "DIR" },
    { "patients", 'n', 0, G_OPTION_ARG_INT64, &n_patients,
      "Number of patients (default 3643)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the random streams (default 1)", "S" },
    { "no-images", 0, 0, G_OPTION_ARG_NONE, &no_images,
      "Write only the table", NULL },
    { "sidecars", 0, 0, G_OPTION_ARG_STRING, &sidecars,
      "Which scans get a sidecar <image>.json with their true ROIs: all, half (default) "
      "or none", "WHICH" },
    { NULL }
  };

  /* For messages only: every number is formatted independently of
   * LC_NUMERIC. */
  setlocale (LC_ALL, "");

  context = g_option_context_new ("- write a synthetic DXA dataset");
  g_option_context_set_summary (
    context,
    "Writes a synthetic dataset in the schema of the Arak DXA release:\n"
    "DIR/osteo.csv, DIR/imge/<ID>-<n>.png and DIR/synthetic-rois.tsv, which\n"
    "lists the true ROIs of every scan. With --sidecars=half (the default) about\n"
    "half of the scans also get their true ROIs as a labelme-compatible Densito\n"
    "sidecar, DIR/imge/<ID>-<n>.json, with the source \"synthetic\". Regenerating\n"
    "removes the old sidecar of every scan it writes.");
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc > 1)
    {
      g_autofree char *message = g_strdup_printf ("Unexpected argument '%s'", argv[1]);
      return usage_error (message);
    }
  if (out_dir == NULL || *out_dir == '\0')
    return usage_error ("Missing --out DIR");
  if (n_patients < 1 || n_patients > MAX_PATIENTS)
    {
      g_autofree char *message =
        g_strdup_printf ("--patients must be between 1 and %d", MAX_PATIENTS);
      return usage_error (message);
    }
  if (seed < 0 || seed > G_MAXUINT32)
    return usage_error ("--seed must be between 0 and 4294967295");

  opts.out_dir = out_dir;
  opts.n_patients = (guint)n_patients;
  opts.seed = (guint32)seed;
  opts.images = !no_images;
  if (sidecars == NULL || strcmp (sidecars, "half") == 0)
    opts.sidecars = SIDECARS_HALF;
  else if (strcmp (sidecars, "all") == 0)
    opts.sidecars = SIDECARS_ALL;
  else if (strcmp (sidecars, "none") == 0)
    opts.sidecars = SIDECARS_NONE;
  else
    {
      g_autofree char *message =
        g_strdup_printf ("--sidecars must be all, half or none, not '%s'", sidecars);
      return usage_error (message);
    }

  if (!run (&opts, &n_images, &n_sidecars, &error))
    return usage_error (error->message);

  g_print ("Wrote %u patients, %u images and %u sidecars to %s\n",
           opts.n_patients, n_images, n_sidecars, out_dir);
  return EXIT_SUCCESS;
}
