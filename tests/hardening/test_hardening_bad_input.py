# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input, through real Ansible on one lab box: each case fails with its own message and changes nothing."""
from __future__ import annotations

import base64
import collections
import contextlib
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hardening.boxstate import replaced, snapshot, state_dir, unhandled
from integration.openssl_ca import OpensslCa
from integration.runner import ansible_env, box_args, parse_result, run_module

pytestmark = pytest.mark.lab

MISSING = '/nonexistent-starface'
ROLE = 'telephony.starface.starface_webserver'

Corpus = collections.namedtuple('Corpus', 'box ca csr leaf response root files keys pkcs7')


def foreign_leaf(ca, csr_pem):
    """A certificate with the pending request's names, issued by the CA for a key that is not on the box."""
    csr = x509.load_pem_x509_csr(csr_pem.encode('ascii'))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = x509.load_pem_x509_certificate(ca.text('inter2').encode('ascii'))
    issuer_key = serialization.load_pem_private_key(ca.path('inter2.key').read_bytes(), None)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(issuer.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, critical=False)
            .sign(issuer_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def key_pems():
    """Private keys as people paste them by mistake: PKCS#8 encrypted (RSA) and traditional (EC)."""
    encrypted = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b'a passphrase'))
    traditional = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return dict(encrypted=encrypted.decode('ascii'), ec=traditional.decode('ascii'))


def empty_pkcs7():
    """A PKCS#7 bundle that holds no certificate, made by openssl."""
    return subprocess.run(['openssl', 'crl2pkcs7', '-nocrl'], stdout=subprocess.PIPE, universal_newlines=True,
                          check=True).stdout


@pytest.fixture(scope='module')
def corpus(module_box_factory, ca, tmp_path_factory):
    """One box with a pending request, the CA's answer to it, and files on the box's disk for the *_path options."""
    box = module_box_factory()
    made = run_module('starface_csr', dict(box_args(box), server_name=box.server_name, subject_alt_names=[box.address]))
    assert not made.failed, made.output
    leaf = ca.sign(made.result['csr'], name='corpus')
    files = tmp_path_factory.mktemp('inputs')
    (files / 'random.der').write_bytes(os.urandom(600))
    other = OpensslCa(files / 'other-ca', name='Other')
    (files / 'other-chain.pem').write_text(other.text('inter2') + other.text('inter1'))
    (files / 'foreign-leaf.pem').write_text(foreign_leaf(ca, made.result['csr']))
    return Corpus(box, ca, made.result['csr'], leaf, ca.response(leaf), ca.text('root'), files, key_pems(),
                  empty_pkcs7())


def answer(**extra):
    """Import options: the CA's answer to the pending request, its root, and these overrides."""
    def build(c):
        options = dict(certificate=c.response, root_certificate=c.root, server_name=c.box.server_name)
        options.update((key, value(c) if callable(value) else value) for key, value in extra.items())
        return options
    return build


def certificate(text_fn, **extra):
    """Import options whose certificate field is text_fn(corpus)."""
    return answer(certificate=text_fn, **extra)


def names(**extra):
    """starface_csr options with the box's names and these overrides."""
    def build(c):
        options = dict(server_name=c.box.server_name, subject_alt_names=[c.box.address])
        options.update((key, value(c) if callable(value) else value) for key, value in extra.items())
        return options
    return build


def body(pem):
    """The base64 lines of a PEM block, without its BEGIN and END lines."""
    return '\n'.join(line for line in pem.strip().splitlines() if not line.startswith('-----')) + '\n'


def file_replaced(attribute, data):
    """A setup that puts data into one of the box's files for the duration of the case."""
    return lambda c: replaced(getattr(c.box, attribute), data(c) if callable(data) else data)


def truncated_server_xml(c):
    """The box's server.xml cut off in the middle of the first Connector tag."""
    text = c.box.server_xml.read_bytes()
    return text[:text.index(b'<Connector ') + 20]


def damaged_journal(c):
    """A setup that leaves a damaged journal of pending changes in the box's state directory."""
    return replaced(state_dir(c.box) / 'pending.json', b'{"version": 1, "files": ')


