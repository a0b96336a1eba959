# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An independent CA made with the openssl command line: a root and two intermediates."""

from __future__ import annotations

import subprocess
from pathlib import Path

CA_EXTENSIONS = """
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args: str, cwd: Path) -> str:
    """Run openssl; return its output, raising with the output on failure."""
    done = subprocess.run(('openssl',) + args, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    if done.returncode:
        raise AssertionError('openssl %s failed:\n%s' % (' '.join(args), done.stdout))
    return done.stdout


class OpensslCa:
    """Root -> intermediate 1 -> intermediate 2 (the issuing CA), all made by `openssl`."""

    def __init__(self, directory: Path, name: str = 'Lab'):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / 'ext.cnf').write_text(CA_EXTENSIONS)
        self.name = name
        self._self_signed('root', '%s Root CA' % name)
        self._intermediate('inter1', '%s Intermediate 1' % name, 'root')
        self._intermediate('inter2', '%s Issuing CA 2' % name, 'inter1')

    def path(self, name: str) -> Path:
        """Return the path of a file of the CA."""
        return self.dir / name

    def text(self, name: str) -> str:
        """Return a certificate file of the CA as text."""
        return (self.dir / ('%s.pem' % name)).read_text()

    def _key(self, name: str) -> None:
        openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', name + '.key',
                cwd=self.dir)

    def _self_signed(self, name: str, subject: str) -> None:
        self._key(name)
        openssl('req', '-new', '-x509', '-key', name + '.key', '-subj', '/O=Lab/CN=' + subject, '-days', '3650',
                '-sha256', '-extensions', 'ca', '-config', 'ext.cnf', '-out', name + '.pem', cwd=self.dir)

    def _intermediate(self, name: str, subject: str, issuer: str) -> None:
        self._key(name)
        openssl('req', '-new', '-key', name + '.key', '-subj', '/O=Lab/CN=' + subject, '-out', name + '.csr',
                cwd=self.dir)
        self._sign(name + '.csr', issuer, name + '.pem', 'ca', days=1825)

    def _sign(self, csr: str, issuer: str, out: str, extensions: str, days: int, digest: str = 'sha256') -> None:
        openssl('x509', '-req', '-in', csr, '-CA', issuer + '.pem', '-CAkey', issuer + '.key', '-CAcreateserial',
                '-days', str(days), '-' + digest, '-extfile', 'ext.cnf', '-extensions', extensions,
                '-copy_extensions', 'copy', '-out', out, cwd=self.dir)

    def sign(self, csr_pem: str, name: str = 'leaf', days: int = 90, issuer: str = 'inter2',
             digest: str = 'sha256') -> str:
        """Sign a request as a server certificate; return the certificate PEM."""
        (self.dir / (name + '.csr')).write_text(csr_pem)
        self._sign(name + '.csr', issuer, name + '.pem', 'server', days=days, digest=digest)
        return self.text(name)

    def response(self, leaf_pem: str) -> str:
        """Return what a CA mails back: the server certificate followed by the intermediates."""
        return leaf_pem + self.text('inter2') + self.text('inter1')
