#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_plan: what the other modules would change on a STARFACE box, read in one run."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_plan
short_description: Say what the collection's modules would change on a STARFACE box, in one read
version_added: 0.1.0
description:
  - Reads the box once and says whether a run with these settings and this certificate would
    change anything. It answers for M(telephony.starface.starface_restart) (a change an earlier run left
    pending, or temporary files a killed run left), M(telephony.starface.starface_webserver)
    (O(settings)) and the certificate (O(certificate)).
  - For the settings and the provisional certificate the answers come from the same code those
    modules run, in check mode. For a CA-signed certificate the plan says whether one is needed
    (RV(renewal)); the request and the import check their own input when they run. A playbook
    that runs the modules only when RV(plan.changes) is true costs one module run on a box with
    nothing to change. The role C(telephony.starface.starface_webserver) works this way.
  - Also returns everything M(telephony.starface.starface_webserver_info) returns, the
    served certificate included (see O(probe)); the most used of it is listed below, the rest
    (C(drift), C(restart_required), C(nat), C(tomcat), C(reload)) is documented there.
  - Changes nothing. Bad settings, and a provisional certificate that cannot be made, fail here
    with the message and field M(telephony.starface.starface_webserver) or
    M(telephony.starface.starface_csr) would give, before anything is written.
  - When nothing changes, the plan gives the warnings the modules would give (for example that a
    valid CA-signed certificate is kept). Otherwise the modules that then run give them.
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - telephony.starface.change.ignore_ports
  - telephony.starface.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    details: The module changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
options:
  probe:
    description:
      - Read the served certificate with a TLS handshake to the HTTPS port, as
        M(telephony.starface.starface_webserver_info) does.
    type: bool
    default: true
  settings:
    description:
      - The web server settings to compare with the box, as given to
        M(telephony.starface.starface_webserver). Each suboption means what the option of
        that name means there; unset ones are kept as found.
      - Unset, the settings are not planned and RV(plan.settings) is null.
    type: dict
    suboptions:
      http_enabled:
        description: Whether the web interface answers over HTTP.
        type: bool
      http_port:
        description: The public HTTP port.
        type: int
      http_connector_port:
        description: The port Tomcat's HTTP connector listens on.
        type: int
      https_enabled:
        description: Whether the web interface answers over HTTPS.
        type: bool
      https_port:
        description: The public HTTPS port.
        type: int
      https_connector_port:
        description: The port Tomcat's HTTPS connector listens on.
        type: int
      force_https:
        description: The admin interface's C(Force redirect to HTTPS).
        type: bool
      force_https_exempt_paths:
        description: URL paths that stay on plain HTTP while HTTPS is forced.
        type: list
        elements: str
      bind_address:
        description: Address the HTTP and HTTPS connectors listen on.
        type: str
  certificate:
    description:
      - The certificate the box should serve. Unset, it is not planned and
        RV(plan.certificate) is null.
    type: dict
    suboptions:
      source:
        description:
          - V(selfsigned) plans M(telephony.starface.starface_csr) with C(state=selfsigned)
            and the suboptions below.
          - V(ca) plans a CA-signed certificate. A new one is needed when
            RV(renewal) says so or with O(certificate.force=true).
        type: str
        choices: [selfsigned, ca]
        required: true
      server_name:
        description: The name the certificate must carry.
        type: str
        required: true
      subject_alt_names:
        description: The other names the certificate must carry.
        type: list
        elements: str
        default: []
      valid_days:
        description: Days of validity of a provisional certificate.
        type: int
        default: 365
      renew_before_days:
        description: A certificate with fewer days left is replaced.
        type: int
        default: 30
      renew_before_percent:
        description: A certificate with less of its lifetime left is replaced.
        type: int
      force:
        description: Plan a new certificate even when the current one is fine.
        type: bool
        default: false
      key_type:
        description: Type of a new key.
        type: str
        choices: [RSA, EC]
        default: RSA
      key_size:
        description: Size of a new RSA key in bits.
        type: int
        choices: [2048, 3072, 4096]
        default: 2048
      curve:
        description: Curve of a new EC key.
        type: str
        choices: [P-256, P-384]
        default: P-256