def case(case_id, module, args, *expected, setup=None):
    """One bad input: module, options (a dict or a function of the corpus), substrings of the expected message.

    A tuple of substrings stands for any one of them, for messages that depend on the cryptography version.
    """
    return pytest.param(module, args, expected, setup, id=case_id)


CASES = [
    # starface_webserver: wrong types, ranges, conflicts
    case('webserver-port-as-word', 'starface_webserver', dict(http_port='abc'),
         "argument 'http_port' is of type str and we were unable to convert to int"),
    case('webserver-port-as-list', 'starface_webserver', dict(https_port=[443]),
         "argument 'https_port' is of type list and we were unable to convert to int"),
    case('webserver-port-negative', 'starface_webserver', dict(http_port=-80),
         'http_port: port -80 is outside 1-65535'),
    case('webserver-port-65536', 'starface_webserver', dict(https_port=65536),
         'https_port: port 65536 is outside 1-65535'),
    case('webserver-provisioning-port', 'starface_webserver', dict(https_port=50081),
         'https_port: port 50081 is used for phone provisioning'),
    case('webserver-same-port-twice', 'starface_webserver', dict(http_port=8080, https_port=8080),
         'https_port: HTTP and HTTPS cannot use the same port 8080'),
    case('webserver-bool-as-word', 'starface_webserver', dict(http_enabled='maybe'),
         "argument 'http_enabled' is of type str and we were unable to convert to bool"),
    case('webserver-restart-as-word', 'starface_webserver', dict(https_port=8443, restart='later'),
         "argument 'restart' is of type str and we were unable to convert to bool"),
    case('webserver-ignore-ports-words', 'starface_webserver', dict(ignore_ports='fifty'),
         "Elements value for option 'ignore_ports' is of type str and we were unable to convert to int"),
    case('webserver-timeout-as-word', 'starface_webserver', dict(restart_timeout='soon'),
         "argument 'restart_timeout' is of type str and we were unable to convert to int"),
    case('webserver-unknown-option', 'starface_webserver', dict(http_ports=80),
         'Unsupported parameters for (telephony.starface.starface_webserver) module: http_ports'),
    case('webserver-bind-address-words', 'starface_webserver', dict(bind_address='not an address'),
         "bind_address: 'not an address' is not an IP address or host name"),
    case('webserver-bind-address-bad-ip', 'starface_webserver', dict(bind_address='999.1.1.1'),
         "bind_address: '999.1.1.1' is not an IP address or host name"),
    case('webserver-bind-address-list', 'starface_webserver', dict(bind_address=['127.0.0.1', '::1']),
         "bind_address: '['127.0.0.1', '::1']' is not an IP address or host name"),
    # starface_webserver: paths and damaged files
    case('webserver-tomcat-base-missing', 'starface_webserver', dict(tomcat_base=MISSING + '/tomcat'),
         'tomcat_base: %s/tomcat does not exist, so the state directory' % MISSING),
    case('webserver-server-xml-missing', 'starface_webserver', dict(server_xml=MISSING + '/server.xml'),
         'server_xml: cannot read %s/server.xml' % MISSING),
    case('webserver-web-xml-missing', 'starface_webserver', dict(web_xml=MISSING + '/web.xml', force_https=True),
         'web_xml: cannot read %s/web.xml' % MISSING),
    case('webserver-server-xml-garbage', 'starface_webserver', dict(https_port=8443),
         'server_xml: conf/server.xml is not valid XML (line 1, column 1): syntax error',
         setup=file_replaced('server_xml', b'Server port=8005 shutdown=SHUTDOWN\n')),
    case('webserver-server-xml-truncated', 'starface_webserver', dict(https_port=8443),
         'server_xml: conf/server.xml is not valid XML', 'unclosed token',
         setup=file_replaced('server_xml', truncated_server_xml)),
    case('webserver-server-xml-not-utf8', 'starface_webserver', dict(https_port=8443),
         'server.xml is not UTF-8 text',
         setup=file_replaced('server_xml', b'<?xml version="1.0"?>\n<Server \xff\xfe/>')),
    case('webserver-exempt-path-relative', 'starface_webserver',
         dict(force_https=True, force_https_exempt_paths=['addressbook/']),
         "force_https_exempt_paths: 'addressbook/' is not a URL path"),
    case('webserver-exempt-path-query', 'starface_webserver',
         dict(force_https=True, force_https_exempt_paths=['/ok/', '/book?x=1']),
         "force_https_exempt_paths: '/book?x=1' is not a URL path", 'Nothing was changed'),
    case('webserver-rewrite-config-damaged', 'starface_webserver', dict(force_https=True),
         'force_https: ', 'the lines "# BEGIN telephony.starface force_https" and "# END telephony.starface '
         'force_https" around the rules this collection adds are damaged',
         setup=file_replaced('rewrite_config', b'# BEGIN telephony.starface force_https\nRewriteRule x y\n')),
    case('webserver-web-xml-garbage', 'starface_webserver', dict(force_https=True),
         'web_xml: conf/web.xml is not valid XML', setup=file_replaced('web_xml', b'<web-app><security-constraint>')),
    # starface_csr: types, choices, ranges
    case('csr-state-unknown', 'starface_csr', names(state='present'),
         'value of state must be one of: request, selfsigned, got: present'),
    case('csr-server-name-missing', 'starface_csr', dict(state='request'), 'missing required arguments: server_name'),
    case('csr-key-type-unknown', 'starface_csr', names(state='selfsigned', key_type='DSA'),
         'value of key_type must be one of: RSA, EC, got: DSA'),
    case('csr-key-size-weak', 'starface_csr', names(state='selfsigned', key_size=1024),
         'value of key_size must be one of: 2048, 3072, 4096, got: 1024'),
    case('csr-curve-unknown', 'starface_csr', names(key_type='EC', curve='P-521'),
         'value of curve must be one of: P-256, P-384, got: P-521'),
    case('csr-key-source-unknown', 'starface_csr', names(key='old'), 'value of key must be one of: new, current'),
    case('csr-force-as-word', 'starface_csr', names(state='selfsigned', force='yes please'),
         "argument 'force' is of type str and we were unable to convert to bool"),
    case('csr-valid-days-zero', 'starface_csr', names(state='selfsigned', valid_days=0),
         'valid_days: 0 is not a number of days from 1 to 36500'),
    case('csr-valid-days-negative', 'starface_csr', names(state='selfsigned', valid_days=-30, force=True),
         'valid_days: -30 is not a number of days from 1 to 36500'),
    case('csr-renew-days-as-word', 'starface_csr', names(state='selfsigned', renew_before_days='thirty'),
         "argument 'renew_before_days' is of type str and we were unable to convert to int"),
    case('csr-renew-days-negative', 'starface_csr', names(state='selfsigned', renew_before_days=-1),
         'renew_before_days: -1 is negative'),
    case('csr-renew-days-beyond-validity', 'starface_csr', names(state='selfsigned', renew_before_days=400),
         'renew_before_days: 400 is not less than valid_days (365)'),
    case('csr-renew-percent-150', 'starface_csr', names(state='selfsigned', renew_before_percent=150),
         'renew_before_percent: 150 is not a percentage from 0 to 99'),
    # starface_csr: names
    case('csr-server-name-empty', 'starface_csr', names(state='selfsigned', server_name=''),
         'server_name: a name is empty'),
    case('csr-server-name-url', 'starface_csr', names(state='selfsigned', server_name='https://pbx.example.com'),
         "server_name: 'https://pbx.example.com' is an address, not a server name"),
    case('csr-server-name-space', 'starface_csr', names(server_name='pbx example.com'),
         "server_name: 'pbx example.com' contains a space"),
    case('csr-server-name-port', 'starface_csr', names(server_name='pbx.example.com:443'),
         "server_name: 'pbx.example.com:443' holds a port"),
    case('csr-server-name-list', 'starface_csr', names(server_name=['pbx-a.example.com', 'pbx-b.example.com']),
         "server_name: '['pbx-a.example.com', 'pbx-b.example.com']'"),
    case('csr-server-name-too-long', 'starface_csr', names(server_name='a' * 60 + '.example.com'),
         'server_name: is 72 characters long, more than the 64'),
    case('csr-san-url', 'starface_csr', names(subject_alt_names=['https://x']),
         "subject_alt_names: 'https://x' is an address, not a server name"),
    case('csr-san-bad-ip', 'starface_csr', names(subject_alt_names=['IP:999.1.1.1']),
         "subject_alt_names: '999.1.1.1' is not a valid IP address"),
    case('csr-san-nested-list', 'starface_csr', names(subject_alt_names=[['pbx.example.com']]),
         "subject_alt_names: '['pbx.example.com']' is not a valid DNS name"),
    case('csr-san-wildcard-inside', 'starface_csr', names(subject_alt_names=['pbx.*.example.com']),
         "subject_alt_names: 'pbx.*.example.com' has a wildcard in the wrong place"),
    case('csr-san-path', 'starface_csr', names(subject_alt_names=['pbx.example.com/admin']),
         "subject_alt_names: 'pbx.example.com/admin' holds a path"),
    # starface_csr: paths and the keystore
    case('csr-path-is-directory', 'starface_csr', names(path=lambda c: str(c.box.base / 'conf')),
         'conf is a directory: give the path of a file'),
    case('csr-path-under-a-file', 'starface_csr', names(path=lambda c: str(c.box.server_xml / 'pbx.csr')),
         'server.xml is not a directory, so the request cannot be written'),
    case('csr-keystore-password-wrong', 'starface_csr', names(state='selfsigned', keystore_password='wrong-pass'),
         'the keystore password is wrong, or the keystore file was altered'),
    case('csr-keystore-password-wrong-forced', 'starface_csr',
         names(state='selfsigned', force=True, keystore_password='wrong-pass'),
         'keystore_password: differs from the keystore password in'),
    case('csr-keystore-alias-unknown', 'starface_csr', names(state='selfsigned', keystore_alias='nosuch'),
         "alias 'nosuch' not found; the keystore holds: 'tomcat' (key)"),
    # starface_cert_import: options
    case('import-certificate-twice', 'starface_cert_import', answer(certificate_path=MISSING + '/answer.pem'),
         'parameters are mutually exclusive: certificate|certificate_path'),
    case('import-root-twice', 'starface_cert_import', answer(root_certificate_path=MISSING + '/root.pem'),
         'parameters are mutually exclusive: root_certificate|root_certificate_path'),
    case('import-nothing', 'starface_cert_import', dict(server_name='pbx.example.com'),
         'one of the following is required: certificate, certificate_path'),
    case('import-min-rsa-bits-word', 'starface_cert_import', answer(min_rsa_bits='lots'),
         "argument 'min_rsa_bits' is of type str and we were unable to convert to int"),
    case('import-path-missing', 'starface_cert_import', dict(certificate_path=MISSING + '/answer.pem'),
         'certificate_path: cannot read %s/answer.pem: No such file or directory' % MISSING),
    case('import-path-directory', 'starface_cert_import', dict(certificate_path='/tmp'),
         'certificate_path: cannot read /tmp: Is a directory'),
    case('import-binary-file', 'starface_cert_import', lambda c: dict(certificate_path=str(c.files / 'random.der')),
         'certificate: binary data, not PEM text'),
    case('import-server-name-list', 'starface_cert_import', answer(server_name=['pbx-a.example.com', 'x']),
         "does not cover the server name ['pbx-a.example.com', 'x']"),
    # starface_cert_import: pasted PEM, every way people paste it
    case('pem-without-dashes', 'starface_cert_import', certificate(lambda c: c.leaf.replace('-----', '')),
         'certificate: base64 text without the -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines'),
    case('pem-body-only', 'starface_cert_import', certificate(lambda c: body(c.leaf)),
         'certificate: base64 text without the -----BEGIN CERTIFICATE-----'),
    case('pem-json-escaped', 'starface_cert_import', certificate(lambda c: c.response.replace('\n', '\\n')),
         'certificate: block 1 (CERTIFICATE) is truncated or corrupt: its base64 text is damaged'),
    case('pem-mail-quoted', 'starface_cert_import',
         certificate(lambda c: ''.join('> %s\n' % line for line in c.response.splitlines())),
         'certificate: block 1 (CERTIFICATE) is truncated or corrupt'),
    case('pem-end-line-missing', 'starface_cert_import',
         certificate(lambda c: c.leaf.replace('-----END CERTIFICATE-----', '') + c.leaf),
         'certificate: block 1 (CERTIFICATE) is truncated: its -----END CERTIFICATE----- line is missing'),
    case('pem-labels-differ', 'starface_cert_import',
         certificate(lambda c: c.leaf.replace('END CERTIFICATE', 'END X509 CRL')),
         'begins with -----BEGIN CERTIFICATE----- but ends with -----END X509 CRL-----'),
    case('pem-typographic-dashes', 'starface_cert_import',
         certificate(lambda c: c.leaf.replace('-----', '\u2014\u2014\u2014\u2014\u2014')),
         'certificate: no PEM block found'),
    case('pem-not-a-certificate', 'starface_cert_import',
         certificate(lambda c: '-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n'
                     % base64.encodebytes(b'\x30\x82\x01\x00' + b'\x00' * 256).decode('ascii')),
         'certificate: block 1 is truncated or corrupt: it is not a readable certificate'),
    case('pem-empty-pkcs7', 'starface_cert_import',
         certificate(lambda c: c.pkcs7),
         ('certificate: block 1 is not a readable PKCS#7 bundle of certificates',  # seen with cryptography 50
          'certificate: no certificate found')),  # cryptography 38 (Debian 12) reads it as empty
    case('pem-encrypted-key', 'starface_cert_import',
         certificate(lambda c: c.response + c.keys['encrypted']),
         'certificate: block 4 is a private key (ENCRYPTED PRIVATE KEY). Private keys are never accepted here'),
    case('pem-ec-key-as-root', 'starface_cert_import',
         answer(root_certificate=lambda c: c.keys['ec']),
         'root_certificate: block 1 is a private key (EC PRIVATE KEY)'),
    # starface_cert_import: keys and chains
    case('import-foreign-key', 'starface_cert_import',
         certificate(lambda c: (c.files / 'foreign-leaf.pem').read_text() + c.ca.text('inter2') + c.ca.text('inter1')),
         'certificate: the certificate does not belong to a key on this box'),
    case('import-other-ca-intermediates', 'starface_cert_import',
         certificate(lambda c: c.leaf + (c.files / 'other-chain.pem').read_text()),
         "issued by 'CN=Lab Issuing CA 2,O=Lab', which is not among the certificates"),
    case('import-whole-chain-as-root', 'starface_cert_import', answer(root_certificate=lambda c: c.response),
         'root_certificate: expected one CA root certificate, found 3'),
    case('import-intermediate-as-root', 'starface_cert_import',
         answer(root_certificate=lambda c: c.ca.text('inter1')),
         "root_certificate: 'CN=Lab Intermediate 1,O=Lab' is not a root certificate: "
         "it was issued by 'CN=Lab Root CA,O=Lab'"),
    case('import-keystore-password-wrong', 'starface_cert_import', answer(keystore_password='wrong-pass'),
         'keystore_password: differs from the keystore password in'),
    # starface_restart and starface_webserver_info
    case('restart-state-unknown', 'starface_restart', dict(state='bogus'),
         'value of state must be one of: committed, rolled_back, restarted, got: bogus'),
    case('restart-state-dir-is-a-file', 'starface_restart', lambda c: dict(state_dir=str(c.box.server_xml)),
         'state_dir: ', 'is not a directory: it cannot hold the lock'),
    case('restart-journal-damaged', 'starface_restart', dict(), 'state_dir: the journal of pending changes',
         'is damaged', setup=damaged_journal),
    case('info-renew-percent-150', 'starface_webserver_info', lambda c: dict(server_name=c.box.server_name,
                                                                             renew_before_percent=150),
         'renew_before_percent: 150 is not a percentage from 0 to 99'),
    case('info-probe-as-word', 'starface_webserver_info', dict(probe='perhaps'),
         "argument 'probe' is of type str and we were unable to convert to bool"),
]


