/* densito-error.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DENSITO_ERROR (densito_error_quark ())

typedef enum
{
  DENSITO_ERROR_UNREADABLE,
  DENSITO_ERROR_EMPTY,
  DENSITO_ERROR_NO_HEADER,
  DENSITO_ERROR_NO_ID_COLUMN,
  DENSITO_ERROR_NO_TABLE,
  DENSITO_ERROR_QUERY,
  DENSITO_ERROR_INVALID_ARGUMENT,
} DensitoError;

GQuark densito_error_quark (void);

/* Progress from a worker thread: fraction in [0, 1]. */
typedef void (*DensitoProgressFunc) (double fraction, gpointer user_data);

G_END_DECLS
