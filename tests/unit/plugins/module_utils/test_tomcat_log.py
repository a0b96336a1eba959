# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat_log import TomcatLog, startup_failure

# Records as Debian's Tomcat 10.1.60 on OpenJDK 17 wrote them in a lab box's catalina.out.
RECORD_STARTS = dict(
    init='02-Dec-2026 15:10:03.244 INFO [main] org.apache.coyote.AbstractProtocol.init',
    at_0246='02-Dec-2026 15:10:03.246 SEVERE [main] org.apache.catalina.util.LifecycleBase.handleSubClassException',
    at_5628='02-Dec-2026 15:12:56.280 SEVERE [main] org.apache.catalina.util.LifecycleBase.handleSubClassException',
    app='02-Dec-2026 15:10:04.100 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal',
)
STARTED = '''\
{init} Initializing ProtocolHandler ["https-jsse-nio-127.0.9.1-8444"]
02-Dec-2026 15:10:04.396 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [961] milliseconds
'''.format(**RECORD_STARTS)
PORT_HELD = '''\
{init} Initializing ProtocolHandler ["https-jsse-nio-127.0.9.1-8444"]
{at_0246} Failed to initialize component [Connector["https-jsse-nio-127.0.9.1-8444"]]
\torg.apache.catalina.LifecycleException: Protocol handler initialization failed
\t\tat org.apache.catalina.connector.Connector.initInternal(Connector.java:1045)
\tCaused by: java.net.BindException: Address already in use
\t\tat java.base/sun.nio.ch.Net.bind0(Native Method)
\t\t... 13 more
02-Dec-2026 15:10:03.247 INFO [main] org.apache.coyote.AbstractProtocol.init Initializing ProtocolHandler ["http-nio-127.0.9.1-50080"]
'''.format(**RECORD_STARTS)
# With -Dorg.apache.catalina.startup.EXIT_ON_INIT_FAILURE=true the JVM exits instead.
PORT_HELD_EXIT = '''\
02-Dec-2026 15:09:48.846 SEVERE [main] org.apache.catalina.startup.Bootstrap.main Error running command
\tjava.lang.Error: org.apache.catalina.LifecycleException: Protocol handler initialization failed
\t\tat org.apache.catalina.startup.Catalina.load(Catalina.java:706)
\tCaused by: org.apache.catalina.LifecycleException: Protocol handler initialization failed
\t\t... 7 more
\tCaused by: java.net.BindException: Address already in use
\t\t... 13 more
'''
WRONG_PASSWORD = '''\
{at_5628} Failed to initialize component [Connector["https-jsse-nio-127.0.9.1-8443"]]
\torg.apache.catalina.LifecycleException: Protocol handler initialization failed
\tCaused by: java.lang.IllegalArgumentException: Error creating SSLContext
\t\t... 13 more
\tCaused by: java.io.IOException: Keystore was tampered with, or password was incorrect
\t\t... 20 more
\tCaused by: java.security.UnrecoverableKeyException: Password verification failed
\t\t... 28 more
'''.format(**RECORD_STARTS)
APP_ERROR = '''\
{app} One or more listeners failed to start. Full details will be found in the appropriate container log file
'''.format(**RECORD_STARTS)


def test_a_port_held_by_another_program_is_quoted_with_its_cause_and_a_hint():
    said = startup_failure(STARTED + PORT_HELD)
    assert said == ('"Failed to initialize component [Connector["https-jsse-nio-127.0.9.1-8444"]]", caused by '
                    '"org.apache.catalina.LifecycleException: Protocol handler initialization failed" and '
                    '"java.net.BindException: Address already in use" (another program holds the port)')


def test_the_exit_on_init_failure_variant_is_recognised_too():
    said = startup_failure(PORT_HELD_EXIT)
    assert said.startswith('"Error running command", caused by "org.apache.catalina.LifecycleException: Protocol '
                           'handler initialization failed" and "java.net.BindException: Address already in use"')


