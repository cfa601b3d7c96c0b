/* synth-png.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cairo only writes RGB(A) PNG files. Scans are grey, and an 8-bit
 * greyscale PNG is a third of the size, which matters for the sample that
 * lives in git; so this writes one by hand: IHDR, one IDAT compressed with
 * GIO's zlib compressor, IEND. Each row gets the PNG filter with the
 * smallest sum of absolute differences, the usual heuristic.
 */
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "synth-png.h"

static guint32 crc_table[256];

static void
init_crc_table (void)
{
  for (guint32 n = 0; n < 256; n++)
    {
      guint32 c = n;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[n] = c;
    }
}

static guint32
crc_update (guint32       crc,
            const guint8 *data,
            gsize         len)
{
  for (gsize i = 0; i < len; i++)
    crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

static void
append_be32 (GByteArray *out,
             guint32     v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

  g_byte_array_append (out, b, 4);
}

static void
append_chunk (GByteArray   *out,
              const char   *type,
              const guint8 *data,
              gsize         len)
{
  guint32 crc = 0xffffffffu;

  append_be32 (out, (guint32)len);
  g_byte_array_append (out, (const guint8 *)type, 4);
  if (len > 0)
    g_byte_array_append (out, data, (guint)len);
  crc = crc_update (crc, (const guint8 *)type, 4);
  crc = crc_update (crc, data, len);
  append_be32 (out, crc ^ 0xffffffffu);
}

static guint8
paeth (int a,
       int b,
       int c)
{
  int p = a + b - c;
  int pa = abs (p - a);
  int pb = abs (p - b);
  int pc = abs (p - c);

  if (pa <= pb && pa <= pc)
    return (guint8)a;
  if (pb <= pc)
    return (guint8)b;
  return (guint8)c;
}

/* Writes the filtered row (filter byte first) for @row into @out. */
static void
filter_row (const guint8 *row,
            const guint8 *prev,
            int           width,
            guint8       *out,
            guint8       *candidate)
{
  guint best_cost = G_MAXUINT;

  for (int f = 0; f < 5; f++)
    {
      guint cost = 0;

      candidate[0] = (guint8)f;
      for (int x = 0; x < width; x++)
        {
          int a = x > 0 ? row[x - 1] : 0;
          int b = prev != NULL ? prev[x] : 0;
          int c = x > 0 && prev != NULL ? prev[x - 1] : 0;
          guint8 v;

          switch (f)
            {
            case 0: v = row[x]; break;
            case 1: v = (guint8)(row[x] - a); break;
            case 2: v = (guint8)(row[x] - b); break;
            case 3: v = (guint8)(row[x] - (a + b) / 2); break;
            default: v = (guint8)(row[x] - paeth (a, b, c)); break;
            }
          candidate[x + 1] = v;
          cost += v < 128 ? v : 256 - v;
        }
      if (cost < best_cost)
        {
          best_cost = cost;
          memcpy (out, candidate, width + 1);
        }
    }
}

static guint8 *
deflate_all (const guint8  *data,
             gsize          len,
             gsize         *out_len,
             GError       **error)
{
  g_autoptr(GZlibCompressor) compressor =
    g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 7);
  gsize cap = len / 2 + 4096;
  g_autofree guint8 *out = g_malloc (cap);
  gsize in_off = 0;
  gsize used = 0;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      GConverterResult res;
      gsize bytes_read = 0;
      gsize bytes_written = 0;

      if (cap - used < 4096)
        {
          cap *= 2;
          out = g_realloc (out, cap);
        }
      res = g_converter_convert (G_CONVERTER (compressor),
                                 data + in_off, len - in_off,
                                 out + used, cap - used,
                                 G_CONVERTER_INPUT_AT_END,
                                 &bytes_read, &bytes_written, &local_error);
      if (res == G_CONVERTER_ERROR)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
            {
              cap *= 2;
              out = g_realloc (out, cap);
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      in_off += bytes_read;
      used += bytes_written;
      if (res == G_CONVERTER_FINISHED)
        break;
    }

  *out_len = used;
  return g_steal_pointer (&out);
}

/* @surface is RGB24 holding grey pixels; the blue channel is written. */
gboolean
synth_png_write_grey (cairo_surface_t  *surface,
                      const char       *path,
                      GError          **error)
{
  static gsize crc_ready = 0;
  static const guint8 signature[8] = { 137, 'P', 'N', 'G', '\r', '\n', 26, '\n' };
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride;
  const guint8 *data;
  g_autofree guint8 *filtered = NULL;
  g_autofree guint8 *rows = NULL;
  g_autofree guint8 *candidate = NULL;
  g_autofree guint8 *compressed = NULL;
  g_autoptr(GByteArray) file = g_byte_array_new ();
  gsize compressed_len = 0;
  guint8 ihdr[13];

  g_return_val_if_fail (cairo_image_surface_get_format (surface) == CAIRO_FORMAT_RGB24, FALSE);

  if (g_once_init_enter (&crc_ready))
    {
      init_crc_table ();
      g_once_init_leave (&crc_ready, 1);
    }

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);

  rows = g_malloc ((gsize)width * height);
  for (int y = 0; y < height; y++)
    {
      const guint32 *src = (const guint32 *)(gconstpointer)(data + (gsize)y * stride);

      for (int x = 0; x < width; x++)
        rows[(gsize)y * width + x] = (guint8)(src[x] & 0xff);
    }

  filtered = g_malloc ((gsize)(width + 1) * height);
  candidate = g_malloc (width + 1);
  for (int y = 0; y < height; y++)
    filter_row (rows + (gsize)y * width,
                y > 0 ? rows + (gsize)(y - 1) * width : NULL,
                width,
                filtered + (gsize)y * (width + 1),
                candidate);

  compressed = deflate_all (filtered, (gsize)(width + 1) * height, &compressed_len, error);
  if (compressed == NULL)
    return FALSE;

  ihdr[0] = (guint8)(width >> 24);
  ihdr[1] = (guint8)(width >> 16);
  ihdr[2] = (guint8)(width >> 8);
  ihdr[3] = (guint8)width;
  ihdr[4] = (guint8)(height >> 24);
  ihdr[5] = (guint8)(height >> 16);
  ihdr[6] = (guint8)(height >> 8);
  ihdr[7] = (guint8)height;
  ihdr[8] = 8;   /* bit depth */
  ihdr[9] = 0;   /* greyscale */
  ihdr[10] = 0;  /* deflate */
  ihdr[11] = 0;  /* adaptive filtering */
  ihdr[12] = 0;  /* no interlace */

  g_byte_array_append (file, signature, sizeof signature);
  append_chunk (file, "IHDR", ihdr, sizeof ihdr);
  append_chunk (file, "IDAT", compressed, compressed_len);
  append_chunk (file, "IEND", NULL, 0);

  return g_file_set_contents (path, (const char *)file->data, file->len, error);
}
