#!/usr/bin/env bash
# Install what the platform needs from the system, idempotently.
#
#   scripts/install_system.sh up    # redis-server, PDF libraries + CJK fonts (for `make up`)
#   scripts/install_system.sh test  # redis-server, postgresql, chromium, PDF libraries + CJK fonts (for `make test`)
#
# Debian packages are installed with apt-get only when missing (`apt-get update` runs only then),
# then the JavaScript packages of package.json (bpmn-js, playwright-core) with npm when
# node_modules is missing or older than package-lock.json. A re-run with everything present is a no-op.
# Browsers are never downloaded (no `playwright install`): tests use the Debian chromium.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${1:-test}"
# WeasyPrint (PDF notices) loads Pango and HarfBuzz from the system; Noto CJK gives the Chinese glyphs.
pdf_libs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
case "$mode" in
    up) wanted=(redis-server "${pdf_libs[@]}") ;;
    test) wanted=(redis-server postgresql chromium "${pdf_libs[@]}") ;;
    *)
        echo "usage: $0 [up|test]" >&2
        exit 2
        ;;
esac

log() { echo "install_system: $*" >&2; }

is_installed() {
    local pkg="$1"
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"
}

# A command already on PATH counts as present (e.g. a redis-server built from source).
has_command() {
    case "$1" in
        redis-server) command -v redis-server >/dev/null 2>&1 ;;
        postgresql)
            command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
            ;;
        chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ;;
        *) return 1 ;;
    esac
}

missing=()
for pkg in "${wanted[@]}"; do
    if has_command "$pkg" || is_installed "$pkg"; then
        continue
    fi
    missing+=("$pkg")
done

if ((${#missing[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            log "need root (or sudo) to install: ${missing[*]}"
            exit 1
        fi
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Debian starts services on install where it can; the platform runs its own throwaway ones.
    if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v service >/dev/null 2>&1; then
        "${sudo[@]}" service redis-server stop >/dev/null 2>&1 || true
    fi
    if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v service >/dev/null 2>&1; then
        "${sudo[@]}" service postgresql stop >/dev/null 2>&1 || true
    fi
else
    log "system packages present: ${wanted[*]}"
fi

# JavaScript packages (bpmn-js for the modeler page, playwright-core to drive chromium in tests).
if [[ -f package.json ]]; then
    if ! command -v npm >/dev/null 2>&1; then
        log "npm missing, installing nodejs and npm"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends nodejs npm
    fi
    stamp=node_modules/.banjian-installed
    if [[ ! -f $stamp || package.json -nt $stamp || (-f package-lock.json && package-lock.json -nt $stamp) ]]; then
        export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
        if [[ -f package-lock.json ]]; then
            log "npm ci"
            npm ci --no-audit --no-fund --loglevel=error
        else
            log "npm install"
            npm install --no-audit --no-fund --loglevel=error
        fi
        touch "$stamp"
    else
        log "node_modules up to date"
    fi
fi