def as_choices(expected) -> tuple:
    """The substrings of which one must be in the message."""
    return expected if isinstance(expected, tuple) else (expected,)


def test_corpus_is_large_and_every_case_has_its_own_id():
    assert len(CASES) >= 40
    assert len(set(param.id for param in CASES)) == len(CASES)


@pytest.mark.parametrize('module, args, expected, setup', CASES)
def test_bad_input_fails_clearly_and_changes_nothing(corpus, module, args, expected, setup):
    box = corpus.box
    options = args(corpus) if callable(args) else args
    with setup(corpus) if setup else contextlib.nullcontext():
        before, pid = snapshot(box), box.pid()
        run = run_module(module, dict(box_args(box), **options))
        after = snapshot(box)
    assert run.failed, run.output
    assert not unhandled(run), run.msg
    missing = [text for text in expected if not any(choice in run.msg for choice in as_choices(text))]
    assert not missing, 'message lacks %r:\n%s' % (missing, run.msg)
    assert after == before, 'the run changed the box'
    assert box.pid() == pid, 'the run restarted the web server'


def write_play(directory: Path, box) -> tuple:
    """Write an inventory with the box as host pbx, and a play that applies the role to it; return their paths."""
    inventory = directory / 'inventory.json'
    inventory.write_text(json.dumps(dict(starface=dict(hosts=dict(pbx=dict(
        ansible_connection='local',
        starface_webserver_tomcat_base=str(box.base),
        starface_webserver_restart_command=str(box.restart_command),
        starface_webserver_verify_address=box.address,
        starface_webserver_server_name=box.server_name,
        starface_webserver_report_dir=str(directory / 'report'))))), indent=2))
    play = directory / 'play.yml'
    play.write_text('- hosts: starface\n  gather_facts: false\n  roles:\n    - role: %s\n' % ROLE)
    return inventory, play


