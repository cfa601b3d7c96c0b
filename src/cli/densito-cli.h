/* densito-cli.h
 *
 * Copyright 2026 The Densito authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean densito_cli_is_command (const char  *arg);
int      densito_cli_run        (int          argc,
                                 char       **argv);

G_END_DECLS
