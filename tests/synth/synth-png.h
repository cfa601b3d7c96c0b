/* synth-png.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

gboolean synth_png_write_grey (cairo_surface_t  *surface,
                               const char       *path,
                               GError          **error);

G_END_DECLS
