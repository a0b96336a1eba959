#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_cert_import: install a CA's answer in the keystore of a STARFACE box."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_cert_import
short_description: Import a CA-signed certificate and its chain on a STARFACE box
version_added: 0.1.0
description:
  - Does what the C(Import Certificate Response) dialog of the STARFACE admin interface does,
    with its two fields. O(certificate) takes the CA's answer, the server certificate with
    its intermediates. O(root_certificate) takes the CA's root certificate.
  - Pasted text is accepted as people paste it, with blank lines, spaces, tabs, any line
    ending, text around the blocks and the certificates in any order. PKCS#7 and DER are
    converted.
  - Nothing is changed unless all checks pass. The certificate must belong to the pending
    request's key (see M(telephony.starface.starface_csr)) or to the key serving now. The
    chain must verify up to the root. No certificate may be expired or not yet valid. The
    names must cover O(server_name) when it is given. Weak keys and SHA-1 signatures are
    refused unless allowed.
  - A private key in either field is refused and never echoed. Private keys are made on
    the box and never imported.
  - The key, the certificate and the intermediates are installed in the keystore under its
    alias, in the keystore's own format (JKS or PKCS12). The web server is then restarted,
    and a TLS handshake verifies that the new certificate is served. If it is not, the
    previous keystore is restored.
  - Importing what the box already serves changes nothing and restarts nothing.
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - telephony.starface.change
  - telephony.starface.change.ignore_ports
  - telephony.starface.attributes
  - ansible.builtin.action_common_attributes
options:
  certificate:
    description:
      - The CA's answer, the server certificate and its intermediate certificates, as text.
      - Use a C(file) lookup for a file on the controller.
      - Not logged, so that a private key pasted by mistake is never shown.
      - Exactly one of O(certificate) and O(certificate_path) is required.
    type: str
  certificate_path:
    description:
      - A file on the box holding the CA's answer, as PEM text or as binary DER (one
        certificate) or PKCS#7. Binary files are accepted only here, not in O(certificate),
        which is text.
    type: path
  root_certificate:
    description:
      - The CA's root certificate, as text. The chain is verified up to it.
      - Not logged, so that a private key pasted by mistake is never shown.
      - Without a root (neither O(root_certificate) nor O(root_certificate_path)), the chain is verified as far as it
        goes and a warning says the root was not checked.
    type: str
  root_certificate_path:
    description:
      - A file on the box holding the CA's root certificate, PEM or binary DER.
    type: path
  server_name:
    description:
      - When set, the certificate must be valid for this name (wildcards as in RFC 6125).
    type: str
  include_root:
    description:
      - Also put the root certificate in the served chain. Clients have the root already,
        so this is rarely needed.
    type: bool
    default: false
  allow_sha1:
    description:
      - Accept certificates signed with SHA-1.
    type: bool
    default: false
  min_rsa_bits:
    description:
      - Smallest RSA key accepted in the chain.
    type: int
    default: 2048
requirements:
  - cryptography >= 3.4 on the box
seealso:
  - module: telephony.starface.starface_csr
  - module: telephony.starface.starface_webserver_info
'''

EXAMPLES = r'''
- name: Import the CA's answer pasted from its e-mail
  telephony.starface.starface_cert_import:
    server_name: pbx.example.com
    certificate: "{{ lookup('ansible.builtin.file', 'answers/pbx.example.com.pem') }}"
    root_certificate: "{{ lookup('ansible.builtin.file', 'answers/root.pem') }}"
'''

RETURN = r'''
certificate:
  description: Facts of the imported certificate and the chain served.
  returned: always
  type: dict
  sample:
    subject: CN=pbx.example.com
    issuer: CN=Example Issuing CA
    not_after: "2027-11-28T10:15:00Z"
    days_remaining: 364
    fingerprint_sha256: "AB:CD:..."
    chain: [{subject: CN=pbx.example.com, issuer: CN=Example Issuing CA}]
key_source:
  description: Which key the certificate belongs to, V(pending) or V(current).
  returned: when changed
  type: str
  sample: pending
aliases_in_step:
  description:
    - Other key entries of the keystore that held the same certificate as O(keystore_alias) and
      got the new key and chain too (STARFACE keeps such a copy under C(root)). Every other entry
      of a JKS keystore stays as it was.
  returned: when changed
  type: list
  elements: str
  sample: [root]
restarted:
  description: Whether the web server was restarted and verified.
  returned: when changed and not in check mode
  type: bool
  sample: true
reloaded:
  description:
    - Whether the running web server was asked to reload its keystore and serves the new
      certificate, without a restart (O(activation=reload) or O(activation=auto)).
  returned: when changed and not in check mode
  type: bool
  sample: false
restart_reason:
  description: With O(activation=auto), why the change was restarted and not reloaded.
  returned: when O(activation=auto) restarted the web server
  type: str
  sample: "Tomcat reads /opt/tomcat/conf/server.xml only when it starts"
restart_required:
  description: Whether the change waits for a restart of the web server.
  returned: always
  type: bool
  sample: false
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._reconcile.certificate import Import, certificate_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler


def main():
    """Run the module."""
    module = AnsibleModule(
        argument_spec=certificate_argument_spec(
            certificate=dict(type='str', no_log=True),
            certificate_path=dict(type='path'),
            root_certificate=dict(type='str', no_log=True),
            root_certificate_path=dict(type='path'),
            server_name=dict(type='str'),
            include_root=dict(type='bool', default=False),
            allow_sha1=dict(type='bool', default=False),
            min_rsa_bits=dict(type='int', default=2048),
        ),
        required_one_of=[('certificate', 'certificate_path')],
        mutually_exclusive=[('certificate', 'certificate_path'), ('root_certificate', 'root_certificate_path')],
        supports_check_mode=True,
    )
    run_reconciler(module, 'starface_cert_import', lambda module: Import(module).run())


if __name__ == '__main__':
    main()
