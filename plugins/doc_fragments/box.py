# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Documentation of the box options shared by every module."""

from __future__ import annotations


class ModuleDocFragment:
    """The box options: where Tomcat, its files and its keystore are, and how to restart it."""

    DOCUMENTATION = r'''
options:
  tomcat_base:
    description:
      - Tomcat's base directory on the box (C(CATALINA_BASE)).
      - Paths below that are not absolute are relative to it, as in Tomcat.
    type: path
    default: /opt/tomcat
  server_xml:
    description:
      - Tomcat's connector configuration.
      - Defaults to C(conf/server.xml) below O(tomcat_base).
    type: path
  web_xml:
    description:
      - Tomcat's global web application descriptor, where forced HTTPS is configured.
      - Defaults to C(conf/web.xml) below O(tomcat_base).
    type: path
  keystore_path:
    description:
      - The keystore holding the HTTPS key and certificate chain.
      - Defaults to the keystore the HTTPS connector in O(server_xml) names, then to
        C(ssl/tomcat.keystore) below O(tomcat_base).
    type: path
  keystore_password:
    description:
      - Password of the keystore and of its key entry.
      - Defaults to the password in O(server_xml), then to STARFACE's C(changeit).
    type: str
  keystore_alias:
    description:
      - Alias of the key entry in the keystore.
      - Defaults to the alias in O(server_xml), then to C(tomcat).
      - Writing the keystore keeps its other entries. A key entry under another alias that held
        the same certificate (STARFACE's C(root) copy) gets the new key and chain as well, so
        both stay in step. A PKCS12 keystore with other entries is refused before anything is
        written, as Python's cryptography writes one key per PKCS12 file.
    type: str
  key_pem_path:
    description:
      - STARFACE also keeps the HTTPS private key as PEM. When this file exists, it is
        kept in step with the keystore (owner-only mode).
      - Defaults to C(ssl/tomcatkey.pem) below O(tomcat_base).
    type: path
  state_dir:
    description:
      - Directory on the box (owner-only) for the change journal, the internal backups
        and failed configurations kept for inspection. It is also the box's lock (see
        O(lock_timeout)).
      - Defaults to C(.telephony.starface) below O(tomcat_base). Its parent directory must
        exist; the directory itself is made (mode 0700) when missing.
    type: path
  restart_command:
    description:
      - Shell command that restarts the web server on the box. It must return when the
        restart was issued; the module then waits until the web server answers.
      - It runs in a process group of its own. When it has not returned within
        O(restart_timeout), the group is ended (SIGTERM, SIGKILL 5 seconds later) and the
        change is rolled back; the rollback's restart gets a O(restart_timeout) of its own.
      - Which service name a STARFACE release uses is not published; check yours.
    type: str
    default: systemctl restart tomcat
  activation:
    description:
      - How a change is put into effect on the running box.
      - V(restart) runs O(restart_command), and Tomcat starts again with every file (about a minute
        of PBX downtime on a real STARFACE).
      - V(reload) asks the running Tomcat to read its keystore again (the connectors' JMX
        operation C(reloadSslHostConfigs)), and a new certificate is served within seconds, with
        no restart and no dropped connection. Only a change of the keystore (and of the key PEM
        file) can be applied this way; a change of server.xml, web.xml or the rewrite rules is
        refused with this value, before anything is written where the module can tell, else by
        putting back what the run wrote. A change of NAT rules alone needs neither.
      - V(auto) reloads when only the keystore changed and the box can reload, and restarts
        otherwise; the result's RV(ignore:restart_reason) then says why.
      - A reload attaches to Tomcat's JVM as Tomcat's user with the JDK's attach API, starts
        the JVM's JMX agent for the call alone (on 127.0.0.1, with a one-time password) and
        stops it again. It needs Tomcat 8.5.24 or later, a JVM without C(-XX:+DisableAttachMechanism)
        and a Java 11 or later runtime with the modules C(jdk.attach), C(jdk.compiler),
        C(java.management.rmi) and C(jdk.management.agent);
        M(telephony.starface.starface_webserver_info) reports whether the box offers it
        (RV(ignore:reload)).
      - Before a reload the new keystore is read as Tomcat will read it (format, password,
        alias, key matching its certificate), and after it the new certificate must be served on
        the web UI's HTTPS connector. Otherwise the previous keystore is put back and reloaded (or,
        if that fails too, the web server is restarted with it), and the message quotes
        Tomcat's reason.
      - The default stays V(restart), because a reload attaches to the PBX's JVM and runs a JMX
        agent in it for a moment, which an administrator should choose, and it has been tested
        on Debian's Tomcat 10.1 with Java 17, not on a STARFACE.
    type: str
    choices: [restart, reload, auto]
    default: restart
  restart_timeout:
    description:
      - Seconds the restart command and the wait after it may take together, until every
        enabled port answers as configured and STARFACE answers C(/rest/login).
    type: int
    default: 300
  tomcat_log:
    description:
      - Tomcat's console log on the box, read from each restart on. When Tomcat writes that a
        connector on one of the checked ports or the server failed to start (a port held by
        another program, a port its user may not bind, a keystore it cannot open), the wait
        ends at once, the message quotes Tomcat's words, and the change is rolled back.
      - A relative path is below O(tomcat_base). A box that logs elsewhere (only to the
        journal, for example) loses only this early end; the wait then runs up to
        O(restart_timeout) as before.
    type: path
    default: logs/catalina.out
  lock_timeout:
    description:
      - Seconds to wait for another run that is changing the same box (the same O(state_dir))
        before failing with a message that names it (PID, module, since when).
      - Every module that changes the box or restarts its web server holds the box's lock from
        its first read to its commit or rollback; check mode and
        M(telephony.starface.starface_webserver_info) read without it. A lock whose run died
        is free at once.
      - The default lets a run wait out another run's restart and rollback with the default
        O(restart_timeout).
    type: int
    default: 900
  verify_host:
    description:
      - Address on the box to check the ports on after a restart.
      - Defaults to the address the connectors are bound to, else C(127.0.0.1).
    type: str
  nat_rules_file:
    description:
      - The file in iptables-save format that the box loads its netfilter rules from at boot
        (EL with iptables-services C(/etc/sysconfig/iptables)). A change of a public port on a
        box with NAT redirects changes the redirect in this file as in the live rules.
      - When it does not exist, only the live rules change and the module warns.
    type: path
    default: /etc/sysconfig/iptables
  iptables_command:
    description:
      - The command that changes the live netfilter rules (one redirect at a time, in the
        C(nat) table's C(PREROUTING) chain).
    type: str
    default: iptables
  iptables_save_command:
    description:
      - The command that prints the live netfilter rules. A box without it has no NAT
        redirects to read, so its connector ports are its public ports.
      - An empty string skips reading the rules, for a box without NAT whose iptables fails.
    type: str
    default: iptables-save
requirements:
  - Python 3.8 or newer on the box.
notes:
  - The modules run on the STARFACE box itself, over SSH as C(root), and change Apache
    Tomcat's configuration and keystore. STARFACE has no API for these settings.
  - Whether a STARFACE update rewrites these files is not known; run the modules
    regularly and use M(telephony.starface.starface_webserver_info) to see drift.
'''