@pytest.mark.parametrize('role_vars, expected', [
    (dict(starface_webserver_http_port='eighty'),
     "argument 'starface_webserver_http_port' is of type str and we were unable to convert to int"),
    (dict(starface_webserver_https_port=[443]),
     "argument 'starface_webserver_https_port' is of type list and we were unable to convert to int"),
    (dict(starface_webserver_force_https='sometimes'),
     "argument 'starface_webserver_force_https' is of type str and we were unable to convert to bool"),
    (dict(starface_webserver_certificate_source='letsencrypt'),
     'value of starface_webserver_certificate_source must be one of'),
    (dict(starface_webserver_key_size=1024),
     'value of starface_webserver_key_size must be one of: 2048, 3072, 4096, got: 1024'),
], ids=['port-as-word', 'port-as-list', 'bool-as-word', 'unknown-source', 'weak-key-size'])
def test_role_refuses_wrong_variables_before_touching_the_box(corpus, tmp_path, role_vars, expected):
    box = corpus.box
    inventory, play = write_play(tmp_path, box)
    before, pid = snapshot(box), box.pid()
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory), str(play),
               '-e', json.dumps(role_vars)]
    done = subprocess.run(command, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    assert done.returncode != 0, done.stdout
    results = [line for line in done.stdout.splitlines() if line.startswith('RESULT ')]
    assert len(results) == 1, 'tasks ran after the failed validation:\n' + done.stdout
    result = parse_result(done.stdout)
    assert result['msg'].startswith('Validation of arguments failed'), result['msg']
    assert expected in result['msg'], result['msg']
    assert snapshot(box) == before and box.pid() == pid
    assert not (tmp_path / 'report').exists()
