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

/* Room for any finite T-score below: a double printed with %.1f has at most
 * 309 digits, and the isolates and the minus sign take three bytes each. */
#define DENSITO_TSCORE_BUF 352

/* One decimal in the user's locale, with a real minus sign; a dash when missing.
 * A negative value is a left-to-right isolate, so that a right-to-left window
 * shows "−1.4" (alone, a leading minus takes the paragraph's direction: "1.4−").
 * Returns @buf, or a static string. */
static inline const char *
densito_format_tscore_buf (double t,
                           char   buf[DENSITO_TSCORE_BUF])
{
  if (!isfinite (t))
    return "—";
  if (t < 0)
    g_snprintf (buf, DENSITO_TSCORE_BUF, "\u2066−%.1f\u2069", -t);
  else
    g_snprintf (buf, DENSITO_TSCORE_BUF, "%.1f", t);
  return buf;
}

static inline char *
densito_format_tscore (double t)
{
  char buf[DENSITO_TSCORE_BUF];

  return g_strdup (densito_format_tscore_buf (t, buf));
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
