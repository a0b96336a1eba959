#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_webserver_info: read the web server settings and certificates of a STARFACE box."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_webserver_info
short_description: Read the web server settings and the certificate of a STARFACE box
version_added: 0.1.0
description:
  - Returns what the web server page of the STARFACE admin interface shows. These are the
    HTTP and HTTPS services, their ports and forced HTTPS, as configured in Tomcat's files.
  - Returns the facts of the certificate in the keystore and of the certificate the HTTPS
    port serves now, read with a TLS handshake. When the two differ, the box needs a
    restart or something changed the keystore behind its back (drift).
  - Reports changes waiting for a restart and a pending certificate request.
  - Changes nothing. Never returns a password or key material.
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
      - Read the served certificate with a TLS handshake to the HTTPS port.
    type: bool
    default: true
  server_name:
    description:
      - With this option the module also says whether the certificate should be replaced by
        a CA-signed one, see RV(renewal). Set it to the name the certificate must carry.
    type: str
  subject_alt_names:
    description:
      - The other names the certificate must carry, for RV(renewal).
    type: list
    elements: str
    default: []
  renew_before_days:
    description:
      - For RV(renewal), a certificate with fewer days left needs renewal.
    type: int
    default: 30
  renew_before_percent:
    description:
      - For RV(renewal), a certificate with less of its lifetime left needs renewal.
    type: int
requirements:
  - cryptography >= 3.4 on the box
seealso:
  - module: telephony.starface.starface_webserver
  - module: telephony.starface.starface_csr
'''

EXAMPLES = r'''
- name: Read the web server state
  telephony.starface.starface_webserver_info:
  register: web

- name: Show when the certificate expires
  ansible.builtin.debug:
    msg: "{{ web.served.subject }} expires in {{ web.served.days_remaining }} days"
'''

RETURN = r'''
settings:
  description:
    - The web server settings found in Tomcat's files and the box's NAT rules.
    - V(http_port) and V(https_port) are the public ports (on a NAT box the redirects' source
      ports); V(http_connector_port) and V(https_connector_port) are Tomcat's own.
    - V(force_https_exempt_paths) are the paths the forced-HTTPS rules keep on plain HTTP.
  returned: always
  type: dict
  sample: {http_enabled: true, http_port: 80, https_enabled: true, https_port: 443, force_https: true,
           force_https_exempt_paths: [/addressbook/], bind_address: null, http_connector_port: 8080,
           https_connector_port: 8181}
nat:
  description:
    - The live NAT redirects of the C(nat) table's C(PREROUTING) chain (read with
      O(iptables_save_command); reading needs no restart and changes nothing) and how they
      differ from O(nat_rules_file).
  returned: always
  type: dict
  contains:
    redirects:
      description:
        - Each single-port TCP redirect, with V(service) V(http) or V(https) when it leads to
          that connector (else null).
      type: list
      elements: dict
      sample: [{public_port: 80, connector_port: 8080, service: http,
                rule: "-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080"}]
    drift:
      description:
        - V(live_only) lists redirects a reboot would lose, V(file_only) those a reboot would
          bring; V(file_missing) is true when O(nat_rules_file) does not exist. Null when the
          rules could not be read.
      type: dict
      sample: {live_only: [], file_only: [], file_missing: false}
    rules_file:
      description: The rules file compared, O(nat_rules_file).
      type: str
      sample: /etc/sysconfig/iptables
    error:
      description: Why the live rules could not be read, else null.
      type: str
      sample: null
keystore:
  description:
    - Facts of the key entry's certificate in the keystore, with its chain.
    - C(aliases) lists every entry of the keystore (C(kind) is C(key) or C(trusted certificate)),
      for example the C(root) copy of the served key and chain that STARFACE keeps.
  returned: always
  type: dict
  sample:
    path: /opt/tomcat/ssl/tomcat.keystore
    format: JKS
    alias: tomcat
    aliases: [{alias: root, kind: key}, {alias: tomcat, kind: key}]
    subject: CN=pbx.example.com
    issuer: CN=pbx.example.com
    subject_alt_names: ["DNS:pbx.example.com"]
    not_after: "2027-11-28T10:15:00Z"
    days_remaining: 364
    fingerprint_sha256: "AB:CD:..."
    self_signed: true
    error: null
served:
  description: Facts of the certificate the HTTPS port serves now; C(error) says why it could not be read.
  returned: when probe is true and HTTPS is enabled
  type: dict
  sample: {subject: CN=pbx.example.com, fingerprint_sha256: "AB:CD:...", days_remaining: 364}
