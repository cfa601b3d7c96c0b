/* densito-format.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How the window and the list show T-scores and classes, in one place.
 */
#pragma once

#include <glib.h>
#include <math.h>

#include "densito-classify.h"

G_BEGIN_DECLS

/* One decimal in the user's locale, with a real minus sign; a dash when missing.
 * A negative value is a left-to-right isolate, so that a right-to-left window
 * shows "−1.4" (alone, a leading minus takes the paragraph's direction: "1.4−"). */
static inline char *
densito_format_tscore (double t)
{
  if (!isfinite (t))
    return g_strdup ("—");
  if (t < 0)
    return g_strdup_printf ("\u2066−%.1f\u2069", -t);
  return g_strdup_printf ("%.1f", t);
}

/* The style class that colours a WHO class (style.css). */
static inline const char *
densito_class_css_name (DensitoClass klass)
{
  switch (klass)
    {
    case DENSITO_CLASS_NORMAL: return "who-normal";
    case DENSITO_CLASS_OSTEOPENIA: return "who-osteopenia";
    case DENSITO_CLASS_OSTEOPOROSIS: return "who-osteoporosis";
    case DENSITO_CLASS_MISSING:
    default: return "who-missing";
    }
}

G_END_DECLS
