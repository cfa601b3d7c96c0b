/* densito-image-index.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The scan images of a dataset: one directory listing, and for each file
 * only its header (PNG IHDR, JPEG SOF) and, for PNG, its last 12 bytes to
 * tell a truncated file. Nothing is decoded here.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "densito-image-index.h"
#include "densito-values.h"

struct _DensitoImageIndex
{
  GObject  parent_instance;
  char    *directory;
  GArray  *images;        /* DensitoImage, sorted by name */
  guint    n_rows;
  guint   *row_start;     /* n_rows + 1 offsets into row_images */
  guint   *row_images;    /* image indices grouped by row */
};

G_DEFINE_FINAL_TYPE (DensitoImageIndex, densito_image_index, G_TYPE_OBJECT)

/* The region each file-name suffix stands for. The Arak release was
 * checked for -1 (hip) and -2 (spine); other suffixes were not, so they
 * stay unknown. Change the guess here and nowhere else. */
static const struct {
  int           suffix;
  DensitoRegion region;
} suffix_regions[] = {
  { 1, DENSITO_REGION_HIP },
  { 2, DENSITO_REGION_SPINE },
};

static const guchar png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const guchar png_iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

static void
image_clear (gpointer data)
{
  DensitoImage *img = data;

  g_free (img->name);
  g_free (img->path);
  g_free (img->id);
  g_free (img->problem);
}

static void
densito_image_index_finalize (GObject *object)
{
  DensitoImageIndex *self = DENSITO_IMAGE_INDEX (object);

  g_clear_pointer (&self->images, g_array_unref);
  g_free (self->directory);
  g_free (self->row_start);
  g_free (self->row_images);

  G_OBJECT_CLASS (densito_image_index_parent_class)->finalize (object);
}

static void
densito_image_index_class_init (DensitoImageIndexClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = densito_image_index_finalize;
}

static void
densito_image_index_init (DensitoImageIndex *self)
{
  self->images = g_array_new (FALSE, TRUE, sizeof (DensitoImage));
  g_array_set_clear_func (self->images, image_clear);
}

gboolean
densito_is_image_name (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (dot == NULL || dot == name)
    return FALSE;
  return g_ascii_strcasecmp (dot, ".png") == 0 ||
         g_ascii_strcasecmp (dot, ".jpg") == 0 ||
         g_ascii_strcasecmp (dot, ".jpeg") == 0;
}

