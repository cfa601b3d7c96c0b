/* test-util.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Small helpers for tests: temporary folders and tiny image files whose
 * headers are real (the image index reads headers only).
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"

char *
test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("densito-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          test_remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

char *
test_write_file (const char *dir,
                 const char *name,
                 const char *contents,
                 gssize      len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_mkdir_with_parents (parent, 0755);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static void
put_be32 (GByteArray *a,
          guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (a, b, 4);
}

static void
put_chunk (GByteArray   *a,
           const char   *type,
           const guint8 *data,
           guint32       len)
{
  gsize start;
  guint32 crc = 0xffffffffu;

  put_be32 (a, len);
  start = a->len;
  g_byte_array_append (a, (const guint8 *)type, 4);
  if (len > 0)
    g_byte_array_append (a, data, len);
  /* CRC-32 over type and data, as PNG asks. */
  for (gsize i = start; i < a->len; i++)
    {
      crc ^= a->data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
  put_be32 (a, crc ^ 0xffffffffu);
}

char *
test_write_png (const char *dir,
                const char *name,
                guint       width,
                guint       height,
                gboolean    truncated)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 ihdr[13] = { 0 };
  /* A zlib stream of one empty stored block; enough for a header reader. */
  static const guint8 idat[] = { 0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01 };

  g_byte_array_append (a, sig, 8);
  ihdr[0] = width >> 24; ihdr[1] = width >> 16; ihdr[2] = width >> 8; ihdr[3] = width;
  ihdr[4] = height >> 24; ihdr[5] = height >> 16; ihdr[6] = height >> 8; ihdr[7] = height;
  ihdr[8] = 8;  /* bit depth */
  ihdr[9] = 0;  /* grey */
  put_chunk (a, "IHDR", ihdr, sizeof ihdr);
  put_chunk (a, "IDAT", idat, sizeof idat);
  if (!truncated)
    put_chunk (a, "IEND", NULL, 0);
  return test_write_file (dir, name, (const char *)a->data, a->len);
}

char *
test_write_jpeg (const char *dir,
                 const char *name,
                 guint       width,
                 guint       height)
{
  const guint8 data[] = {
    0xff, 0xd8,                                     /* SOI */
    0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, /* APP0 */
    0xff, 0xc0, 0x00, 0x0b, 0x08,                   /* SOF0, 8 bits */
    height >> 8, height & 0xff, width >> 8, width & 0xff,
    0x01, 0x01, 0x11, 0x00,
    0xff, 0xd9,                                     /* EOI */
  };

  return test_write_file (dir, name, (const char *)data, sizeof data);
}
