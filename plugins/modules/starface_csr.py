#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_csr: the provisional certificate and the certificate request of a STARFACE box."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_csr
short_description: Make the provisional certificate or a certificate request on a STARFACE box
version_added: 0.1.0
description:
  - With O(state=selfsigned), does what the C(new provisional certificate) button does. It
    makes a new key and a self-signed certificate for O(server_name) and
    O(subject_alt_names), valid O(valid_days) days, and installs them in the keystore
    Tomcat serves. This happens only when needed, see O(renew_before_days) and O(force).
  - With O(state=request), does what the C(Certificate Request) button does. It returns a
    certificate signing request (CSR) to send to a CA, and can write it to a file on the
    box.
  - The private key is made on the box and never leaves it. It is never returned.
  - With O(key=new), the request is made from a new key kept on the box, owner-only. The
    box keeps serving its current certificate until M(telephony.starface.starface_cert_import)
    installs the CA's answer. Running again with the same names returns the same request.
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - telephony.starface.change
  - telephony.starface.change.ignore_ports
  - telephony.starface.attributes
  - ansible.builtin.action_common_attributes
attributes:
  diff_mode:
    details: With O(state=selfsigned), the diff holds the certificate's facts before and after.
options:
  state:
    description:
      - V(selfsigned) keeps a provisional (self-signed) certificate in the keystore.
      - V(request) makes a certificate signing request.
    type: str
    choices: [request, selfsigned]
    default: request
  server_name:
    description:
      - The box's server name, the domain without C(https://). It becomes the common name and
        the first subject alternative name.
    type: str
    required: true
  subject_alt_names:
    description:
      - More names the certificate is valid for, as DNS names or IP addresses, with or without
        a C(DNS:) or C(IP:) prefix. Wildcards such as C(*.example.com) are allowed.
    type: list
    elements: str
    default: []
  valid_days:
    description:
      - Days of validity of the provisional certificate (O(state=selfsigned)).
    type: int
    default: 365
  renew_before_days:
    description:
      - Make a new provisional certificate when fewer days than this remain.
    type: int
    default: 30
  renew_before_percent:
    description:
      - Also make a new provisional certificate when less than this percentage of its
        lifetime remains.
    type: int
  force:
    description:
      - With O(state=selfsigned), make a new provisional certificate even when the current
        one is fine, or is a valid CA-signed certificate (kept otherwise, see RV(kept)). This
        also recovers a box whose keystore is damaged.
      - With O(state=request) and O(key=new), make a new pending key and request.
    type: bool
    default: false
  key:
    description:
      - Which key the request is made from (O(state=request)).
      - V(new) keeps a new key pending on the box until the CA's answer is imported.
      - V(current) uses the key serving now, as the STARFACE admin interface does.
    type: str
    choices: [new, current]
    default: new
  key_type:
    description:
      - Type of a new key.
    type: str
    choices: [RSA, EC]
    default: RSA
  key_size:
    description:
      - Size of a new RSA key in bits.
    type: int
    choices: [2048, 3072, 4096]
    default: 2048
  curve:
    description:
      - Curve of a new EC key.
    type: str
    choices: [P-256, P-384]
    default: P-256
  path:
    description:
      - Also write the request (PEM) to this file on the box (O(state=request)).
    type: path
requirements:
  - cryptography >= 3.4 on the box
seealso:
  - module: telephony.starface.starface_cert_import
  - module: telephony.starface.starface_webserver_info
'''

EXAMPLES = r'''
- name: Keep the provisional certificate valid
  telephony.starface.starface_csr:
    state: selfsigned
    server_name: pbx.example.com
    subject_alt_names: [pbx, 192.0.2.10]
    valid_days: 730
    renew_before_days: 30

- name: Make a certificate request from a new key kept on the box
  telephony.starface.starface_csr:
    server_name: pbx.example.com
    subject_alt_names: [DNS:pbx.example.com]
  register: request

- name: Save the request on the controller for the CA
  ansible.builtin.copy:
    content: "{{ request.csr }}"
    dest: "requests/{{ inventory_hostname }}.csr"
    mode: "0644"
  delegate_to: localhost
'''

RETURN = r'''
csr:
  description: The certificate signing request, PEM (O(state=request)).
  returned: when state is request
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIC...\n-----END CERTIFICATE REQUEST-----\n"
request:
  description: Facts of the request.
  returned: when state is request
  type: dict
  sample: {subject: CN=pbx.example.com, subject_alt_names: ["DNS:pbx.example.com"], key_type: RSA, key_size: 2048}
key_source:
  description: Which key the request is made from, V(new) (pending) or V(current).
  returned: when state is request
  type: str
  sample: new
certificate:
  description: Facts of the certificate in the keystore after the run (O(state=selfsigned)).
  returned: when state is selfsigned
  type: dict
  sample:
    subject: CN=pbx.example.com
    subject_alt_names: ["DNS:pbx.example.com"]
    not_after: "2027-11-28T10:15:00Z"
    days_remaining: 364
    fingerprint_sha256: "AB:CD:..."
    self_signed: true
reasons:
  description:
    - Why a new provisional certificate was made, in order (empty when none was).
    - V(forced) (O(force=true)), V(keystore_missing), V(not_self_signed) (the keystore held a
      CA-signed certificate that was expired or not yet valid), V(names_differ) (its names are
      not O(server_name) and O(subject_alt_names)), V(expires_soon) (fewer than
      O(renew_before_days) left), V(lifetime_below_percent) (less than
      O(renew_before_percent) of its lifetime left).
  returned: when state is selfsigned
  type: list
  elements: str
  sample: [expires_soon]
kept:
  description:
    - Set when the keystore's certificate was kept although a reason above applied, and why.
    - C(reason) is V(ca_signed), as a CA-signed certificate valid now is not replaced by a
      self-signed one unless O(force=true). C(would_replace_for) lists the other reasons that
      applied, C(message) says it in words (also given as a warning).
  returned: when state is selfsigned and a CA-signed certificate was kept
  type: dict
  sample:
    reason: ca_signed
    would_replace_for: [names_differ]
    message: Kept the CA-signed certificate of CN=pbx.example.com (issued by CN=Example CA, ...)
aliases_in_step:
  description:
    - Other key entries of the keystore that held the same certificate as O(keystore_alias) and
      got the new key and certificate too (STARFACE keeps such a copy under C(root)). Every other
      entry of a JKS keystore stays as it was.
  returned: when state is selfsigned and the certificate was made anew
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
  description: Whether a change waits for a restart of the web server.
  returned: when state is selfsigned
  type: bool
  sample: false
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._reconcile.certificate import (
    Request, SelfSigned, certificate_argument_spec, certificate_options)
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler


def main():
    """Run the module."""
    module = AnsibleModule(
        argument_spec=certificate_argument_spec(
            state=dict(type='str', choices=['request', 'selfsigned'], default='request'),
            key=dict(type='str', choices=['new', 'current'], default='new', no_log=False),
            path=dict(type='path'),
            **certificate_options()
        ),
        supports_check_mode=True,
    )
    reconciler = SelfSigned if module.params['state'] == 'selfsigned' else Request
    run_reconciler(module, 'starface_csr', lambda module: reconciler(module).run())


if __name__ == '__main__':
    main()