static gboolean
all_digits (const char *s,
            gsize       len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/**
 * densito_image_name_parse:
 * @id: (out): the ID part
 * @suffix: (out): the image number, or -1 when there is none
 *
 * Splits `<ID>.png`, `<ID>-<n>.png`, `<ID>_<n>.png` and `<ID> (<n>).png`
 * (extension in any case). Returns %FALSE for names that are not images.
 */
gboolean
densito_image_name_parse (const char  *name,
                          char       **id,
                          int         *suffix)
{
  const char *dot;
  gsize stem_len;
  gsize i;

  g_return_val_if_fail (name != NULL, FALSE);

  if (!densito_is_image_name (name))
    return FALSE;

  dot = strrchr (name, '.');
  stem_len = (gsize)(dot - name);
  *suffix = -1;

  /* "<ID> (<n>)" */
  if (stem_len >= 4 && name[stem_len - 1] == ')')
    {
      i = stem_len - 1;
      while (i > 0 && g_ascii_isdigit (name[i - 1]))
        i--;
      if (i >= 3 && i < stem_len - 1 && name[i - 1] == '(' && name[i - 2] == ' ' &&
          stem_len - 1 - i <= 4)
        {
          *suffix = atoi (name + i);
          *id = g_strndup (name, i - 2);
          return TRUE;
        }
    }

  /* "<ID>-<n>" and "<ID>_<n>" */
  i = stem_len;
  while (i > 0 && g_ascii_isdigit (name[i - 1]))
    i--;
  if (i >= 2 && i < stem_len && stem_len - i <= 4 && (name[i - 1] == '-' || name[i - 1] == '_'))
    {
      *suffix = atoi (name + i);
      *id = g_strndup (name, i - 1);
      return TRUE;
    }

  *id = g_strndup (name, stem_len);
  return TRUE;
}

DensitoRegion
densito_region_guess (int   suffix,
                      guint width,
                      guint height)
{
  if (width == DENSITO_LATERAL_WIDTH && height == DENSITO_LATERAL_HEIGHT)
    return DENSITO_REGION_LATERAL;

  for (guint i = 0; i < G_N_ELEMENTS (suffix_regions); i++)
    if (suffix_regions[i].suffix == suffix)
      return suffix_regions[i].region;

  return DENSITO_REGION_UNKNOWN;
}

const char *
densito_region_to_string (DensitoRegion region)
{
  switch (region)
    {
    case DENSITO_REGION_HIP: return "hip";
    case DENSITO_REGION_SPINE: return "spine";
    case DENSITO_REGION_FOREARM: return "forearm";
    case DENSITO_REGION_LATERAL: return "lateral";
    case DENSITO_REGION_UNKNOWN:
    default: return "unknown";
    }
}

const char *
densito_region_display_name (DensitoRegion region)
{
  switch (region)
    {
    case DENSITO_REGION_HIP: return _("Hip");
    case DENSITO_REGION_SPINE: return _("Spine");
    case DENSITO_REGION_FOREARM: return _("Forearm");
    case DENSITO_REGION_LATERAL: return _("Lateral spine");
    case DENSITO_REGION_UNKNOWN:
    default: return _("Scan");
    }
}

static guint32
read_be32 (const guchar *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static gboolean
read_png_header (int          fd,
                 const guchar *head,
                 gssize        n,
                 goffset       size,
                 guint        *width,
                 guint        *height,
                 char        **problem)
{
  guchar tail[12];

  if (n < 33 || memcmp (head + 12, "IHDR", 4) != 0)
    {
      *problem = g_strdup (_("the PNG file is truncated before its header ends"));
      return FALSE;
    }
  *width = read_be32 (head + 16);
  *height = read_be32 (head + 20);
  if (*width == 0 || *height == 0 || *width > 100000 || *height > 100000)
    {
      *problem = g_strdup_printf (_("the PNG header gives an impossible size %u×%u"), *width, *height);
      return FALSE;
    }

  if (size < 33 + 12 || pread (fd, tail, sizeof tail, size - (goffset)sizeof tail) != (gssize)sizeof tail ||
      memcmp (tail, png_iend, sizeof tail) != 0)
    {
      *problem = g_strdup (_("the PNG file is truncated: it does not end with an IEND chunk"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_jpeg_header (int           fd,
                  const guchar *head,
                  gssize        n,
                  goffset       size,
                  guint        *width,
                  guint        *height,
                  char        **problem)
{
  gssize i = 2;
  guchar tail[2];

  while (i + 9 < n)
    {
      guchar marker;
      guint seg_len;

      if (head[i] != 0xff)
        break;
      marker = head[i + 1];
      if (marker == 0xff)
        {
          i++;
          continue;
        }
      seg_len = ((guint)head[i + 2] << 8) | head[i + 3];
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          *height = ((guint)head[i + 5] << 8) | head[i + 6];
          *width = ((guint)head[i + 7] << 8) | head[i + 8];
          if (*width == 0 || *height == 0)
            {
              *problem = g_strdup (_("the JPEG header gives an empty size"));
              return FALSE;
            }
          if (pread (fd, tail, 2, size - 2) != 2 || tail[0] != 0xff || tail[1] != 0xd9)
            {
              *problem = g_strdup (_("the JPEG file is truncated: it has no end marker"));
              return FALSE;
            }
          return TRUE;
        }
      if (seg_len < 2)
        break;
      i += 2 + (gssize)seg_len;
    }

  *problem = g_strdup (_("the JPEG header has no frame size in its first 64 KiB"));
  return FALSE;
}

static gboolean read_header_at (int          dir_fd,
                                const char  *name,
                                guint       *width,
                                guint       *height,
                                char       **problem);

/**
 * densito_image_read_header:
 * @problem: (out): why the file is unreadable, when %FALSE is returned
 *
 * Reads the size of a PNG or JPEG from its header, and checks that the
 * file is complete, without decoding it.
 */
gboolean
densito_image_read_header (const char  *path,
                           guint       *width,
                           guint       *height,
                           char       **problem)
{
  return read_header_at (AT_FDCWD, path, width, height, problem);
}

/* @name relative to the directory @dir_fd is open on (or AT_FDCWD): a
 * scan opens each file by its name in the listed folder, not by a path
 * the kernel walks from the root every time. */
static gboolean
read_header_at (int          dir_fd,
                const char  *name,
                guint       *width,
                guint       *height,
                char       **problem)
{
  /* A PNG's size is in its first 33 bytes: a page is read, not the
   * 64 KiB a JPEG may need (4,031 images: 258 MB less copied out of the
   * page cache when a dataset opens). */
  guchar page[4096];
  g_autofree guchar *big = NULL;
  guchar *head = page;
  GStatBuf st;
  gssize n;
  int fd;
  gboolean ok;

  *width = *height = 0;
  *problem = NULL;

  /* Not blocking on a pipe given by name (the scan skips them). */
  fd = openat (dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      int saved = errno;
      *problem = g_strdup_printf (_("cannot open it: %s"), g_strerror (saved));
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    {
      int saved = errno;
      *problem = g_strdup_printf (_("cannot read it: %s"), g_strerror (saved));
      close (fd);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      *problem = g_strdup (_("it is not a PNG or JPEG file"));
      close (fd);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      *problem = g_strdup (_("the file is empty"));
      close (fd);
      return FALSE;
    }

  n = pread (fd, head, sizeof page, 0);
  if (n >= 3 && n < st.st_size && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    {
      head = big = g_malloc (65536);
      n = pread (fd, head, 65536, 0);
    }
  if (n < 0)
    {
      int saved = errno;
      *problem = g_strdup_printf (_("cannot read it: %s"), g_strerror (saved));
      ok = FALSE;
    }
  else if (n >= 8 && memcmp (head, png_signature, 8) == 0)
    ok = read_png_header (fd, head, n, st.st_size, width, height, problem);
  else if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    ok = read_jpeg_header (fd, head, n, st.st_size, width, height, problem);
  else
    {
      *problem = g_strdup (_("it is not a PNG or JPEG file"));
      ok = FALSE;
    }

  close (fd);
  return ok;
}

static int
compare_images (gconstpointer a,
                gconstpointer b)
{
  const DensitoImage *ia = a;
  const DensitoImage *ib = b;

  return strcmp (ia->name, ib->name);
}

static void
link_rows (DensitoImageIndex *self,
           DensitoTable      *table)
{
  guint n_rows = table ? densito_table_get_n_rows (table) : 0;
  guint pos;

  self->n_rows = n_rows;
  self->row_start = g_new0 (guint, n_rows + 1);

  for (guint i = 0; i < self->images->len; i++)
    {
      DensitoImage *img = &g_array_index (self->images, DensitoImage, i);
      if (img->row >= 0)
        self->row_start[img->row + 1]++;
    }
  for (guint r = 0; r < n_rows; r++)
    self->row_start[r + 1] += self->row_start[r];

  self->row_images = g_new (guint, MAX (self->row_start[n_rows], 1));
  {
    g_autofree guint *fill = g_memdup2 (self->row_start, sizeof (guint) * (n_rows + 1));
    for (guint i = 0; i < self->images->len; i++)
      {
        DensitoImage *img = &g_array_index (self->images, DensitoImage, i);
        if (img->row >= 0)
          {
            pos = fill[img->row]++;
            self->row_images[pos] = i;
          }
      }
  }
}

typedef DIR DirCloser;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DirCloser, closedir)

/**
 * densito_image_index_scan:
 * @table: (nullable): the table to link images to
 *
 * Lists the images in @directory (not its subfolders), reads their
 * headers and links them to the table's patients. Unreadable, unlinked
 * and possibly personal-ID-named files are reported in @diagnostics.
 * Blocking.
 */
DensitoImageIndex *
densito_image_index_scan (const char          *directory,
                          DensitoTable        *table,
                          DensitoDiagnostics  *diagnostics,
                          GCancellable        *cancellable,
                          GError             **error)
{
  g_autoptr(DensitoImageIndex) self = NULL;
  g_autoptr(DirCloser) dir = NULL;
  struct dirent *entry;

  g_return_val_if_fail (directory != NULL, NULL);
  g_return_val_if_fail (table == NULL || DENSITO_IS_TABLE (table), NULL);
  g_return_val_if_fail (DENSITO_IS_DIAGNOSTICS (diagnostics), NULL);

  /* readdir, not GDir: its entry's type saves a stat per file. */
  dir = opendir (directory);
  if (dir == NULL)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (directory);
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                   _("%s: cannot list the image folder: %s"), display, g_strerror (saved));
      return NULL;
    }

  self = g_object_new (DENSITO_TYPE_IMAGE_INDEX, NULL);
  self->directory = g_strdup (directory);

  while ((errno = 0, entry = readdir (dir)) != NULL)
    {
      DensitoImage img = { 0 };
      const char *name = entry->d_name;
      g_autofree char *path = NULL;

      /* Files only: a folder, a pipe or a device named *.png is none (a
       * pipe would block the read). */
      if ((entry->d_type != DT_REG && entry->d_type != DT_LNK && entry->d_type != DT_UNKNOWN) ||
          !densito_is_image_name (name))
        continue;
      path = g_build_filename (directory, name, NULL);
      /* A link, or a file system that does not say: what it points to. A
       * broken link stays, to be reported as unreadable. */
      if (entry->d_type != DT_REG)
        {
          GStatBuf st;

          if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
            continue;
        }

      img.name = g_strdup (name);
      img.path = g_steal_pointer (&path);
      img.row = -1;
      densito_image_name_parse (name, &img.id, &img.suffix);
      g_array_append_val (self->images, img);
    }
  if (errno != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (directory);
      g_set_error (error, DENSITO_ERROR, DENSITO_ERROR_UNREADABLE,
                   _("%s: cannot list the image folder: %s"), display, g_strerror (saved));
      return NULL;
    }

  g_array_sort (self->images, compare_images);

  for (guint i = 0; i < self->images->len; i++)
    {
      DensitoImage *img = &g_array_index (self->images, DensitoImage, i);
      g_autofree char *display = NULL;   /* made only for a diagnostic */
      g_autofree char *stem = NULL;
      const char *dot;

      if (i % 256 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (!read_header_at (dirfd (dir), img->name, &img->width, &img->height, &img->problem))
        {
          img->status = DENSITO_IMAGE_UNREADABLE;
          display = g_filename_display_name (img->path);
          densito_diagnostics_add (diagnostics, DENSITO_DIAG_IMAGE_UNREADABLE, display, 0, NULL,
                                   NULL, 0, img->problem);
        }
      img->region = densito_region_guess (img->suffix, img->width, img->height);

      /* An ID that itself ends in -<n> is matched whole before it is split. */
      dot = strrchr (img->name, '.');
      stem = g_strndup (img->name, (gsize)(dot - img->name));
      if (table != NULL)
        {
          img->row = densito_table_find_id (table, stem, -1);
          if (img->row >= 0)
            {
              g_free (img->id);
              img->id = g_strdup (stem);
              img->suffix = -1;
              img->region = densito_region_guess (-1, img->width, img->height);
            }
          else
            img->row = densito_table_find_id (table, img->id, -1);
        }

      if (strlen (img->id) == 10 && all_digits (img->id, 10) && densito_national_code_valid (img->id))
        {
          img->personal_id = TRUE;
          if (display == NULL)
            display = g_filename_display_name (img->path);
          densito_diagnostics_add (diagnostics, DENSITO_DIAG_PERSONAL_ID, display, 0, NULL, NULL, 0, NULL);
        }
      else if (img->row < 0 && table != NULL)
        {
          if (display == NULL)
            display = g_filename_display_name (img->path);
          densito_diagnostics_add (diagnostics, DENSITO_DIAG_IMAGE_UNLINKED, display, 0, NULL, NULL, 0, NULL);
        }
    }

  link_rows (self, table);

  return g_steal_pointer (&self);
}

const char *
densito_image_index_get_directory (DensitoImageIndex *self)
{
  g_return_val_if_fail (DENSITO_IS_IMAGE_INDEX (self), NULL);
  return self->directory;
}

guint
densito_image_index_get_n_images (DensitoImageIndex *self)
{
  g_return_val_if_fail (DENSITO_IS_IMAGE_INDEX (self), 0);
  return self->images->len;
}

const DensitoImage *
densito_image_index_get_image (DensitoImageIndex *self,
                               guint              i)
{
  g_return_val_if_fail (DENSITO_IS_IMAGE_INDEX (self), NULL);
  g_return_val_if_fail (i < self->images->len, NULL);
  return &g_array_index (self->images, DensitoImage, i);
}

/* Returns: the indices of the images of @row, sorted by file name. */
const guint *
densito_image_index_get_for_row (DensitoImageIndex *self,
                                 guint              row,
                                 guint             *n_images)
{
  g_return_val_if_fail (DENSITO_IS_IMAGE_INDEX (self), NULL);

  if (row >= self->n_rows)
    {
      *n_images = 0;
      return NULL;
    }
  *n_images = self->row_start[row + 1] - self->row_start[row];
  return self->row_images + self->row_start[row];
}

guint
densito_image_index_count_for_row (DensitoImageIndex *self,
                                   guint              row)
{
  g_return_val_if_fail (DENSITO_IS_IMAGE_INDEX (self), 0);

  if (row >= self->n_rows)
    return 0;
  return self->row_start[row + 1] - self->row_start[row];
}

void
densito_image_index_get_counts (DensitoImageIndex  *self,
                                DensitoImageCounts *counts)
{
  g_return_if_fail (DENSITO_IS_IMAGE_INDEX (self));

  memset (counts, 0, sizeof *counts);
  counts->total = self->images->len;
  for (guint i = 0; i < self->images->len; i++)
    {
      const DensitoImage *img = &g_array_index (self->images, DensitoImage, i);

      if (img->row >= 0)
        counts->linked++;
      else
        counts->unlinked++;
      if (img->status == DENSITO_IMAGE_UNREADABLE)
        counts->unreadable++;
      if (img->personal_id)
        counts->possible_personal_id++;
    }
}
