#!/usr/bin/env bash
# Install Debian's Chromium, its ChromeDriver and CJK fonts for the browser tests, where they are missing.
# Without apt (or without root and sudo) it says so and exits 0: the browser tests then skip with a reason.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)

# Without a CJK font Chromium draws Chinese as boxes: the screenshots would show nothing readable.
has_cjk_font() { ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || fc-list :lang=zh 2>/dev/null | grep -q .; }

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && has_cjk_font; then
    echo "install-browser: /usr/bin/chromium, /usr/bin/chromedriver and a CJK font are present"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get is not available; install Chromium and ChromeDriver by hand" \
        "(/usr/bin/chromium, /usr/bin/chromedriver), or the browser tests will be skipped"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install-browser: not root and no password-less sudo; run as root:" \
        "apt-get install ${PACKAGES[*]} (the browser tests will be skipped until then)"
    exit 0
fi

echo "install-browser: installing ${PACKAGES[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; }; then
    echo "install-browser: apt-get failed; the browser tests will be skipped"
    exit 0
fi
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium), $(/usr/bin/chromedriver --version 2>/dev/null | cut -d' ' -f1-2)"
else
    echo "install-browser: apt-get finished but /usr/bin/chromium or /usr/bin/chromedriver is still missing;" \
        "the browser tests will be skipped"
fi
