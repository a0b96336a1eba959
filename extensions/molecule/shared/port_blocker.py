# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hold a TCP port on an address, so that a lab box cannot bind it (molecule fleet scenario)."""
from __future__ import annotations

import argparse
import os
import socket
import sys


def main(argv=None) -> int:
    """Bind ADDRESS:PORT, then fork into the background and accept-and-close until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--address', required=True)
    parser.add_argument('--port', required=True, type=int)
    parser.add_argument('--pidfile', required=True)
    args = parser.parse_args(argv)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((args.address, args.port))
    except OSError as err:
        print('cannot bind {0}:{1}: {2}'.format(args.address, args.port, err), file=sys.stderr)
        return 1
    listener.listen(16)
    child = os.fork()
    if child:
        with open(args.pidfile, 'w') as handle:
            handle.write('{0}\n'.format(child))
        return 0
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    while True:
        connection, dummy = listener.accept()
        connection.close()


if __name__ == '__main__':
    sys.exit(main())