drift:
  description: Whether the served certificate differs from the keystore's.
  returned: always
  type: bool
  sample: false
restart_required:
  description: Whether changes wait for a restart of the web server.
  returned: always
  type: bool
  sample: false
pending_files:
  description: Files changed by a run that has not been restarted and verified yet.
  returned: always
  type: list
  elements: str
  sample: []
renewal:
  description:
    - Whether the certificate should be replaced by a CA-signed one, and the reasons in order.
    - The reasons are V(keystore_missing), V(keystore_unreadable), V(self_signed),
      V(names_differ), V(expires_soon) and V(lifetime_below_percent).
  returned: when server_name is set
  type: dict
  sample: {needed: true, reasons: [self_signed]}
tomcat:
  description:
    - The running Tomcat of this box (the JVM whose C(catalina.base) is O(tomcat_base)), read
      from C(/proc).
    - C(may_bind_low_ports) is whether its user may open ports below
      C(unprivileged_port_start) (C(net.ipv4.ip_unprivileged_port_start)) itself, as root or
      with C(CAP_NET_BIND_SERVICE). When it may not, ports such as 80 and 443 reach it through
      NAT rules; null when Tomcat is not running.
  returned: always
  type: dict
  contains:
    running:
      description: Whether a JVM of this box runs.
      type: bool
    pid:
      description: Its process ID, or null.
      type: int
    user:
      description: Its effective user's name (null when not running or the user has no name).
      type: str
    uid:
      description: Its effective user ID, or null.
      type: int
    may_bind_low_ports:
      description: Whether it may open ports below C(unprivileged_port_start), or null.
      type: bool
    unprivileged_port_start:
      description: The lowest port an unprivileged user may open on this box.
      type: int
  sample: {running: true, pid: 2140, user: tomcat, uid: 992, may_bind_low_ports: false, unprivileged_port_start: 1024}
reload:
  description:
    - Whether this box can take a new certificate without a restart (O(activation=reload)),
      and what that depends on, read from C(/proc), Tomcat's C(lib/catalina.jar) and the
      Java runtime's C(release) file. Nothing is attached to the JVM to find out.
  returned: always
  type: dict
  contains:
    possible:
      description: Whether a reload can be tried.
      type: bool
    why_not:
      description: Why not, or null.
      type: str
    tomcat_version:
      description: The running Tomcat's version, or null.
      type: str
    java_version:
      description: The version of the Java runtime Tomcat runs on, or null.
      type: str
    java_home:
      description: That runtime's folder, or null.
      type: str
    attach_disabled:
      description: Whether Tomcat's JVM was started with C(-XX:+DisableAttachMechanism).
      type: bool
    reload_listener:
      description:
        - Whether C(server.xml) names Tomcat's C(TLSCertificateReloadListener) (Tomcat 9.0.81
          and 10.1.14 on), which reloads certificates on its own schedule.
      type: bool
  sample: {possible: true, why_not: null, tomcat_version: 10.1.60.0, java_version: 17.0.15,
           java_home: /usr/lib/jvm/java-17-openjdk-amd64, attach_disabled: false, reload_listener: false}
web_root:
  description:
    - The folder Tomcat serves at C(/), read from C(server.xml). It is the C(docBase) of
      the default Host's root C(<Context>) (relative to the Host's C(appBase)), else
      C(<appBase>/ROOT). Context files in C(conf/Catalina/<host>/) are not read.
    - Null when C(server.xml) names no Host.
  returned: always
  type: str
  sample: /opt/tomcat/webapps/localhost/starface
pending_request:
  description: Facts of the pending certificate request, or null.
  returned: always
  type: dict
  sample: {subject: CN=pbx.example.com, subject_alt_names: ["DNS:pbx.example.com"]}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import box_argument_spec, ignore_ports_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.info import read_info
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler


def main():
    """Run the module."""
    spec = box_argument_spec()
    spec.update(ignore_ports_argument_spec())
    spec.update(
        probe=dict(type='bool', default=True),
        server_name=dict(type='str'),
        subject_alt_names=dict(type='list', elements='str', default=[]),
        renew_before_days=dict(type='int', default=30),
        renew_before_percent=dict(type='int'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    run_reconciler(module, 'starface_webserver_info', lambda module: dict(read_info(module), changed=False),
                   changes_box=False)


if __name__ == '__main__':
    main()
