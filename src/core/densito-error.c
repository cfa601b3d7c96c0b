/* densito-error.c
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "densito-error.h"

G_DEFINE_QUARK (densito-error-quark, densito_error)
