# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No secret in what Ansible prints at -vvv: neither the keystore password nor any private key material."""
from __future__ import annotations

import re
import secrets
import subprocess

import pytest

from hardening.boxstate import key_lines, state_dir
from integration.runner import box_args, run_module
from lab.clients import served_sha256

pytestmark = pytest.mark.lab

VERBOSITY = 3
PRIVATE_KEY_RE = re.compile(r'BEGIN[A-Z ]*PRIVATE KEY')


def keytool(*args):
    """Run keytool on a lab box's keystore; fail with its output."""
    done = subprocess.run(('keytool',) + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout


@pytest.fixture(scope='module')
def secret_box(module_box_factory):
    """A box whose keystore and key use a random password, set in server.xml as Tomcat needs it; (box, password)."""
    box = module_box_factory()
    password = 'hz' + secrets.token_hex(12)
    keystore = str(box.keystore)
    keytool('-storepasswd', '-keystore', keystore, '-storepass', 'changeit', '-new', password)
    keytool('-keypasswd', '-keystore', keystore, '-storepass', password, '-alias', 'tomcat',
            '-keypass', 'changeit', '-new', password)
    text = box.server_xml.read_text(encoding='utf-8')
    assert text.count('certificateKeystorePassword="changeit"') >= 2
    box.server_xml.write_text(text.replace('certificateKeystorePassword="changeit"',
                                           'certificateKeystorePassword="%s"' % password), encoding='utf-8')
    box.restart()
    return box, password


class Recorder:
    """Runs modules at -vvv, keeps every output, and collects the key material the box held along the way."""

    def __init__(self, box):
        self.box = box
        self.outputs = []
        self.keys = set()
        self.collect_keys()

    def collect_keys(self):
        """Remember the base64 lines of the box's key PEM and pending key."""
        self.keys |= key_lines(self.box.key_pem, state_dir(self.box) / 'pending-key.pem')

    def run(self, name, args, diff=False, check=False):
        """Run a module at -vvv and keep its output; return the run."""
        self.collect_keys()
        run = run_module(name, dict(box_args(self.box), **args), diff=diff, check=check, verbosity=VERBOSITY)
        self.collect_keys()
        self.outputs.append((name, run.output))
        return run

    def leaks(self, password):
        """Return (module, what) for every output that shows the password or private key material."""
        found = []
        for name, output in self.outputs:
            if password in output:
                found.append((name, 'the keystore password'))
            if PRIVATE_KEY_RE.search(output):
                found.append((name, 'a PEM private key header'))
            if any(line in output for line in self.keys):
                found.append((name, 'base64 lines of a private key'))
        return found


@pytest.mark.parametrize('give_password', [True, False], ids=['password-option', 'password-from-server-xml'])
def test_verbose_output_holds_no_password_and_no_key(secret_box, ca, give_password):
    box, password = secret_box
    recorder = Recorder(box)
    secret = dict(keystore_password=password) if give_password else {}
    names = dict(server_name=box.server_name, subject_alt_names=[box.address])

    info = recorder.run('starface_webserver_info', dict(secret, server_name=box.server_name))
    assert not info.failed and info.result['keystore']['error'] is None, info.output
    made = recorder.run('starface_csr', dict(secret, state='selfsigned', force=True, backup=True, **names), diff=True)
    assert made.changed and not made.failed, made.output
    assert served_sha256(box.address, 443) == made.result['certificate']['fingerprint_sha256']
    kept = recorder.run('starface_csr', dict(secret, state='selfsigned', **names))
    assert not kept.changed and not kept.failed, kept.output
    request = recorder.run('starface_csr', dict(secret, state='request', force=True, **names))
    assert request.changed and not request.failed, request.output
    answer = dict(secret, certificate=ca.response(ca.sign(request.result['csr'], name='secret-%s' % give_password)),
                  root_certificate=ca.text('root'), server_name=box.server_name, backup=True)
    checked = recorder.run('starface_cert_import', answer, diff=True, check=True)
    assert checked.changed and not checked.failed, checked.output
    imported = recorder.run('starface_cert_import', answer, diff=True)
    assert imported.changed and not imported.failed and imported.result['key_source'] == 'pending', imported.output
    refused = recorder.run('starface_cert_import', dict(answer, root_certificate=ca.text('inter1')))
    assert refused.failed, refused.output
    forced = recorder.run('starface_webserver', dict(secret, force_https=True, backup=True), diff=True)
    assert forced.changed and not forced.failed, forced.output
    back = recorder.run('starface_webserver', dict(secret, force_https=False))
    assert back.changed and not back.failed, back.output
    idle = recorder.run('starface_restart', secret)
    assert not idle.changed and not idle.failed, idle.output
    final = recorder.run('starface_webserver_info', dict(secret, server_name=box.server_name))
    assert final.result['drift'] is False, final.output

    assert len(recorder.keys) >= 3 * 20, 'expected the lines of at least three keys (before, self-signed, pending)'
    assert all('<localhost> EXEC' in output or 'ESTABLISH LOCAL CONNECTION' in output
               for dummy, output in recorder.outputs), 'the runs were not verbose'
    leaks = recorder.leaks(password)
    assert not leaks, 'secrets in the output: %s' % leaks
