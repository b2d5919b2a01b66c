# Shared helpers for the scripts in this folder. Source it; do not run it.

# Installs the given Debian packages when `dpkg -s` says they are missing.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing missing system packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
}

# The system packages the library and its tests build against.
LIBRARY_PACKAGES=(libsqlite3-dev libpq-dev pkg-config)
