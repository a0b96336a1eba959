#!/bin/sh
# Find, or install from the distribution's own repositories, a Python 3.8 or newer with the
# cryptography package (3.4 or newer) on a box, for ansible-core 2.19 and the collection's modules.
# It needs no Python: the role runs it with ansible.builtin.script before any module.
#
# Usage: bootstrap_python.sh [--check] [--python INTERPRETER]
#   --check               detect only: say what would be installed, install nothing
#   --python INTERPRETER  an interpreter to try first (the one Ansible is configured with)
#
# What it installs, only when no interpreter found works:
#   EL 8 (ID or ID_LIKE rhel, centos, almalinux, rocky, ol; VERSION_ID 8.x), dnf:
#       python3.12 python3.12-cryptography (AppStream 8.10), else python3.11 python3.11-cryptography (8.8+)
#   EL 9 and 10, dnf: python3 python3-cryptography
#   Debian and Ubuntu (ID or ID_LIKE debian, ubuntu), apt-get: python3 python3-cryptography
#
# It prints key=value lines (other lines are the package manager's words, indented with "| "):
#   os=ID VERSION_ID (PRETTY_NAME)
#   python=the interpreter to use; empty in check mode when none works yet
#   installed=the packages it installed (empty when none)
#   would_install=in check mode, the packages a run without --check would install
#   error=why it failed (exit status 1)
#
# For tests, the environment can point it elsewhere:
#   STARFACE_BOOTSTRAP_OS_RELEASE   the os-release file (/etc/os-release, then /usr/lib/os-release)
#   STARFACE_BOOTSTRAP_DNF          the dnf command (dnf)
#   STARFACE_BOOTSTRAP_APT_GET      the apt-get command (apt-get)
#   STARFACE_BOOTSTRAP_PYTHON_DIRS  the folders searched for interpreters ("/usr/bin /usr/local/bin")

set -u

dnf=${STARFACE_BOOTSTRAP_DNF:-dnf}
apt_get=${STARFACE_BOOTSTRAP_APT_GET:-apt-get}
python_dirs=${STARFACE_BOOTSTRAP_PYTHON_DIRS:-/usr/bin /usr/local/bin}
os_release=${STARFACE_BOOTSTRAP_OS_RELEASE:-}
if [ -z "$os_release" ]; then
    os_release=/etc/os-release
    [ -r "$os_release" ] || os_release=/usr/lib/os-release
fi

check=false
configured=
while [ $# -gt 0 ]; do
    case $1 in
        --check) check=true ;;
        --python)
            [ $# -ge 2 ] || { echo "error=--python needs an interpreter"; exit 2; }
            configured=$2
            shift ;;
        *) echo "error=unknown argument: $1"; exit 2 ;;
    esac
    shift
done

# Prints Python's version and cryptography's; fails when cryptography is missing.
probe='import sys
import cryptography
print("%d.%d.%d %s" % (sys.version_info[0], sys.version_info[1], sys.version_info[2], cryptography.__version__))'

tried=

fail() {
    echo "error=$*"
    exit 1
}

# at_least VERSION MAJOR MINOR: whether VERSION (such as 3.12.8 or 41.0.7) is MAJOR.MINOR or newer.
at_least() {
    major=${1%%.*}
    case $1 in
        *.*) minor=${1#*.}; minor=${minor%%.*} ;;
        *) minor=0 ;;
    esac
    minor=${minor%%[!0-9]*}
    case $major in ''|*[!0-9]*) return 1 ;; esac
    [ -n "$minor" ] || minor=0
    [ "$major" -gt "$2" ] || { [ "$major" -eq "$2" ] && [ "$minor" -ge "$3" ]; }
}