def test_a_wrong_keystore_password_quotes_the_two_innermost_causes():
    said = startup_failure(WRONG_PASSWORD)
    assert '"java.io.IOException: Keystore was tampered with, or password was incorrect" and ' \
           '"java.security.UnrecoverableKeyException: Password verification failed"' in said
    assert 'Error creating SSLContext' not in said


def test_a_clean_start_and_a_web_application_error_are_no_startup_failure():
    assert startup_failure(STARTED) is None
    assert startup_failure(APP_ERROR + STARTED) is None
    assert startup_failure('') is None


def test_a_jvm_that_does_not_start_is_quoted():
    said = startup_failure('Error: Could not find or load main class org.apache.catalina.startup.Bootstrap\n')
    assert said == '"Error: Could not find or load main class org.apache.catalina.startup.Bootstrap"'


def test_only_what_is_written_after_the_mark_counts(tmp_path):
    path = tmp_path / 'catalina.out'
    path.write_text(PORT_HELD)
    log = TomcatLog(str(path))
    log.mark()
    assert log.failure() is None
    with open(str(path), 'a') as stream:
        stream.write(STARTED)
    assert log.failure() is None
    with open(str(path), 'a') as stream:
        stream.write(WRONG_PASSWORD)
    assert log.failure().startswith('Tomcat logged in %s: "Failed to initialize component' % path)


def test_a_log_rotated_or_truncated_after_the_mark_is_read_from_its_start(tmp_path):
    path = tmp_path / 'catalina.out'
    path.write_text(STARTED * 20)
    log = TomcatLog(str(path))
    log.mark()
    os.rename(str(path), str(tmp_path / 'catalina.out.1'))
    path.write_text(PORT_HELD)
    assert 'Address already in use' in log.failure()
    log.mark()
    path.write_text(WRONG_PASSWORD)  # truncated and rewritten in place: shorter than the mark
    assert 'password was incorrect' in log.failure()


def test_a_missing_or_unreadable_log_tells_nothing(tmp_path):
    log = TomcatLog(str(tmp_path / 'no-such.out'))
    log.mark()
    assert log.failure() is None
    (tmp_path / 'no-such.out').write_text(PORT_HELD)
    assert 'Address already in use' in log.failure()


# As Tomcat 9 and 10 log an AJP connector without its secret (it keeps serving the others).
AJP_WITHOUT_SECRET = '''\
{at_0246} Failed to start component [Connector["ajp-nio-127.0.0.1-8009"]]
\torg.apache.catalina.LifecycleException: Protocol handler start failed
\tCaused by: java.lang.IllegalArgumentException: The AJP Connector is configured with secretRequired="true" but \
the secret attribute is either null or "". This combination is not valid.
'''.format(**RECORD_STARTS)
UNREADABLE_KEYSTORE = '''\
{at_5628} Failed to initialize component [Connector["https-jsse-nio-127.0.9.1-8443"]]
\torg.apache.catalina.LifecycleException: Protocol handler initialization failed
\tCaused by: java.io.FileNotFoundException: /opt/tomcat/ssl/tomcat.keystore (Permission denied)
'''.format(**RECORD_STARTS)


def test_a_connector_on_a_port_that_is_not_checked_does_not_end_the_wait():
    assert startup_failure(AJP_WITHOUT_SECRET + STARTED, ports=[80, 8444]) is None
    assert 'secretRequired' in startup_failure(AJP_WITHOUT_SECRET, ports=[8009])
    assert 'Address already in use' in startup_failure(AJP_WITHOUT_SECRET + PORT_HELD, ports=[80, 8444])
    assert startup_failure(PORT_HELD_EXIT, ports=[80]) is not None  # not a connector's record: the server failed


def test_a_permission_problem_that_is_no_bind_error_gets_no_port_hint():
    said = startup_failure(UNREADABLE_KEYSTORE)
    assert said.endswith('"java.io.FileNotFoundException: /opt/tomcat/ssl/tomcat.keystore (Permission denied)"')
