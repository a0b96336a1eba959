#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_webserver: the HTTP/HTTPS services and forced HTTPS of a STARFACE box."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_webserver
short_description: Set the HTTP and HTTPS services, ports and forced HTTPS of a STARFACE box
version_added: 0.1.0
description:
  - Does what the web server page of the STARFACE admin interface does with its check
    boxes and port fields, on the box, through Apache Tomcat's C(server.xml), the default
    Host's C(rewrite.config) and, on a NAT box, the NAT rules.
  - Only the options you set are changed; the rest stays as found.
  - A disabled service's connector is kept in a marked comment, so its port refuses
    connections and enabling it again restores it as it was.
  - Forced HTTPS is Tomcat's own rewrite valve (C(org.apache.catalina.valves.rewrite.RewriteValve),
    Tomcat 8 and later) in the default Host of C(server.xml), with rules in
    C(conf/<Engine>/<Host>/rewrite.config) that match the web interface's HTTP port only.
    Phone provisioning on 50080/50081 (another connector), ACME C(http-01) challenges and
    the paths in O(force_https_exempt_paths) stay on plain HTTP. Turning it off removes
    exactly what this module added (the file too, when the module made it); the HTTP
    connector's C(redirectPort) is never touched by it.
  - A C(CONFIDENTIAL) constraint on C(/*) in C(conf/web.xml) counts as forced HTTPS too.
    One this collection wrote in earlier versions is replaced by the rewrite rules at the
    next change; one written by someone else catches every connector, phone provisioning
    included, and is reported in a warning and never edited.
  - Changes go through a transaction. The files are written atomically with backups, the
    web server is restarted, and the module waits until every enabled port answers as
    configured. If that fails, the previous files are restored and the web server is
    restarted again.
  - Before anything is written (in check mode too), a port Tomcat would open anew is
    refused when another program listens on it (the message names it, from C(/proc)), or
    when it is below C(net.ipv4.ip_unprivileged_port_start) and the running Tomcat's user
    is not root and lacks C(CAP_NET_BIND_SERVICE).
  - Disabling HTTP or moving it off port 80 gives a warning. The STARFACE manual says
    this breaks, for example, the address book of SIP phones.
  - B(Public ports and connector ports.) O(http_port) and O(https_port) are the ports
    browsers and phones use. On a box whose Tomcat binds them itself they are the
    connector ports. On a box like the audited STARFACE, Tomcat (user C(tomcat)) listens on
    8080 and 8181 and NAT rules in the C(nat) table's C(PREROUTING) chain redirect 80 and
    443 there; the module finds those rules with O(iptables_save_command). Changing a
    public port there changes the redirect, in the live rules and in O(nat_rules_file),
    inside the same transaction (journaled, rolled back on failure), and needs no
    restart of the web server. O(http_connector_port) and O(https_connector_port) set
    Tomcat's own ports, for experts.
  - Disabling HTTP on a NAT box removes its redirect and its connector, as on any box, so
    nothing answers plain HTTP for the web interface any more (a connector left behind
    would still answer wherever the box's filter lets port 8080 through, and the next run
    could not tell that HTTP was meant to be off). Enabling it again brings back
    80 to 8080, or the ports you set.
  - The check after a change runs on the box, against the connector ports, and reads the
    live rules back. Connections the box makes to itself do not pass C(PREROUTING), so the
    public ports are checked from outside, by the role's verification from the controller.
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - telephony.starface.change
  - telephony.starface.change.ignore_ports
  - telephony.starface.attributes
  - ansible.builtin.action_common_attributes
options:
  http_enabled:
    description:
      - Whether the web interface answers over HTTP.
      - HTTP and HTTPS cannot both be disabled.
    type: bool
  http_port:
    description:
      - The public HTTP port, STARFACE's default is 80. On a NAT box the source port of the
        redirect to the HTTP connector.
    type: int
  http_connector_port:
    description:
      - The port Tomcat's HTTP connector listens on. Only for experts and only on NAT boxes
        different from O(http_port); the redirect follows it. A NAT box where HTTP is
        enabled anew gets 8080.
    type: int
  https_enabled:
    description:
      - Whether the web interface answers over HTTPS.
    type: bool
  https_port:
    description:
      - The public HTTPS port, STARFACE's default is 443. On a NAT box the source port of
        the redirect to the HTTPS connector.
    type: int
  https_connector_port:
    description:
      - The port Tomcat's HTTPS connector listens on, see O(http_connector_port). A NAT box
        where HTTPS is enabled anew gets 8181.
    type: int
  force_https:
    description:
      - The admin interface's C(Force redirect to HTTPS). Requests to the web interface's
        HTTP port are then answered with a redirect (302) to the same host and path on the
        public HTTPS port (C(https://box/) for 443; on a NAT box 443 and not the connector's
        8181). A request whose C(Host) header is an IPv6 literal is not redirected.
      - Other connectors (phone provisioning) and ACME C(http-01) challenges under
        C(/.well-known/acme-challenge/) are still answered over HTTP.
      - Switching it on gives a warning that names the phones; Tomcat reads the rules when
        it starts, so the web server restarts.
    type: bool
  force_https_exempt_paths:
    description:
      - URL paths that stay on plain HTTP while HTTPS is forced, each a prefix starting with
        C(/) (end it with C(/) for a folder), for example the address book SIP phones fetch
        over HTTP on port 80.
      - To find the path your phones use, look up the address book (remote phone book) URL
        in a phone's web interface or in the provisioning file the box hands it, or, with
        an access log in C(server.xml), see which paths the phones' addresses ask for.
      - Unset keeps the paths as found. Ignored, with a warning, when O(force_https) is
        false.
    type: list
    elements: str
  bind_address:
    description:
      - Address the HTTP and HTTPS connectors listen on. An empty string listens on
        every address (Tomcat's default).
    type: str
seealso:
  - module: telephony.starface.starface_webserver_info
  - module: telephony.starface.starface_restart
  - name: Tomcat SSL/TLS configuration
    description: How Tomcat serves HTTPS and redirects to it.
    link: https://tomcat.apache.org/tomcat-10.1-doc/ssl-howto.html
'''

EXAMPLES = r'''
- name: Serve the web interface only over HTTPS, keeping HTTP on 80 for the phones' address book
  telephony.starface.starface_webserver:
    http_enabled: true
    http_port: 80
    https_enabled: true
    https_port: 443
    force_https: true
    force_https_exempt_paths:
      - /addressbook/

- name: Move HTTPS to 8443 and let the role's handler restart once at the end
  telephony.starface.starface_webserver:
    https_port: 8443
    restart: false
  notify: Restart STARFACE web server
'''

RETURN = r'''
settings:
  description: The web server settings after the run (or that check mode would set).
  returned: always
  type: dict
  sample:
    http_enabled: true
    http_port: 80
    https_enabled: true
    https_port: 443
    force_https: true
    force_https_exempt_paths: [/addressbook/]
    bind_address: null
    http_connector_port: 8080
    https_connector_port: 8181
restart_required:
  description: Whether changes wait for a restart of the web server.
  returned: always
  type: bool
  sample: false
restarted:
  description:
    - Whether the web server was restarted and verified.
    - False when only NAT redirects changed, which needs no restart.
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
backup_files:
  description: The time-stamped copies made with O(backup=true).
  returned: when backup is true and files changed
  type: list
  elements: str
  sample: ["/opt/tomcat/conf/server.xml.2026-11-28@10:15:00~"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import WebServer, webserver_argument_spec


def main():
    """Run the module."""
    module = AnsibleModule(argument_spec=webserver_argument_spec(), supports_check_mode=True)
    run_reconciler(module, 'starface_webserver', lambda module: WebServer(module).run(), needs_cryptography=False)


if __name__ == '__main__':
    main()