# usable INTERPRETER: whether it runs, is Python 3.8+ and imports cryptography 3.4+. Notes why not in $tried.
usable() {
    out=$("$1" -c "$probe" 2>/dev/null) || {
        tried="$tried; $1: does not run or has no cryptography"
        return 1
    }
    out=$(printf '%s\n' "$out" | tail -n 1)
    python_version=${out%% *}
    cryptography_version=${out#* }
    if ! at_least "$python_version" 3 8; then
        tried="$tried; $1: Python $python_version (3.8 or newer needed)"
        return 1
    fi
    if ! at_least "$cryptography_version" 3 4; then
        tried="$tried; $1: cryptography $cryptography_version (3.4 or newer needed)"
        return 1
    fi
    return 0
}

# find_python [NAME...]: set $python to the first usable interpreter, the configured one first, then
# each NAME (default: python3, python3.13 down to python3.8) in each folder of $python_dirs.
find_python() {
    python=
    if [ -n "$configured" ] && usable "$configured"; then
        python=$configured
        return 0
    fi
    [ $# -gt 0 ] || set -- python3 python3.13 python3.12 python3.11 python3.10 python3.9 python3.8
    for name in "$@"; do
        for dir in $python_dirs; do
            [ -x "$dir/$name" ] || continue
            if usable "$dir/$name"; then
                python=$dir/$name
                return 0
            fi
        done
    done
    return 1
}

# tried_list: what find_python tried and why each did not do.
tried_list() {
    if [ -n "$tried" ]; then
        echo "Interpreters tried: ${tried#; }."
    else
        echo "No interpreter found to try."
    fi
}

# os_value KEY: the value of KEY in the os-release file, without quotes.
os_value() {
    [ -r "$os_release" ] || return 0
    sed -n "s/^$1=//p" "$os_release" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\\(.*\\)'\$/\\1/"
}

# indent: the package manager's words, set apart from the key=value lines.
indent() {
    printf '%s\n' "$1" | sed 's/^/| /'
}

# last_words TEXT: its last five non-empty lines on one line.
last_words() {
    printf '%s\n' "$1" | sed '/^[[:space:]]*$/d' | tail -n 5 | tr '\n' ' ' | sed 's/ *$//'
}

os_id=$(os_value ID)
os_like=$(os_value ID_LIKE)
os_version=$(os_value VERSION_ID)
os_name=$(os_value PRETTY_NAME)
[ -n "$os_name" ] || os_name="${os_id:-an unknown system} $os_version"
os_major=${os_version%%.*}
echo "os=$os_id $os_version ($os_name)"

if find_python; then
    echo "python=$python"
    echo "installed="
    echo "would_install="
    exit 0
fi

family=unknown
case " $os_id $os_like " in
    *" rhel "*|*" centos "*|*" almalinux "*|*" rocky "*|*" ol "*) family=el ;;
    *" debian "*|*" ubuntu "*) family=debian ;;
esac

# The packages to install and the interpreter they bring.
packages=
interpreter=
manager=
case $family:$os_major in
    el:8)
        manager=dnf
        listed=
        for version in 3.12 3.11; do
            candidate="python$version python$version-cryptography"
            missing=
            for package in $candidate; do
                listed=$("$dnf" -q list "$package" 2>&1) || missing=$package
            done
            if [ -z "$missing" ]; then
                packages=$candidate
                interpreter=python$version
                break
            fi
        done
        [ -n "$packages" ] || fail "no Python 3.8+ with cryptography on $os_name, and the enabled repositories" \
            "have neither python3.12 python3.12-cryptography nor python3.11 python3.11-cryptography" \
            "(AppStream has them from EL 8.10 and 8.8; update the box or enable AppStream)." \
            "$dnf said: $(last_words "$listed") $(tried_list)"
        ;;
    el:9|el:10)
        manager=dnf
        packages="python3 python3-cryptography"
        interpreter=python3
        ;;
    debian:*)
        manager=apt-get
        packages="python3 python3-cryptography"
        interpreter=python3
        ;;
    *)
        fail "no Python 3.8+ with cryptography on $os_name (ID=$os_id, ID_LIKE=$os_like, VERSION_ID=$os_version)," \
            "and no packages are known for it: the bootstrap installs python3.12 python3.12-cryptography or" \
            "python3.11 python3.11-cryptography on EL 8, python3 python3-cryptography on EL 9 and 10 (dnf)" \
            "and on Debian and Ubuntu (apt-get). Install a Python 3.8+ with cryptography and set" \
            "ansible_python_interpreter. $(tried_list)"
        ;;
esac

if $check; then
    echo "python="
    echo "installed="
    echo "would_install=$packages"
    exit 0
fi

# Word splitting of $packages is wanted: it is a list of package names.
if [ "$manager" = dnf ]; then
    # shellcheck disable=SC2086
    out=$("$dnf" -y install $packages 2>&1)
    status=$?
    indent "$out"
    [ $status -eq 0 ] || fail "$dnf -y install $packages failed (exit status $status) on $os_name: $(last_words "$out")"
else
    # shellcheck disable=SC2086
    out=$(DEBIAN_FRONTEND=noninteractive "$apt_get" -y -q install $packages 2>&1)
    status=$?
    indent "$out"
    if [ $status -ne 0 ]; then
        # Package lists missing or out of date: read them once, then try again.
        update=$("$apt_get" -q update 2>&1)
        indent "$update"
        # shellcheck disable=SC2086
        out=$(DEBIAN_FRONTEND=noninteractive "$apt_get" -y -q install $packages 2>&1)
        status=$?
        indent "$out"
        [ $status -eq 0 ] || fail "$apt_get -y install $packages failed (exit status $status, also after" \
            "$apt_get update) on $os_name: $(last_words "$out")"
    fi
fi

tried=
find_python "$interpreter" || fail "installed $packages on $os_name, but no usable $interpreter was found" \
    "in $python_dirs. $(tried_list)"
echo "python=$python"
echo "installed=$packages"
echo "would_install="
exit 0