requirements:
  - cryptography >= 3.4 on the box
seealso:
  - module: telephony.starface.starface_webserver_info
  - module: telephony.starface.starface_webserver
  - module: telephony.starface.starface_csr
  - module: telephony.starface.starface_restart
'''

EXAMPLES = r'''
- name: Find out what this run has to change
  telephony.starface.starface_plan:
    settings:
      force_https: true
      force_https_exempt_paths: [/addressbook/]
    certificate:
      source: selfsigned
      server_name: pbx.example.com
  register: plan

- name: Set the web server only where it differs
  telephony.starface.starface_webserver:
    force_https: true
    force_https_exempt_paths: [/addressbook/]
  when: plan.plan.changes
'''

RETURN = r'''
plan:
  description: What the modules would change.
  returned: always
  type: dict
  contains:
    changes:
      description: Whether any part below changes, a change is pending or a killed run left files.
      type: bool
      sample: false
    pending:
      description:
        - Whether a change an earlier run wrote (files or NAT rules) waits for its restart, which
          M(telephony.starface.starface_restart) would finish (RV(pending_files)).
      type: bool
      sample: false
    leftovers:
      description:
        - Temporary files a killed run left next to the files the modules write (they may hold
          key material). Any module that changes the box removes them, holding the box's lock.
      type: list
      elements: str
      sample: []
    settings:
      description:
        - What M(telephony.starface.starface_webserver) would do with O(settings), null
          without O(settings). C(settings) are the settings after it, C(warnings) the
          warnings it would give.
      type: dict
      sample: {changed: true, restart_required: true, warnings: [],
               settings: {http_enabled: true, http_port: 80, https_enabled: true, https_port: 443,
                          force_https: true, force_https_exempt_paths: [/addressbook/], bind_address: null,
                          http_connector_port: 8080, https_connector_port: 8181}}
    certificate:
      description:
        - Whether a new certificate is needed (C(changed)) and why (C(reasons)), null without
          O(certificate). C(kept) is set as M(telephony.starface.starface_csr) sets it when a
          valid CA-signed certificate is kept.
      type: dict
      sample: {source: selfsigned, changed: false, reasons: [], kept: null, warnings: []}
settings:
  description: The web server settings found, as M(telephony.starface.starface_webserver_info) returns them.
  returned: always
  type: dict
  sample: {http_enabled: true, http_port: 80, https_enabled: true, https_port: 443, force_https: false}
keystore:
  description: Facts of the keystore's certificate, as M(telephony.starface.starface_webserver_info) returns them.
  returned: always
  type: dict
  sample: {alias: tomcat, subject: CN=pbx.example.com, fingerprint_sha256: "AB:CD:...", days_remaining: 364}
served:
  description: Facts of the certificate the HTTPS port serves now.
  returned: when probe is true and HTTPS is enabled
  type: dict
  sample: {subject: CN=pbx.example.com, fingerprint_sha256: "AB:CD:...", days_remaining: 364}
renewal:
  description: Whether a CA-signed certificate is needed, and why.
  returned: when certificate.source is ca
  type: dict
  sample: {needed: false, reasons: []}
pending_files:
  description: Files changed by a run that has not been restarted and verified yet.
  returned: always
  type: list
  elements: str
  sample: []
pending_request:
  description: Facts of the pending certificate request, or null.
  returned: always
  type: dict
  sample: null
web_root:
  description: The folder Tomcat serves at C(/), read from C(server.xml).
  returned: always
  type: str
  sample: /opt/tomcat/webapps/localhost/starface
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import box_argument_spec, ignore_ports_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.certificate import certificate_options
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.plan import CERTIFICATE_SOURCES, plan
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import settings_options


def main():
    """Run the module."""
    spec = box_argument_spec()
    spec.update(ignore_ports_argument_spec())
    spec.update(
        probe=dict(type='bool', default=True),
        settings=dict(type='dict', options=settings_options()),
        certificate=dict(type='dict', options=dict(
            source=dict(type='str', choices=list(CERTIFICATE_SOURCES), required=True),
            **certificate_options()
        )),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    run_reconciler(module, 'starface_plan', plan, changes_box=False)


if __name__ == '__main__':
    main()
