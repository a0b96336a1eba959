#!/bin/sh
# Restart command of a lab box whose new port another program takes at the restart, once: when
# ARM_FILE exists, it is removed and port_blocker.py takes ADDRESS:PORT; then the box restarts the
# way systemctl restarts a service, returning once Tomcat is launched (starface_lab.py --no-wait),
# so that only Tomcat's log tells the module why the box does not come up (molecule fleet).
# Usage: take_port_at_restart.sh ARM_FILE ADDRESS PORT PIDFILE LAB_RESTART_COMMAND
set -eu
arm=$1
address=$2
port=$3
pidfile=$4
restart=$5
if [ -e "$arm" ]; then
    rm -f "$arm"
    /usr/bin/python3 "$(dirname "$0")/port_blocker.py" --address "$address" --port "$port" --pidfile "$pidfile"
fi
exec "$restart" --no-wait
